"""The select_features job on a feature table without a split column: the configured split,
from a split table alone (no test_fraction) or by key hash."""

from __future__ import annotations

import pytest
from pyspark.ml.feature import VectorAssembler

from jobs.common.cli import JobContext
from jobs.common.config import ConfigError, SelectionSettings
from jobs.common.model_inputs import with_split_column
from jobs.common.tables import TableStore
from jobs.select_features import select_features
from tests.settings import make_settings

# sale_id, split, a, b (b is constant on the training rows only).
ROWS = [(1, "train", 1.0, 5.0), (2, "train", 2.0, 5.0), (3, "train", 3.0, 5.0), (4, "train", 4.0, 5.0),
        (5, "test", 5.0, 1.0), (6, "test", 6.0, 9.0)]


def _context(spark, tmp_path, *overrides: str) -> JobContext:
    settings = make_settings(tmp_path, "house_sales", "split.test_fraction=null", "split.table=given_split",
                             *overrides)
    selection = SelectionSettings.model_validate({
        "input_table": "unsplit_features", "output_table": "unsplit_selected", "report_table": "unsplit_report",
        "steps": [{"selector": "constant", "params": {"tol": 1.0}}],
    })
    settings = settings.model_copy(update={"selection": selection})
    context = JobContext(settings, spark, TableStore(spark, settings))
    frame = spark.createDataFrame(ROWS, "sale_id int, split string, a double, b double")
    features = VectorAssembler(inputCols=["a", "b"], outputCol="features").transform(frame)
    context.tables.write(features.select("sale_id", (features.a * 1000).alias("sale_price"), "features"),
                         "unsplit_features")
    context.tables.write(frame.select("sale_id", "split"), "given_split")
    return context


@pytest.mark.slow  # a whole job, with its MLflow run
def test_a_split_table_alone_splits_the_feature_table(spark, tmp_path) -> None:
    # Was: assign_split(test_fraction=None) -> TypeError. Now the split table decides, so `b`
    # (constant on its training rows, not on all rows) is dropped.
    context = _context(spark, tmp_path)
    result = select_features(context)
    assert result["kept"] == ["a"]
    assert context.tables.read("unsplit_selected").count() == len(ROWS)


def test_the_split_table_is_joined_on_split_join_on(spark, tmp_path) -> None:
    context = _context(spark, tmp_path, "split.join_on=[sale_id]")
    split = with_split_column(context, context.tables.read("unsplit_features"), "unsplit_features")
    assert sorted((r.sale_id, r.split) for r in split.collect()) == sorted((r[0], r[1]) for r in ROWS)


def test_a_feature_table_without_the_join_columns_fails_in_one_line(spark, tmp_path) -> None:
    context = _context(spark, tmp_path, "split.join_on=[name]")
    with pytest.raises(ConfigError) as error:
        with_split_column(context, context.tables.read("unsplit_features"), "unsplit_features")
    message = str(error.value)
    assert "\n" not in message
    assert "'unsplit_features'" in message and "'given_split'" in message and "lacks: name" in message


def test_a_table_with_a_split_column_keeps_it(spark, tmp_path) -> None:
    context = _context(spark, tmp_path)
    frame = spark.createDataFrame([(1, "test")], "sale_id int, split string")
    assert with_split_column(context, frame, "t").collect() == frame.collect()
