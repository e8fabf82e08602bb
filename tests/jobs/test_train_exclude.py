"""`train.exclude`: training rows matching a condition on the raw table are not fitted on."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, job_parser, open_context
from jobs.common.model_inputs import excluded_keys, training_rows

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


def _context(tmp: Path, *extra: str) -> JobContext:
    overrides = [
        f"lakehouse.root={tmp}/lakehouse", f"mlflow.tracking_uri=sqlite:///{tmp}/mlflow.db",
        "features.input_table=tiny_raw", *extra,
    ]
    return open_context(job_parser("exclude").parse_args([a for o in overrides for a in ("--set", o)]))


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("exclude")
    raw = spark.createDataFrame([(i, 1000.0 * i, 50.0 * i) for i in range(1, 7)],
                                "sale_id int, living_area double, sale_price double")
    _context(tmp).tables.write(raw, "tiny_raw")
    return tmp


def test_matching_training_rows_are_left_out_and_test_rows_kept(spark, lake) -> None:
    context = _context(lake, "train.exclude=living_area > 3500 AND sale_price < 300")
    features = context.tables.read("tiny_raw").select(
        "sale_id", "sale_price", F.when(F.col("sale_id") % 2 == 0, "train").otherwise("test").alias("split"))
    kept = training_rows(context.settings, features, excluded_keys(context, context.tables.read("tiny_raw")))
    # Rows 4 and 5 match (6 is big but not cheap); 5 is a test row, which training never sees anyway.
    assert sorted(r["sale_id"] for r in kept.collect()) == [2, 6]


def test_no_condition_excludes_nothing(lake) -> None:
    context = _context(lake)
    assert excluded_keys(context, context.tables.read("tiny_raw")) is None


def test_a_condition_on_an_unknown_column_is_a_clear_error(lake) -> None:
    with pytest.raises(ValueError, match=r"train\.exclude 'no_such_column > 1'"):
        context = _context(lake, "train.exclude=no_such_column > 1")
        excluded_keys(context, context.tables.read("tiny_raw"))
