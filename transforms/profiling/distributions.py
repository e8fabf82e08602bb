"""Pass 2: histograms, IQR outliers, score bins and category counts in one grouped pass.

Every row is stacked into (column, kind, key) entries — a histogram bucket and, when outside
the IQR fences, an outlier side for each numeric column; a quantile bin for the ROC-AUC of
numeric columns against a binary target; the value of each categorical column — and one
`groupBy` counts them with the target's count and sum. Windows over the (small) grouped
result rank category levels, count levels and rare levels, and keep at most `max_levels`
levels per column, so what reaches the driver is bounded by columns x (bins + max_levels).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pyspark.ml.feature import Bucketizer
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.profiling.columns import CATEGORICAL, NUMERIC, TARGET, ProfiledColumn
from transforms.profiling.settings import ProfileSettings

HISTOGRAM, OUTLIER, SCORE_BIN, LEVEL = "histogram", "outlier", "score_bin", "level"


@dataclass(frozen=True)
class NumericBounds:
    """What pass 1 learned about a numeric column that pass 2 needs to place its values."""

    minimum: float
    maximum: float
    lower_fence: float
    upper_fence: float
    score_edges: list[float]


def numeric_bounds(summary: dict[str, Any], probabilities: list[float]) -> NumericBounds | None:
    if not summary.get("count"):
        return None
    quantiles = dict(zip(probabilities, summary["quantiles"], strict=True))
    q1, q3 = quantiles[0.25], quantiles[0.75]
    iqr = q3 - q1
    interior = sorted({float(v) for p, v in quantiles.items() if 0 < p < 1})
    return NumericBounds(float(summary["min"]), float(summary["max"]),
                         q1 - 1.5 * iqr, q3 + 1.5 * iqr, interior)


def _entry(column: ProfiledColumn, kind: str, key: Column) -> Column:
    return F.struct(F.lit(column.index).alias("col"), F.lit(kind).alias("kind"),
                    key.cast("string").alias("key"))


def _histogram_bucket(value: Column, bounds: NumericBounds, bins: int) -> Column:
    span = bounds.maximum - bounds.minimum
    if span <= 0:
        return F.lit(0)
    raw = F.floor((value - F.lit(bounds.minimum)) / F.lit(span) * bins)
    return F.least(F.greatest(raw, F.lit(0)), F.lit(bins - 1))


def _score_bin_column(column: ProfiledColumn) -> str:
    return f"{column.alias}__score_bin"


def with_score_bins(prepared: DataFrame, columns: list[ProfiledColumn],
                    bounds: dict[int, NumericBounds]) -> DataFrame:
    """Add each numeric column's quantile bin (bin i holds [edge i-1, edge i)).

    Spark ML's Bucketizer finds bins by binary search in the JVM; the same search written as
    SQL expressions compiles into methods too large for the JIT at 20 columns x 100 bins.
    """
    numeric = [c for c in columns if c.index in bounds]
    if not numeric:
        return prepared
    inf = float("inf")
    return Bucketizer(
        splitsArray=[[-inf, *bounds[c.index].score_edges, inf] for c in numeric],
        inputCols=[c.alias for c in numeric], outputCols=[_score_bin_column(c) for c in numeric],
        handleInvalid="keep",
    ).transform(prepared)


def _numeric_entries(column: ProfiledColumn, bounds: NumericBounds, settings: ProfileSettings,
                     score_bins: bool) -> list[Column]:
    value = column.ref
    present = value.isNotNull()
    entries = [
        F.when(present, _entry(column, HISTOGRAM, _histogram_bucket(value, bounds, settings.histogram_bins))),
        F.when(value < F.lit(bounds.lower_fence), _entry(column, OUTLIER, F.lit("low")))
        .when(value > F.lit(bounds.upper_fence), _entry(column, OUTLIER, F.lit("high"))),
    ]
    if score_bins:
        bin_index = F.col(_score_bin_column(column)).cast("int")
        entries.append(F.when(present, _entry(column, SCORE_BIN, bin_index)))
    return entries


def distribution_query(
    prepared: DataFrame,
    columns: list[ProfiledColumn],
    bounds: dict[int, NumericBounds],
    settings: ProfileSettings,
    with_target: bool,
    score_bins: bool,
) -> DataFrame | None:
    """The grouped pass, or None when no column has a distribution to count."""
    entries: list[Column] = []
    for column in columns:
        if column.kind == NUMERIC and column.index in bounds:
            entries += _numeric_entries(column, bounds[column.index], settings, score_bins)
        elif column.kind == CATEGORICAL:
            entries.append(_entry(column, LEVEL, column.ref))
    if not entries:
        return None
    if score_bins:
        prepared = with_score_bins(prepared, columns, bounds)
    target = F.col(TARGET) if with_target else F.lit(None).cast("double")
    stacked = prepared.select(F.explode(F.array(*entries)).alias("entry"), target.alias("t")) \
        .where(F.col("entry").isNotNull()).select("entry.*", "t")
    grouped = stacked.groupBy("col", "kind", "key").agg(
        F.count(F.lit(1)).alias("n"), F.count("t").alias("t_n"), F.sum("t").alias("t_sum"))
    return _rank_levels(grouped, settings)


def _rank_levels(grouped: DataFrame, settings: ProfileSettings) -> DataFrame:
    per_column = Window.partitionBy("col", "kind")
    present = F.col("key").isNotNull()
    column_count = F.sum(F.when(present, F.col("n"))).over(per_column)
    rare = present & (F.col("n") < F.lit(settings.rare_threshold) * column_count)
    ranked = grouped.select(
        "*",
        F.row_number().over(per_column.orderBy(F.col("n").desc(), F.col("key").asc_nulls_last()))
        .alias("rank"),
        F.count("key").over(per_column).alias("n_levels"),
        F.count(F.when(rare, 1)).over(per_column).alias("n_rare_levels"),
        F.sum(F.when(rare, F.col("n"))).over(per_column).alias("rare_rows"),
        F.sum("n").over(per_column).alias("col_n"),
        F.sum("t_n").over(per_column).alias("col_t_n"),
        F.sum("t_sum").over(per_column).alias("col_t_sum"),
    )
    return ranked.where((F.col("kind") != LEVEL) | (F.col("rank") <= settings.max_levels) | ~present)


def by_column(rows: list[Any]) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """Collected rows of pass 2 as column index -> kind -> rows (levels in rank order)."""
    grouped: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in sorted(rows, key=lambda r: (r["col"], r["kind"], r["rank"])):
        grouped[row["col"]][row["kind"]].append(row.asDict())
    return grouped
