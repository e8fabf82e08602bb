"""Batch scoring throughput: native Spark ML vs spark_udf vs pandas + scikit-learn vs the I/O floor.

Generates ``--rows`` house sales into a Delta table, fits the same model on both sides on
20,000 rows, then times, each from the Delta input to a written output. ``--model`` picks it:

* ``forest``: a random forest (same trees, depth and inputs) in Spark ML and in scikit-learn
  over eight raw columns, a median imputer and an index of the neighborhood: a bare model,
  where Spark ML's per-row tree walk is the cost;
* ``pipeline``: what the project ships, the house-sales feature steps of the pipeline
  benchmark (bench.pipeline_spec: derived dates, imputers, rare labels, log, one-hot) then
  xgboost; pandas runs them with feature-engine (bench.pipeline_pandas) and xgboost.

The paths:

* I/O floor: a plain Delta -> Delta copy of the same rows (all 14 input columns);
* native: the fitted pipeline applied as the score job applies it
  (``transforms.scoring.booster.score_pipeline``: ``PipelineModel.transform``, an xgboost tail
  fed from its assembler's inputs), shaped into the prediction table and written by
  ``jobs.common.predictions.write_predictions`` (the job's own write: Delta, partitioned by
  scoring date, statistics on the skipping columns);
* score job: ``jobs.common.scoring.score_batch`` (what ``jobs.score`` runs) end to end with the
  model registered in MLflow: model load from the registry, input count, input screening,
  predictions, quarantine (rows in, scored and quarantined reconciled from the Delta commits'
  metrics), audit row and views (what users run; ``--skip-job`` leaves it out);
* pandas + scikit-learn: the input's Parquet files read with pandas, ``predict``, written to
  Parquet, in this one process;
* spark_udf: the same model applied with ``mlflow.pyfunc.spark_udf`` (the forest only: an
  xgboost.spark model cannot be loaded in the executors, where spark_udf loads it).

Before the timed runs both Spark paths run once on a small slice, so that neither pays the
JVM's warm-up (the first path timed used to). Each Spark line also gives the task seconds of
its jobs (REST API): under load they show the work apart from the wait for a core.

Run::

    .venv/bin/python -m bench.bench_score --rows 1000000
    .venv/bin/python -m bench.bench_score --rows 10000000 --skip-udf --model forest pipeline
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import mlflow.spark
import pandas as pd
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import Imputer, StringIndexer, VectorAssembler
from pyspark.ml.regression import RandomForestRegressor
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor as SklearnForest
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from bench import pipeline_spec as spec
from bench.pipeline_pandas import feature_pipeline
from bench.spark_metrics import jobs_since, last_job_id
from jobs.common.cli import JobContext
from jobs.common.config import Settings, load_settings
from jobs.common.model_inputs import model_input_columns
from jobs.common.predictions import write_predictions
from jobs.common.scoring import score_batch
from jobs.common.session import get_spark
from jobs.common.tables import TableStore
from jobs.common.tracking import (
    client,
    configure_mlflow,
    model_pip_requirements,
    registered_model_name,
)
from transforms.features.pipeline import FEATURES_COLUMN, Step, build_feature_pipeline
from transforms.ingestion.synthetic import house_sales
from transforms.modeling.estimators import build_estimator
from transforms.scoring.booster import score_pipeline
from transforms.scoring.table import ModelIdentity, prediction_table

NUMERIC = ["living_area", "lot_area", "year_built", "bedrooms", "bathrooms", "overall_quality", "garage_cars"]
TREES, DEPTH, TRAIN_ROWS = 20, 8, 20_000
IDENTITY = ModelIdentity("bench_price", "1", "champion", "bench")
KEY, PASS_THROUGH = ["sale_id"], ["neighborhood"]
WARM_UP_ROWS = 50_000
BENCH_BATCH = "bench"


def spark_forest(train: DataFrame) -> PipelineModel:
    imputed = [f"{c}_imputed" for c in NUMERIC]
    return Pipeline(stages=[
        StringIndexer(inputCol="neighborhood", outputCol="hood_index", handleInvalid="keep"),
        Imputer(inputCols=NUMERIC, outputCols=imputed, strategy="median"),
        VectorAssembler(inputCols=[*imputed, "hood_index"], outputCol="features", handleInvalid="keep"),
        RandomForestRegressor(featuresCol="features", labelCol="sale_price", numTrees=TREES, maxDepth=DEPTH, seed=1),
    ]).fit(train.select(*NUMERIC, "neighborhood", "sale_price"))


def sklearn_forest(train: pd.DataFrame):
    columns = ColumnTransformer([
        ("numeric", SimpleImputer(strategy="median"), NUMERIC),
        ("hood", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["neighborhood"]),
    ])
    forest = SklearnForest(n_estimators=TREES, max_depth=DEPTH, n_jobs=2, random_state=1)
    return make_pipeline(columns, forest).fit(train[[*NUMERIC, "neighborhood"]], train["sale_price"])


def spark_pipeline(train: DataFrame) -> PipelineModel:
    features = build_feature_pipeline([Step(*step) for step in spec.feature_steps()],
                                      model_input_columns(train.columns, spec.LABEL), label=spec.LABEL)
    booster = build_estimator("xgboost_regressor", "regression", spec.XGBOOST_PARAMS, FEATURES_COLUMN, spec.LABEL)
    return Pipeline(stages=[features, booster]).fit(train)


def sklearn_pipeline(train: pd.DataFrame):
    import xgboost

    return make_pipeline(feature_pipeline(), xgboost.XGBRegressor(**spec.XGBOOST_PARAMS, n_jobs=2)).fit(
        with_datetimes(train), train[spec.LABEL])


def with_datetimes(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as datetime64, which feature-engine's steps want (Parquet's dates arrive as objects)."""
    return frame.assign(**{spec.DATE: pd.to_datetime(frame[spec.DATE])})


