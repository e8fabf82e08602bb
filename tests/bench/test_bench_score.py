"""The scoring benchmark writes predictions as the score job does: a rewrite replaces its batch."""

from __future__ import annotations

import pytest

from bench import bench_score
from jobs.common.tables import TableStore
from tests.settings import make_settings

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


def test_a_second_write_of_the_bench_batch_replaces_it(spark, tmp_path) -> None:
    """Each model of `--model forest pipeline` writes the warm-up table: the second write replaces the first."""
    tables = TableStore(spark, make_settings(tmp_path))
    scored = spark.createDataFrame([(1, 100.0, "north"), (2, 200.0, "south")],
                                   "sale_id bigint, prediction double, neighborhood string")
    bench_score.write_predictions_of(tables, scored, "warm_predictions")
    bench_score.write_predictions_of(tables, scored.where("sale_id = 2"), "warm_predictions")
    rows = tables.read("warm_predictions").collect()
    assert [(r["sale_id"], r["batch_id"]) for r in rows] == [(2, bench_score.BENCH_BATCH)]
