"""Scoring an xgboost pipeline from the assembler's inputs gives PipelineModel.transform's output."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from chispa import assert_df_equality
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import (
    OneHotEncoder,
    OneHotEncoderModel,
    StandardScaler,
    StringIndexer,
    VectorAssembler,
)
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.modeling.estimators import build_estimator
from transforms.scoring.booster import dense_matrix, feature_blocks, pipeline_stages, score_pipeline

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

PARAMS = {"n_estimators": 8, "max_depth": 3, "learning_rate": 0.5}
SCHEMA = "id int, x double, n int, color string, size string, y double"


def test_dense_matrix_places_scalars_slots_and_missing_values():
    scalar = pd.Series([1.5, np.nan, 3.0])
    # Slot 2 of a 2-wide block is the invalid category dropLast removed; NaN is a null index.
    slots = pd.Series([1.0, 2.0, np.nan])
    kept = pd.Series([0.0, 2.0, 1.0])
    matrix = dense_matrix([scalar, slots, kept], [0, 2, 3])
    nan = np.nan
    expected = np.array([[1.5, 0, 1, 1, 0, 0],
                         [nan, 0, 0, 0, 0, 1],
                         [3.0, nan, nan, 0, 1, 0]], dtype=np.float32)
    assert matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix, expected)


def _rows(spark, count: int) -> DataFrame:
    colors, sizes = ["red", "green", "blue"], ["S", "M", "L", "XL"]
    rows = [(i, float(i % 7), i % 4, colors[i % 3], sizes[(i // 3) % 4],
             10.0 * (i % 7) + 3.0 * (i % 3) + (i // 3) % 4 + 8.0 * (i % 4)) for i in range(count)]
    return spark.createDataFrame(rows, SCHEMA)


def _scoring_rows(spark) -> DataFrame:
    """Unseen categories, indices out of range, nulls in categories and numbers, and ordinary rows."""
    rows = [(1, 2.0, 1, "red", "M", None), (2, None, 3, "purple", "S", None), (3, 5.0, None, None, "XXL", None),
            (4, float("nan"), 2, "blue", None, None), (5, 6.0, 0, "green", "L", None),
            (6, 1.0, 7, "red", "S", None), (7, 3.0, -1, "green", "M", None)]
    return spark.createDataFrame(rows, SCHEMA)


def _fit(rows: DataFrame, algorithm: str, drop_last: bool, scaled: bool = False) -> PipelineModel:
    # `n` is its own category index: out of range, negative or null at scoring time.
    encoded = ["color__onehot", "size__onehot", "n__onehot"]
    features = ["x", *encoded]
    stages = [
        StringIndexer(inputCols=["color", "size"], outputCols=["color__index", "size__index"], handleInvalid="keep"),
        OneHotEncoder(inputCol="color__index", outputCol="color__onehot", handleInvalid="keep", dropLast=drop_last),
        OneHotEncoder(inputCols=["size__index", "n"], outputCols=["size__onehot", "n__onehot"], handleInvalid="keep"),
    ]
    if scaled:  # a vector input that is not a one-hot block
        stages += [VectorAssembler(inputCols=["x", "n"], outputCol="raw", handleInvalid="keep"),
                   StandardScaler(inputCol="raw", outputCol="scaled")]
        features = ["scaled", *encoded]
    stages.append(VectorAssembler(inputCols=features, outputCol="features", handleInvalid="keep"))
    task = "classification" if algorithm.endswith("classifier") else "regression"
    booster = build_estimator(algorithm, task, PARAMS, "features", "y")
    return Pipeline(stages=[Pipeline(stages=stages), booster]).fit(rows)


@pytest.fixture(scope="module")
def training(spark) -> DataFrame:
    return _rows(spark, 120).cache()


@pytest.mark.parametrize("drop_last", [True, False])
def test_regressor_predictions_equal_the_pipeline_transform(spark, training, drop_last):
    model = _fit(training, "xgboost_regressor", drop_last)
    rows = _scoring_rows(spark).unionByName(_rows(spark, 30))
    stages = pipeline_stages(model)
    blocks = feature_blocks(stages, PipelineModel(stages[:-1]).transform(rows).schema)
    # StringIndexer's 'keep' adds an index for unseen values, the encoder's 'keep' one slot
    # more, which dropLast removes: three colors and their unseen index take 4 (+1) slots.
    assert [(block.name, block.width) for block in blocks] == [
        ("x", 0), ("color__onehot", 5 - int(drop_last)), ("size__onehot", 5), ("n__onehot", 4)]
    expected = model.transform(rows).select("id", "prediction")
    assert_df_equality(score_pipeline(model, rows).select("id", "prediction"), expected, ignore_row_order=True)


def test_classifier_outputs_equal_the_pipeline_transform(spark, training):
    labelled = training.withColumn("y", (F.col("y") > 40).cast("double"))
    model = _fit(labelled, "xgboost_classifier", drop_last=True)
    rows = _scoring_rows(spark)
    columns = ["id", "prediction", "probability", "rawPrediction"]
    fused = score_pipeline(model, rows).select(*columns)
    assert_df_equality(fused, model.transform(rows).select(*columns), ignore_row_order=True)
    assert all(math.isclose(sum(row.probability), 1.0, abs_tol=1e-6) for row in fused.collect())


def test_a_vector_input_that_is_not_one_hot_falls_back_to_the_transform(spark, training):
    model = _fit(training, "xgboost_regressor", drop_last=True, scaled=True)
    rows = _scoring_rows(spark)
    stages = pipeline_stages(model)
    assert feature_blocks(stages, PipelineModel(stages[:-1]).transform(rows).schema) is None
    expected = model.transform(rows).select("id", "prediction")
    assert_df_equality(score_pipeline(model, rows).select("id", "prediction"), expected, ignore_row_order=True)


def test_an_encoder_that_raises_on_invalid_indices_is_left_to_the_transform(spark, training):
    model = _fit(training, "xgboost_regressor", drop_last=True)
    stages = pipeline_stages(model)
    schema = PipelineModel(stages[:-1]).transform(_scoring_rows(spark)).schema
    assert feature_blocks(stages, schema) is not None
    encoders = [stage for stage in stages if isinstance(stage, OneHotEncoderModel)]
    encoders[-1].setHandleInvalid("error")
    assert feature_blocks(stages, schema) is None


def test_a_single_assembler_input_is_scored_as_the_transform_scores_it(spark, training):
    model = Pipeline(stages=[
        VectorAssembler(inputCols=["x"], outputCol="features", handleInvalid="keep"),
        build_estimator("xgboost_regressor", "regression", PARAMS, "features", "y"),
    ]).fit(training)
    rows = _scoring_rows(spark)
    expected = model.transform(rows).select("id", "prediction")
    assert_df_equality(score_pipeline(model, rows).select("id", "prediction"), expected, ignore_row_order=True)
