"""Pass 2: counts, moments, histograms, IQR outliers, score bins and levels in one grouped pass.

Every row gives one entry per profiled column, and one `groupBy` counts them with sums of the
target: a categorical column's entry is its value (a level); a numeric column's entry is one
code packing its histogram bucket, quantile score bin, outlier side (beyond the IQR fences)
and whether it is zero. All four are monotone in the value, so a column has at most
bins + score bins + 4 codes, not their product. A missing value has code -1, as has every
value of a column with nothing to place (temporal, nested, or numeric without values), whose
present values have code 0.

Numeric entries also carry the value minus the column's median and the target minus its
median (both from pass 1), and each group sums their first three powers and the cross
product: plain sums, which Spark compiles into generated code, unlike the sketches of pass 1.
`moments` turns them into the mean, standard deviation, skewness and the correlation with the
target (shifting by the median keeps the power sums free of cancellation).

Windows over the (small) grouped result rank category levels, count levels and rare levels,
and keep at most `max_levels` levels per column, so what reaches the driver is bounded by
columns x (bins + score bins + max_levels).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pyspark.ml.feature import Bucketizer
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.profiling.columns import CATEGORICAL, NUMERIC, TARGET, ProfiledColumn
from transforms.profiling.settings import ProfileSettings

MISSING = -1
SIDES = ("", "low", "high")


@dataclass(frozen=True)
class NumericBounds:
    """What pass 1 learned about a numeric column that pass 2 needs to place its values."""

    minimum: float
    maximum: float
    lower_fence: float
    upper_fence: float
    score_edges: list[float]
    shift: float


def numeric_bounds(sketches: dict[str, Any], probabilities: list[float]) -> NumericBounds | None:
    """Range, IQR fences, score-bin edges and median of a column; None if it has no values."""
    if sketches.get("quantiles") is None:
        return None
    quantiles = dict(zip(probabilities, sketches["quantiles"], strict=True))
    q1, q3 = quantiles[0.25], quantiles[0.75]
    iqr = q3 - q1
    interior = sorted({float(v) for p, v in quantiles.items() if 0 < p < 1})
    return NumericBounds(float(sketches["min"]), float(sketches["max"]),
                         q1 - 1.5 * iqr, q3 + 1.5 * iqr, interior, float(quantiles[0.5]))


@dataclass
class Placement:
    """A numeric group's code unpacked: where its values sit."""

    bucket: int
    score_bin: int
    side: str
    zero: bool


class Codes:
    """Packs and unpacks a numeric value's (bucket, score bin, outlier side, zero) as one long."""

    def __init__(self, settings: ProfileSettings) -> None:
        # Bucketizer's splits are -inf, score edges (at most score_bins - 1), +inf.
        self.score_slots = settings.score_bins + 2

    def pack(self, bucket: Column, score_bin: Column, side: Column, zero: Column) -> Column:
        return ((bucket.cast("long") * self.score_slots + score_bin.cast("long")) * len(SIDES)
                + side) * 2 + zero.cast("long")

    def unpack(self, code: int) -> Placement:
        code, zero = divmod(code, 2)
        code, side = divmod(code, len(SIDES))
        bucket, score_bin = divmod(code, self.score_slots)
        return Placement(bucket, score_bin, SIDES[side], bool(zero))


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


def _entry(column: ProfiledColumn, code: Column, level: Column, offset: Column) -> Column:
    return F.struct(F.lit(column.index).alias("col"), code.cast("long").alias("code"),
                    level.cast("string").alias("level"), offset.cast("double").alias("d"))


def _numeric_entry(column: ProfiledColumn, bounds: NumericBounds, settings: ProfileSettings,
                   codes: Codes, score_bins: bool) -> Column:
    value = column.ref
    side = F.when(value < F.lit(bounds.lower_fence), 1).when(value > F.lit(bounds.upper_fence), 2).otherwise(0)
    score_bin = F.col(_score_bin_column(column)) if score_bins else F.lit(0)
    code = codes.pack(_histogram_bucket(value, bounds, settings.histogram_bins), score_bin, side, value == 0)
    return _entry(column, F.when(value.isNull(), F.lit(MISSING)).otherwise(code), F.lit(None),
                  value - F.lit(bounds.shift))


def _presence_entry(column: ProfiledColumn) -> Column:
    code = F.when(column.ref.isNull(), F.lit(MISSING)).otherwise(F.lit(0))
    return _entry(column, code, F.lit(None), F.lit(None))


