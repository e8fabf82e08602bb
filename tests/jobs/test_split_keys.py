"""A split table and the input table disagree on keys: counted, not silently dropped."""

from __future__ import annotations

import logging

import pytest

from jobs.common.model_inputs import report_absent_split_keys
from transforms.modeling.split import SplitTableError, split_from_table

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


def test_split_keys_missing_from_the_input_table_are_counted(spark, caplog) -> None:
    splits = spark.createDataFrame([(1, "train"), (2, "test"), (3, "test"), (4, "train")], "id int, split string")
    silver = spark.createDataFrame([(1,), (4,)], "id int")
    with caplog.at_level(logging.WARNING, logger="jobs.common.model_inputs"):
        report_absent_split_keys("s.splits", splits, silver, ["id"], "split")
        report_absent_split_keys("s.splits", splits, splits.select("id"), ["id"], "split")
    assert caplog.messages == [
        "split table s.splits: 2 keys (2 test) have no row in the input table (quarantined or never ingested); "
        "they are neither trained nor tested on"]


def test_rows_the_split_table_does_not_assign_are_counted(spark) -> None:
    splits = spark.createDataFrame([(1, "train")], "id int, split string")
    rows = spark.createDataFrame([(1,), (2,), (3,)], "id int")
    with pytest.raises(SplitTableError, match=r"^split table assigns no split to 2 of 3 rows \(joined on id\), "
                                              r"e.g. \[\(\d,\), \(\d,\)\]: add them to the split table"):
        split_from_table(rows, splits, ["id"])
