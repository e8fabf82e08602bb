"""A tiny fitted pipeline with this project's own stages, logged with `log_pipeline_model`."""

from __future__ import annotations

import datetime
from pathlib import Path

import mlflow
from mlflow.models.model import ModelInfo
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import StringIndexer, VectorAssembler
from pyspark.sql import DataFrame, SparkSession

from jobs.common.model_logging import log_pipeline_model
from transforms.features import MeanMedianImputer, RareLabelEncoder
from transforms.modeling.estimators import build_estimator

RAW = "sub_class int, area int, zone string, note string, built date"
INPUTS = ["sub_class", "area", "zone", "note", "built"]


def house_rows(spark: SparkSession) -> DataFrame:
    """`sub_class` is an integer read as a category (60 and 20 frequent, 190 rare) that sets the
    price; `area` and `zone` have nulls; `note` is null in every row."""
    rows = [(60 if i % 3 else 20, None if i % 4 == 0 else 100 + i, None if i % 5 == 0 else "AB"[i % 2], None,
             datetime.date(2000 + i % 7, 1 + i % 12, 1), (300.0 if i % 3 else 100.0) + i)
            for i in range(40)]
    rows.append((190, 50, "C", None, datetime.date(1990, 6, 1), 150.0))
    return spark.createDataFrame(rows, f"{RAW}, price double")


def fit_house_pipeline(rows: DataFrame, algorithm: str = "linear_regression") -> PipelineModel:
    params = {"n_estimators": 8, "max_depth": 3} if algorithm.startswith("xgboost") else {}
    return Pipeline(stages=[
        MeanMedianImputer(inputCols=["area"]),
        RareLabelEncoder(inputCols=["sub_class"], tol=0.1, nCategories=1),
        StringIndexer(inputCols=["sub_class", "zone"], outputCols=["sub_index", "zone_index"], handleInvalid="keep"),
        VectorAssembler(inputCols=["area", "sub_index", "zone_index"], outputCol="features", handleInvalid="keep"),
        build_estimator(algorithm, "regression", params, "features", "price"),
    ]).fit(rows)


def log_house_model(spark: SparkSession, tmp_path: Path, algorithm: str = "linear_regression",
                    name: str = "house") -> tuple[PipelineModel, ModelInfo]:
    """Fit the pipeline and log it into an MLflow store under `tmp_path` (registered as `name`)."""
    rows = house_rows(spark)
    model = fit_house_pipeline(rows, algorithm)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = mlflow.get_experiment_by_name("models")
    experiment_id = experiment.experiment_id if experiment else mlflow.create_experiment(
        "models", artifact_location=str(tmp_path / "artifacts"))
    with mlflow.start_run(experiment_id=experiment_id):
        info = log_pipeline_model(spark, model, rows.select(INPUTS), name, str(tmp_path / "staging"))
    return model, info