def distribution_query(
    prepared: DataFrame,
    columns: list[ProfiledColumn],
    bounds: dict[int, NumericBounds],
    settings: ProfileSettings,
    target_shift: float | None,
    score_bins: bool,
) -> DataFrame:
    """The grouped pass; `target_shift` is the target's median (None without a target)."""
    codes = Codes(settings)
    entries = []
    for column in columns:
        if column.kind == NUMERIC and column.index in bounds:
            entries.append(_numeric_entry(column, bounds[column.index], settings, codes, score_bins))
        elif column.kind == CATEGORICAL:
            entries.append(_entry(column, F.lit(None), column.ref, F.lit(None)))
        else:
            entries.append(_presence_entry(column))
    if score_bins:
        prepared = with_score_bins(prepared, columns, bounds)
    if target_shift is None:
        target, target_offset = F.lit(None).cast("double"), F.lit(None).cast("double")
    else:
        target, target_offset = F.col(TARGET), F.col(TARGET) - F.lit(target_shift)
    stacked = prepared.select(F.explode(F.array(*entries)).alias("entry"), target.alias("t"),
                              target_offset.alias("dt")).select("entry.*", "t", "dt")
    d, t, dt = F.col("d"), F.col("t"), F.col("dt")
    paired = F.when(t.isNotNull(), d)
    grouped = stacked.groupBy("col", "code", "level").agg(
        F.count(F.lit(1)).alias("n"), F.count(t).alias("t_n"), F.sum(t).alias("t_sum"),
        F.sum(d).alias("s1"), F.sum(d * d).alias("s2"), F.sum(d * d * d).alias("s3"),
        F.sum(paired).alias("p1"), F.sum(paired * paired).alias("p2"), F.sum(d * dt).alias("cross"),
        F.sum(dt).alias("ts1"), F.sum(dt * dt).alias("ts2"),
    )
    return _rank_levels(grouped, settings)


def _rank_levels(grouped: DataFrame, settings: ProfileSettings) -> DataFrame:
    column = Window.partitionBy("col")
    is_level = F.col("code").isNull()
    missing = F.col("code").eqNullSafe(MISSING) | (is_level & F.col("level").isNull())
    present_n = F.sum(F.when(~missing, F.col("n"))).over(column)
    rare = is_level & ~missing & (F.col("n") < F.lit(settings.rare_threshold) * present_n)
    ranked = grouped.select(
        "*",
        F.row_number().over(Window.partitionBy("col", is_level)
                            .orderBy(F.col("n").desc(), F.col("level").asc_nulls_last())).alias("rank"),
        F.coalesce(present_n, F.lit(0)).alias("col_count"),
        F.count("level").over(column).alias("n_levels"),
        F.count(F.when(rare, 1)).over(column).alias("n_rare_levels"),
        F.sum("t_n").over(column).alias("col_t_n"),
        F.sum("t_sum").over(column).alias("col_t_sum"),
        F.sum("ts1").over(column).alias("col_ts1"),
        F.sum("ts2").over(column).alias("col_ts2"),
    )
    return ranked.where(~is_level | (F.col("rank") <= settings.max_levels) | missing)


@dataclass
class ColumnCounts:
    """Pass-2 rows of one column: totals, the missing group, levels in rank order, numeric groups."""

    count: int = 0
    t_n: int = 0
    t_sum: float = 0.0
    ts1: float | None = None
    ts2: float | None = None
    n_levels: int = 0
    n_rare_levels: int = 0
    missing: dict[str, Any] | None = None
    levels: list[dict[str, Any]] = field(default_factory=list)
    groups: list[tuple[Placement, dict[str, Any]]] = field(default_factory=list)

    @property
    def present_t_n(self) -> int:
        return self.t_n - (self.missing["t_n"] if self.missing else 0)

    @property
    def present_t_sum(self) -> float:
        return self.t_sum - ((self.missing["t_sum"] or 0.0) if self.missing else 0.0)


def by_column(rows: list[Any], settings: ProfileSettings) -> dict[int, ColumnCounts]:
    """Collected rows of pass 2 as column index -> counts (levels in rank order)."""
    codes = Codes(settings)
    counts: dict[int, ColumnCounts] = defaultdict(ColumnCounts)
    for row in sorted(rows, key=lambda r: (r["col"], r["rank"])):
        group = row.asDict()
        column = counts[group["col"]]
        column.count, column.n_levels, column.n_rare_levels = (
            group["col_count"], group["n_levels"], group["n_rare_levels"])
        column.t_n, column.t_sum = group["col_t_n"], group["col_t_sum"] or 0.0
        column.ts1, column.ts2 = group["col_ts1"], group["col_ts2"]
        if group["code"] == MISSING or (group["code"] is None and group["level"] is None):
            column.missing = group
        elif group["code"] is None:
            column.levels.append(group)
        elif group["s1"] is not None:  # a numeric column's values (not a temporal's code 0)
            column.groups.append((codes.unpack(group["code"]), group))
    return dict(counts)
