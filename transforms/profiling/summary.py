"""Pass 1: every per-column summary and the target relations in one grouped aggregation.

Each row is stacked into one (column, numeric value, text value) entry per profiled column and
a `groupBy(column)` computes, with the same ~20 aggregate expressions whatever the number of
columns: counts, approximate distinct counts, moments, zeros, approximate quantiles, ranges,
the correlation with the target, and the mean target where the column is missing and where
it is present. (A wide `agg` with expressions per column compiles into code whose size grows
with the columns; the stacked form does not.)
"""

from __future__ import annotations

import math
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.profiling.columns import NUMERIC, OTHER, TARGET, ProfiledColumn
from transforms.profiling.settings import ProfileSettings


def _entry(column: ProfiledColumn) -> Column:
    value = column.ref
    if column.kind == NUMERIC:
        number, text = value.cast("double"), F.lit(None).cast("string")
    elif column.kind == OTHER:
        # Nested and vector values are only counted: a marker stands for "present".
        number, text = F.lit(None).cast("double"), F.when(value.isNotNull(), F.lit(""))
    else:
        # ISO dates and timestamps order as text, so min and max give the date range.
        number, text = F.lit(None).cast("double"), value.cast("string")
    return F.struct(F.lit(column.index).alias("col"), number.alias("num"), text.alias("str"))


def summary_query(prepared: DataFrame, columns: list[ProfiledColumn], settings: ProfileSettings,
                  with_target: bool) -> DataFrame:
    """The grouped pass: one row of statistics per profiled column."""
    target = F.col(TARGET) if with_target else F.lit(None).cast("double")
    stacked = prepared.select(F.explode(F.array(*[_entry(c) for c in columns])).alias("e"),
                              target.alias("t")).select("e.*", "t")
    num, text, t = F.col("num"), F.col("str"), F.col("t")
    missing = num.isNull() & text.isNull()
    return stacked.groupBy("col").agg(
        F.count(F.lit(1)).alias("rows"),
        (F.count(num) + F.count(text)).alias("count"),
        F.approx_count_distinct(num, settings.distinct_rsd).alias("distinct_num"),
        F.approx_count_distinct(text, settings.distinct_rsd).alias("distinct_str"),
        F.min(num).alias("min"), F.max(num).alias("max"), F.avg(num).alias("mean"),
        F.stddev_samp(num).alias("std"), F.skewness(num).alias("skewness"),
        F.count(F.when(num == 0, 1)).alias("zeros"),
        F.percentile_approx(num, settings.quantile_probabilities, settings.quantile_accuracy)
        .alias("quantiles"),
        F.min(text).alias("min_value"), F.max(text).alias("max_value"),
        F.avg(F.when(missing, t)).alias("target_if_missing"),
        F.avg(F.when(~missing, t)).alias("target_if_present"),
        F.corr(num, t).alias("target_corr"),
        # The same for every group: each row gives one entry to every column.
        F.count(t).alias("target_count"), F.var_samp(t).alias("target_var"),
        F.min(t).alias("target_min"), F.max(t).alias("target_max"),
    )


def by_column(rows: list[Any], columns: list[ProfiledColumn]) -> dict[int, dict[str, Any]]:
    """Pass-1 rows as column index -> statistics, with one `distinct` for the column's kind."""
    summaries = {}
    for row in rows:
        stats = row.asDict()
        kind = columns[stats["col"]].kind
        stats["distinct"] = (stats["distinct_num"] if kind == NUMERIC
                             else None if kind == OTHER else stats["distinct_str"])
        summaries[stats["col"]] = stats
    return summaries


def sample_skewness(population_skewness: float | None, count: int) -> float | None:
    """Spark's `skewness` is the population g1; pandas reports the adjusted G1 = g1·√(n(n-1))/(n-2)."""
    if population_skewness is None or count < 3 or math.isnan(population_skewness):
        return None
    return population_skewness * math.sqrt(count * (count - 1)) / (count - 2)