@dataclass(frozen=True)
class ScoringModel:
    """One model fitted on both sides, and the input columns the pandas side passes to it."""

    spark_fit: Callable[[DataFrame], PipelineModel]
    sklearn_fit: Callable[[pd.DataFrame], Any]
    pandas_input: Callable[[pd.DataFrame], pd.DataFrame]
    labelled: bool  # feature-engine's pipeline drops the label, so its input holds one
    description: str
    # Why mlflow's spark_udf cannot apply the model, if it cannot.
    no_udf_because: str | None = None


MODELS = {
    "forest": ScoringModel(spark_forest, sklearn_forest, lambda frame: frame[[*NUMERIC, "neighborhood"]], False,
                           f"random forest {TREES} trees depth {DEPTH}"),
    "pipeline": ScoringModel(spark_pipeline, sklearn_pipeline, with_datetimes, True,
                             "feature pipeline + xgboost (bench.pipeline_spec)",
                             "xgboost.spark's model reader needs the driver's session and refuses to run in "
                             "the executors' Python workers, where spark_udf loads the model"),
}


def timed(label: str, rows: int, run: Callable[[], None], spark: SparkSession | None = None) -> float:
    before = last_job_id(spark) if spark is not None else -1
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    work = jobs_since(spark, before) if spark is not None else {}
    tasks = f"  task {work['task_seconds']:7.1f} s in {work['jobs']} jobs" if work else ""
    print(f"{label:<24} {rows:>10,} rows {seconds:>8.1f} s {rows / seconds:>12,.0f} rows/s{tasks}", flush=True)
    return rows / seconds


def write_predictions_of(tables: TableStore, scored: DataFrame, table: str) -> None:
    """The prediction table of `scored`, written the way the score job writes it."""
    predictions = prediction_table(scored, KEY, IDENTITY, datetime.now(timezone.utc), PASS_THROUGH, BENCH_BATCH)
    write_predictions(tables, predictions, table, [BENCH_BATCH], KEY)


def register(native: PipelineModel, settings: Settings) -> str:
    """Log and register the fitted pipeline as the champion; return its URI.

    Without a signature: spark_udf would enforce one inferred from a sample, and the input's
    integer columns hold nulls.
    """
    configure_mlflow(settings)
    name = registered_model_name(settings)
    with mlflow.start_run():
        info = mlflow.spark.log_model(native, artifact_path="model", pip_requirements=model_pip_requirements(),
                                      registered_model_name=name)
    client().set_registered_model_alias(name, "champion", str(info.registered_model_version))
    return info.model_uri


