"""Drift of a batch against a reference, computed with Spark aggregations (nothing collected but bins).

Numeric columns are binned at the reference's approximate quantiles, so each bin holds about
the same share of the reference. On those shared bins:

* PSI = sum over bins of (batch share - reference share) * ln(batch share / reference share),
  shares floored at `EPSILON` so an empty bin does not make it infinite;
* KS = the largest gap between the two cumulative distributions at the bin edges (an
  approximation of the two-sample Kolmogorov-Smirnov statistic, exact at the edges).

Categorical columns use one bin per value (a value unseen in the reference is its own bin);
their KS is not defined and left null. Only per-bin counts reach the driver.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

EPSILON = 1e-4
NULL_BIN = -1


@dataclass(frozen=True)
class Drift:
    feature: str
    psi: float
    ks: float | None


def quantile_edges(reference: DataFrame, column: str, bins: int, relative_error: float = 0.001) -> list[float]:
    """Distinct inner bin edges at the reference's quantiles 1/bins, ..., (bins-1)/bins."""
    probabilities = [i / bins for i in range(1, bins)]
    edges = reference.approxQuantile(column, probabilities, relative_error)
    return sorted(set(edges))


def _bin_numeric(df: DataFrame, column: str, edges: Sequence[float]) -> DataFrame:
    """Bin index: number of edges below the value (bin i holds (edge[i-1], edge[i]]); nulls apart."""
    value = F.col(column).cast("double")
    index = F.lit(0)
    for edge in edges:
        index = index + F.when(value > F.lit(edge), 1).otherwise(0)
    return df.select(F.when(value.isNull(), F.lit(NULL_BIN)).otherwise(index).cast("string").alias("bin"))


def _bin_categorical(df: DataFrame, column: str) -> DataFrame:
    return df.select(F.coalesce(F.col(column).cast("string"), F.lit("<null>")).alias("bin"))


def _shares(reference_bins: DataFrame, batch_bins: DataFrame) -> DataFrame:
    """One row per bin: reference share and batch share (bins present on either side)."""
    def counted(bins: DataFrame, name: str) -> DataFrame:
        return bins.groupBy("bin").agg(F.count(F.lit(1)).alias(name))

    joined = counted(reference_bins, "ref_n").join(counted(batch_bins, "cur_n"), "bin", "full_outer").fillna(0)
    totals = Window.partitionBy()
    return joined.select(
        "bin",
        (F.col("ref_n") / F.sum("ref_n").over(totals)).alias("ref_share"),
        (F.col("cur_n") / F.sum("cur_n").over(totals)).alias("cur_share"),
    )


def psi_from_shares(shares: list[tuple[str, float, float]]) -> float:
    total = 0.0
    for _, ref, cur in shares:
        ref, cur = max(ref, EPSILON), max(cur, EPSILON)
        total += (cur - ref) * math.log(cur / ref)
    return total


def ks_from_shares(shares: list[tuple[str, float, float]]) -> float:
    """Largest gap of the cumulative shares over the ordered numeric bins (nulls excluded)."""
    ordered = sorted((int(b), ref, cur) for b, ref, cur in shares if int(b) != NULL_BIN)
    ref_total = sum(r for _, r, _ in ordered) or 1.0
    cur_total = sum(c for _, _, c in ordered) or 1.0
    gap, ref_cum, cur_cum = 0.0, 0.0, 0.0
    for _, ref, cur in ordered:
        ref_cum, cur_cum = ref_cum + ref / ref_total, cur_cum + cur / cur_total
        gap = max(gap, abs(ref_cum - cur_cum))
    return gap


def numeric_drift(reference: DataFrame, batch: DataFrame, column: str, bins: int = 10) -> Drift:
    """PSI and KS of `column` in `batch` against `reference`, on the reference's quantile bins."""
    edges = quantile_edges(reference, column, bins)
    shares = _collect(_shares(_bin_numeric(reference, column, edges), _bin_numeric(batch, column, edges)))
    return Drift(column, psi_from_shares(shares), ks_from_shares(shares))


def categorical_drift(reference: DataFrame, batch: DataFrame, column: str) -> Drift:
    """PSI of `column`'s value shares in `batch` against `reference`."""
    shares = _collect(_shares(_bin_categorical(reference, column), _bin_categorical(batch, column)))
    return Drift(column, psi_from_shares(shares), None)


def _collect(shares: DataFrame) -> list[tuple[str, float, float]]:
    # One row per bin (or per category): small by construction.
    return [(r["bin"], float(r["ref_share"]), float(r["cur_share"])) for r in shares.collect()]
