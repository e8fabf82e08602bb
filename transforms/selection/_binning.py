"""Quantile bins per slot and row counts per (slot, bin, group), for information value and PSI.

Both statistics compare how two groups of rows (events and non-events, or two periods) spread
over the bins of each feature. Everything is two distributed aggregations over the exploded
(slot, value) pairs; only the small tables of edges and counts reach the driver.
"""

from __future__ import annotations

from collections import defaultdict

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.selection._base import SLOTS, SelectionError, with_slots

MISSING_BIN = -1


def _exploded(dataset: DataFrame, features_col: str, group: Column) -> DataFrame:
    return with_slots(dataset, features_col).select(
        group.alias("group"), F.posexplode(SLOTS).alias("slot", "value")
    )


def _present(value: Column) -> Column:
    return value.isNotNull() & ~F.isnan(value)


def quantile_edges(dataset: DataFrame, features_col: str, size: int, bins: int) -> list[list[float]]:
    """Per slot, the distinct inner edges of `bins` equal-frequency bins (fewer if values repeat)."""
    if bins < 2:
        raise SelectionError(f"bins must be at least 2, got {bins}")
    probabilities = [k / bins for k in range(1, bins)]
    values = _exploded(dataset, features_col, F.lit(0)).where(_present(F.col("value")))
    # At Spark's default accuracy (as a profile's `quantile_accuracy`): rank error <= rows / 10 000.
    rows = values.groupBy("slot").agg(F.percentile_approx("value", probabilities).alias("q")).collect()
    edges = {row["slot"]: sorted(set(row["q"])) for row in rows}
    return [edges.get(slot, []) for slot in range(size)]


def binned_counts(
    dataset: DataFrame, features_col: str, edges: list[list[float]], group: Column
) -> dict[int, dict[object, dict[int, int]]]:
    """slot -> group value -> bin -> rows. Bin b holds values in (edge[b-1], edge[b]]; NaN/null: -1."""
    edge_table = F.array(*[F.array(*[F.lit(float(e)) for e in slot_edges]).cast("array<double>") for slot_edges in edges])
    exploded = _exploded(dataset, features_col, group)
    slot_edges = F.element_at(edge_table, F.col("slot") + 1)
    bucket = F.when(
        _present(F.col("value")), F.size(F.filter(slot_edges, lambda e: e < F.col("value")))
    ).otherwise(F.lit(MISSING_BIN))
    counts: dict[int, dict[object, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in exploded.groupBy("slot", "group", bucket.alias("bin")).count().collect():
        counts[row["slot"]][row["group"]][row["bin"]] = row["count"]
    return counts


def shares(counts: dict[int, int], bins: set[int], floor: float) -> dict[int, float]:
    """Each bin's share of the rows, with empty bins raised to `floor` so logarithms stay finite."""
    total = sum(counts.values())
    if total == 0:
        raise SelectionError("a group of rows is empty; cannot compare distributions")
    return {b: max(counts.get(b, 0) / total, floor) for b in bins}