def run(spark: SparkSession, settings: Settings, rows: int, work: Path, model: str, skip_udf: bool,
        skip_job: bool) -> None:
    kind = MODELS[model]
    tables = TableStore(spark, settings)
    inputs = str(work / f"input_{model}")
    house_sales(spark, rows, seed=3, partitions=8, labelled=kind.labelled).write.format("delta").mode(
        "overwrite").save(inputs)
    train = house_sales(spark, TRAIN_ROWS, seed=4, partitions=2)
    native = kind.spark_fit(train)
    fitted = kind.sklearn_fit(train.toPandas())  # 20,000 training rows, not the scored data
    source = spark.read.format("delta").load(inputs)
    model_uri = register(native, settings)

    warm = source.limit(WARM_UP_ROWS)
    warm.write.format("delta").mode("overwrite").save(str(work / f"warm_copy_{model}"))
    write_predictions_of(tables, score_pipeline(native, warm), "warm_predictions")
    print(f"\n== {rows:,} rows, {kind.description}, {spark.sparkContext.master} ==")

    floor = timed("I/O floor (Delta copy)", rows, lambda: source.write.format("delta").mode("overwrite").save(
        str(work / f"copy_{model}_{rows}")), spark)
    speed = timed("native Spark ML", rows,
                  lambda: write_predictions_of(tables, score_pipeline(native, source), f"native_{model}_{rows}"), spark)
    if not skip_job:
        source.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(
            tables.location(settings.score.input_table))
        tables.register_all()
        context = JobContext(settings, spark, tables)
        timed("score job (jobs.score)", rows, lambda: score_batch(context, full=True), spark)
    files = source.inputFiles()

    def pandas_sklearn() -> None:
        frame = pd.concat([pd.read_parquet(f.removeprefix("file:")) for f in files], ignore_index=True)
        frame["prediction"] = fitted.predict(kind.pandas_input(frame))
        frame[["sale_id", "prediction", "neighborhood"]].to_parquet(work / "pandas.parquet")

    pandas_speed = timed("pandas + scikit-learn", rows, pandas_sklearn)
    print(f"native / I/O floor: {floor / speed:.2f}x the floor's time; native / pandas: {speed / pandas_speed:.2f}x")
    # Last: 11-15x slower than native, it would hold up the figures above.
    if skip_udf:
        return
    if kind.no_udf_because:
        print(f"{'mlflow spark_udf':<24} not run: {kind.no_udf_because}", flush=True)
    else:
        predict = mlflow.pyfunc.spark_udf(spark, model_uri, result_type="double", env_manager="local")
        # Every input column: the pipeline model reads them all, the forest the ones it needs.
        udf_scored = source.withColumn("prediction", predict(F.struct(*[F.col(c) for c in source.columns])))
        timed("mlflow spark_udf", rows, lambda: write_predictions_of(tables, udf_scored, f"udf_{model}_{rows}"), spark)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--skip-udf", action="store_true", help="leave out the (slow) spark_udf path")
    parser.add_argument("--skip-job", action="store_true", help="leave out the score job end to end")
    parser.add_argument("--model", nargs="+", choices=sorted(MODELS), default=["forest"],
                        help="the model(s) scored: a bare random forest, or the project's feature pipeline + xgboost")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench_score_"))
    settings = load_settings("house_sales", overrides=[
        f"lakehouse.root={work}", f"lakehouse.landing={work}/landing", f"spark.master={args.master}",
        f"spark.conf[spark.driver.memory]={args.driver_memory}",
        "spark.conf[spark.ui.enabled]=true", "spark.conf[spark.ui.port]=0",
        f"mlflow.tracking_uri=sqlite:///{work}/mlflow.db", f"mlflow.artifact_location={work}/mlartifacts",
        # The generated rows have no ingestion time: each run scores the whole input table.
        "score.incremental.mode=none", f"score.pass_through={PASS_THROUGH}",
    ])
    spark = get_spark(settings)
    try:
        for model in args.model:
            for rows in args.rows:
                run(spark, settings, rows, work, model, args.skip_udf, args.skip_job)
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
