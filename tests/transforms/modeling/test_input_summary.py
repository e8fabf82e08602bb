"""The one-pass summary of the model's input columns that the default pipeline is chosen from."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from pyspark.sql import functions as F

from transforms.modeling.defaults import ColumnSummary
from transforms.modeling.input_summary import summarize_columns


def _jobs(spark, group: str, action: Callable[[], object]) -> tuple[object, int]:
    """What `action` returns and how many Spark jobs it ran."""
    spark.sparkContext.setJobGroup(group, group)
    try:
        result = action()
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    return result, len(spark.sparkContext.statusTracker().getJobIdsForGroup(group))


def test_types_distinct_values_and_missing_shares_in_one_pass(spark) -> None:
    frame = spark.createDataFrame(
        [(1, 1.0, "a", datetime.date(2020, 1, 1), True, "ignored"),
         (2, float("nan"), "b", None, None, "ignored"),
         (None, 2.0, "a", datetime.date(2020, 1, 1), False, "ignored"),
         (2, 2.0, None, datetime.date(2021, 5, 1), True, "ignored")],
        "rooms int, area double, town string, sold date, paid boolean, other string")
    summaries, jobs = _jobs(spark, "input_summary", lambda: summarize_columns(frame, list(frame.columns[:5])))
    # As many jobs as ONE aggregation of one column, not one (or more) per column.
    _, one_aggregation = _jobs(spark, "one_aggregation", lambda: frame.agg(F.count("rooms")).first())
    assert jobs == one_aggregation
    # NaN counts as missing, as the imputers see it.
    assert summaries == [ColumnSummary("rooms", "int", 2, 0.25), ColumnSummary("area", "double", 2, 0.25),
                         ColumnSummary("town", "string", 2, 0.25), ColumnSummary("sold", "date", 2, 0.25),
                         ColumnSummary("paid", "boolean", 2, 0.25)]


def test_an_empty_frame_has_no_values_and_no_missing_share(spark) -> None:
    frame = spark.createDataFrame([], "rooms int")
    assert summarize_columns(frame, ["rooms"]) == [ColumnSummary("rooms", "int", 0, 0.0)]
