"""Two tiny registered Spark ML models and a tiny scoring input, for the score and monitor jobs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import mlflow
import mlflow.spark
from mlflow.models import infer_signature
from pyspark.ml import Pipeline
from pyspark.ml.feature import StringIndexer, VectorAssembler
from pyspark.ml.regression import LinearRegression
from pyspark.sql import DataFrame, SparkSession

from jobs.common.cli import JobContext
from jobs.common.config import Settings, load_settings
from jobs.common.tables import TableStore
from jobs.common.tracking import (
    client,
    configure_mlflow,
    model_pip_requirements,
    registered_model_name,
)

INPUT_SCHEMA = "sale_id bigint, neighborhood string, living_area double, _ingested_at timestamp"
FIRST_BATCH = datetime(2026, 1, 1, 8, 0, 0)
SECOND_BATCH = datetime(2026, 1, 2, 8, 0, 0)


def scoring_settings(lakehouse: Path, mlflow_dir: Path, *overrides: str) -> Settings:
    return load_settings("house_sales", "local", overrides=[
        f"lakehouse.root={lakehouse}",
        f"lakehouse.landing={lakehouse}/landing",
        f"mlflow.tracking_uri=sqlite:///{mlflow_dir}/mlflow.db",
        f"mlflow.artifact_location={mlflow_dir}/mlartifacts",
        *overrides,
    ])


def context_for(spark: SparkSession, settings: Settings) -> JobContext:
    tables = TableStore(spark, settings)
    tables.register_all()
    return JobContext(settings, spark, tables)


def listings(spark: SparkSession, rows: list[tuple], schema: str = INPUT_SCHEMA) -> DataFrame:
    return spark.createDataFrame(rows, schema)


def first_listings(spark: SparkSession) -> DataFrame:
    return listings(spark, [
        (1, "north", 100.0, FIRST_BATCH),
        (2, "south", 150.0, FIRST_BATCH),
        (3, "north", 200.0, FIRST_BATCH),
        (4, "south", 120.0, FIRST_BATCH),
    ])


def register_price_model(spark: SparkSession, settings: Settings, price_per_area: float) -> str:
    """Fit price = price_per_area * living_area (+ a neighbourhood term), register it, return the version."""
    train = spark.createDataFrame(
        [(float(a), hood, price_per_area * a + (50.0 if hood == "north" else 0.0))
         for a in range(50, 250, 10) for hood in ("north", "south")],
        "living_area double, neighborhood string, sale_price double",
    )
    pipeline = Pipeline(stages=[
        StringIndexer(inputCol="neighborhood", outputCol="hood_index", handleInvalid="keep"),
        # No imputer for living_area: a null must come out as a NaN prediction (quarantined).
        VectorAssembler(inputCols=["living_area", "hood_index"], outputCol="features", handleInvalid="keep"),
        LinearRegression(featuresCol="features", labelCol="sale_price", maxIter=20),
    ])
    model = pipeline.fit(train)
    sample = train.select("neighborhood", "living_area").limit(5)
    configure_mlflow(settings)
    name = registered_model_name(settings)
    with mlflow.start_run():
        info = mlflow.spark.log_model(
            model, artifact_path="model", pip_requirements=model_pip_requirements(),
            signature=infer_signature(sample, model.transform(sample).select("prediction")),
            registered_model_name=name,
        )
    return str(info.registered_model_version)


def set_champion(settings: Settings, version: str) -> None:
    configure_mlflow(settings)
    client().set_registered_model_alias(registered_model_name(settings), "champion", version)
