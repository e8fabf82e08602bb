"""Pass 2: counts, moments, histograms, IQR outliers, score bins and levels in one grouped pass.

Every row gives one entry per profiled column, and one `groupBy` counts them with sums of the
target: a categorical column's entry is its value (a level); a numeric column's entry is its
bin (see `Bins`), which fixes its histogram bucket, quantile score bin, outlier side (beyond
the IQR fences) and whether it is zero. All four are monotone in the value, so a column has
at most bins + score bins + 5 bins, not their product. A missing value has code -1, as has
every value of a column with nothing to place (temporal, nested, or numeric without values),
whose present values have code 0, except a temporal column's, whose code is the index of
their period (see `periods`): its rows per month or year come out of this same pass.

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

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pyspark.ml.feature import Bucketizer
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.profiling.columns import CATEGORICAL, NUMERIC, TARGET, ProfiledColumn
from transforms.profiling.periods import Periods
from transforms.profiling.settings import ProfileSettings

MISSING = -1


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


@dataclass(frozen=True)
class Placement:
    """Where the values of one numeric group sit."""

    bucket: int
    score_bin: int
    side: str
    zero: bool


class Bins:
    """A numeric column's bins: the union of the breakpoints of its histogram buckets, score
    bins, IQR fences and zero, so that each bin has one `Placement`.

    Bucket i holds [min + i·width, min + (i+1)·width) (the last one also max), score bin i
    [edge i-1, edge i), "low" is below the lower fence, "high" above the upper one, and
    [0, 5e-324) holds only zero: every one is constant within a bin, so the bin's first value
    places all its values. Spark ML's Bucketizer finds a value's bin by binary search in the
    JVM: the same placement written as SQL expressions, 20 columns at once, compiles into a
    method too large for the JIT (measured at 1M rows: 43 s of task time against 5 s).
    """

    def __init__(self, bounds: NumericBounds, settings: ProfileSettings, score_bins: bool) -> None:
        self.bounds = bounds
        width = (bounds.maximum - bounds.minimum) / settings.histogram_bins
        self.bucket_edges = [bounds.minimum + i * width for i in range(1, settings.histogram_bins)] if width else []
        self.score_edges = bounds.score_edges if score_bins else []
        breaks = {*self.bucket_edges, *self.score_edges, bounds.lower_fence,
                  math.nextafter(bounds.upper_fence, math.inf), 0.0, math.nextafter(0.0, math.inf)}
        self.splits = [-math.inf, *sorted(b for b in breaks if math.isfinite(b)), math.inf]

    def placement(self, bin_index: int) -> Placement:
        first = self.splits[bin_index]
        side = "low" if first < self.bounds.lower_fence else "high" if first > self.bounds.upper_fence else ""
        return Placement(bisect.bisect_right(self.bucket_edges, first),
                         bisect.bisect_right(self.score_edges, first), side, first == 0)


def _bin_column(column: ProfiledColumn) -> str:
    return f"{column.alias}__bin"


def with_bins(prepared: DataFrame, columns: list[ProfiledColumn], bins: dict[int, Bins]) -> DataFrame:
    """Add each placed numeric column's bin index (see `Bins`)."""
    placed = [c for c in columns if c.index in bins]
    if not placed:
        return prepared
    return Bucketizer(
        splitsArray=[bins[c.index].splits for c in placed], inputCols=[c.alias for c in placed],
        outputCols=[_bin_column(c) for c in placed], handleInvalid="keep",
    ).transform(prepared)


def _entry(column: ProfiledColumn, code: Column, level: Column, offset: Column) -> Column:
    return F.struct(F.lit(column.index).alias("col"), code.cast("long").alias("code"),
                    level.cast("string").alias("level"), offset.cast("double").alias("d"))


def _numeric_entry(column: ProfiledColumn, bounds: NumericBounds) -> Column:
    value = column.ref
    code = F.when(value.isNull(), F.lit(MISSING)).otherwise(F.col(_bin_column(column)))
    return _entry(column, code, F.lit(None), value - F.lit(bounds.shift))


def _presence_entry(column: ProfiledColumn, periods: Periods | None) -> Column:
    present = F.lit(0) if periods is None else periods.code(column.ref)
    code = F.when(column.ref.isNull(), F.lit(MISSING)).otherwise(present)
    return _entry(column, code, F.lit(None), F.lit(None))


def distribution_query(
    prepared: DataFrame,
    columns: list[ProfiledColumn],
    bins: dict[int, Bins],
    settings: ProfileSettings,
    target_shift: float | None,
    periods: dict[int, Periods] | None = None,
) -> DataFrame:
    """The grouped pass; `target_shift` is the target's median (None without a target);
    `periods` the temporal columns whose values are counted per period."""
    entries = []
    for column in columns:
        if column.kind == NUMERIC and column.index in bins:
            entries.append(_numeric_entry(column, bins[column.index].bounds))
        elif column.kind == CATEGORICAL:
            entries.append(_entry(column, F.lit(None), column.ref, F.lit(None)))
        else:
            entries.append(_presence_entry(column, (periods or {}).get(column.index)))
    prepared = with_bins(prepared, columns, bins)
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
    # A column without bins: its present values by code (a temporal column's: by period).
    present: list[dict[str, Any]] = field(default_factory=list)

    @property
    def present_t_n(self) -> int:
        return self.t_n - (self.missing["t_n"] if self.missing else 0)

    @property
    def present_t_sum(self) -> float:
        return self.t_sum - ((self.missing["t_sum"] or 0.0) if self.missing else 0.0)


def by_column(rows: list[Any], bins: dict[int, Bins]) -> dict[int, ColumnCounts]:
    """Collected rows of pass 2 as column index -> counts (levels in rank order)."""
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
        elif group["col"] in bins:  # a numeric column's values
            column.groups.append((bins[group["col"]].placement(group["code"]), group))
        else:
            column.present.append(group)
    return dict(counts)
