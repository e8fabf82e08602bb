"""Every feature stage survives save -> load, alone in a PipelineModel and through MLflow."""

from __future__ import annotations

import datetime as dt

import mlflow
import pytest
from chispa import assert_df_equality
from pyspark.ml import Pipeline, PipelineModel

import transforms.features as fe
from jobs.common.tracking import model_pip_requirements

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

QUALITY = {"Po": 1, "Fa": 2, "TA": 3, "Gd": 4, "Ex": 5}


def all_stages() -> list:
    """One of each stage, chained so each reads columns the frame has at that point."""
    return [
        fe.MissingIndicator(inputCols=["num"]),
        fe.MeanMedianImputer(inputCols=["num"], outputCols=["num_mean"], strategy="median"),
        fe.ArbitraryNumberImputer(inputCols=["num"], outputCols=["num_arb"]),
        fe.EndTailImputer(inputCols=["num"], outputCols=["num_tail"], imputationMethod="iqr"),
        fe.CategoricalImputer(inputCols=["cat"], strategy="frequent"),
        fe.RareLabelEncoder(inputCols=["cat"], outputCols=["cat_rare"], tol=0.4, nCategories=1),
        fe.OrdinalEncoder(inputCols=["cat"], outputCols=["cat_ord"], labelCol="y"),
        fe.CountFrequencyEncoder(inputCols=["cat"], outputCols=["cat_freq"], encodingMethod="frequency"),
        fe.MeanEncoder(inputCols=["cat"], outputCols=["cat_mean"], labelCol="y", smoothing=2.0),
        fe.WoEEncoder(inputCols=["cat"], outputCols=["cat_woe"], labelCol="y"),
        fe.DatePartExtractor(inputCols=["d"], parts=["year", "day_of_week"]),
        fe.ElapsedTime(inputCols=["d"], outputCols=["days"], referenceCol="d2", unit="days"),
        fe.CyclicalFeatures(inputCols=["month"]),
        fe.LogTransformer(inputCols=["x"], outputCols=["x_log"]),
        fe.LogCpTransformer(inputCols=["x"], outputCols=["x_logcp"]),
        fe.PowerTransformer(inputCols=["x"], outputCols=["x_pow"], exp=2.0),
        fe.BoxCoxTransformer(inputCols=["x"], outputCols=["x_bc"]),
        fe.YeoJohnsonTransformer(inputCols=["x"], outputCols=["x_yj"]),
        fe.EqualWidthDiscretiser(inputCols=["x"], outputCols=["x_ew"], bins=3),
        fe.EqualFrequencyDiscretiser(inputCols=["x"], outputCols=["x_ef"], bins=3),
        fe.ArbitraryDiscretiser(inputCols=["x"], outputCols=["x_ab"], binEdges=[0.0, 2.0, 100.0]),
        fe.Winsorizer(inputCols=["x"], outputCols=["x_w"], cappingMethod="quantiles", tail="both"),
        fe.ValueMapper(mapping=QUALITY, inputCols=["q"], defaultValue=0.0),
        fe.OneHotEncoder(inputCols=["cat"], dropLast=True),
        fe.OutlierTrimmer(inputCols=["x"], cappingMethod="iqr", fold=3.0),
    ]


@pytest.fixture(scope="module")
def frame(spark):
    day = dt.date(2024, 1, 1)
    rows = [
        (1.0, "a", 1.0, day, day + dt.timedelta(days=3), 1, 0.5, "Gd"),
        (2.0, "a", 0.0, day, day + dt.timedelta(days=5), 2, 1.0, "TA"),
        (None, "b", 1.0, day, day + dt.timedelta(days=1), 3, 2.0, "Ex"),
        (4.0, "b", 0.0, day, day, 4, 3.0, None),
        (5.0, "a", 1.0, day, day, 5, 5.0, "Po"),
        (None, "b", 0.0, day, day, 6, 8.0, "Fa"),
        (7.0, None, 1.0, day, day, 7, 13.0, "Gd"),
        (8.0, "b", 0.0, day, day, 12, 40.0, "Gd"),
    ]
    return spark.createDataFrame(
        rows, "num double, cat string, y double, d date, d2 date, month int, x double, q string"
    ).cache()


@pytest.fixture(scope="module")
def fitted(frame) -> PipelineModel:
    return Pipeline(stages=all_stages()).fit(frame)


def test_the_pipeline_covers_every_exported_stage(fitted):
    estimators = {type(s).__name__ for s in all_stages()}
    fitted_names = {type(s).__name__ for s in fitted.stages}
    assert set(fe.__all__) == estimators | fitted_names


def test_save_load_transform_gives_identical_output(frame, fitted, tmp_path):
    fitted.write().overwrite().save(str(tmp_path / "pipeline"))
    loaded = PipelineModel.load(str(tmp_path / "pipeline"))
    assert [type(s) for s in loaded.stages] == [type(s) for s in fitted.stages]
    assert_df_equality(loaded.transform(frame), fitted.transform(frame), ignore_nullable=True)


def test_each_stage_loads_as_its_own_class(fitted, tmp_path):
    for i, stage in enumerate(fitted.stages):
        path = str(tmp_path / f"stage{i}")
        stage.write().overwrite().save(path)
        loaded = type(stage).load(path)
        assert loaded.uid == stage.uid
        assert {p.name: v for p, v in loaded.extractParamMap().items()} == {
            p.name: v for p, v in stage.extractParamMap().items()
        }


def test_round_trip_through_mlflow_spark(spark, frame, fitted, tmp_path):
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = mlflow.create_experiment("features", artifact_location=str(tmp_path / "artifacts"))
    scoring = frame.drop("y")  # a deployed pipeline never sees the label
    with mlflow.start_run(experiment_id=experiment):
        info = mlflow.spark.log_model(fitted, "model", pip_requirements=model_pip_requirements())
    loaded = mlflow.spark.load_model(info.model_uri)
    assert_df_equality(loaded.transform(scoring), fitted.transform(scoring), ignore_nullable=True)
