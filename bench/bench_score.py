"""Batch scoring throughput: native Spark ML vs spark_udf vs pandas + scikit-learn vs the I/O floor.

Generates ``--rows`` house sales into a Delta table, fits the same random forest (same trees,
depth and inputs) in Spark ML and in scikit-learn on 20,000 rows, then times, each from the
Delta input to a written output:

* native: ``PipelineModel.transform`` shaped into the prediction table, written to Delta
  partitioned by scoring date (what ``jobs.score`` does);
* spark_udf: the same model logged to MLflow and applied with ``mlflow.pyfunc.spark_udf``;
* pandas + scikit-learn: the input's Parquet files read with pandas, ``predict``, written to
  Parquet, in this one process;
* I/O floor: a plain Delta -> Delta copy of the same rows.

Run::

    .venv/bin/python -m bench.bench_score --rows 1000000
    .venv/bin/python -m bench.bench_score --rows 10000000 --skip-udf
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

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

from jobs.common.config import load_settings
from jobs.common.session import get_spark
from jobs.common.tracking import model_pip_requirements
from transforms.scoring import SCORING_DATE, ModelIdentity, prediction_table
from transforms.synthetic import house_sales

NUMERIC = ["living_area", "lot_area", "year_built", "bedrooms", "bathrooms", "overall_quality", "garage_cars"]
TREES, DEPTH, TRAIN_ROWS = 20, 8, 20_000
IDENTITY = ModelIdentity("bench_price", "1", "champion", "bench")


def spark_model(train: DataFrame) -> PipelineModel:
    imputed = [f"{c}_imputed" for c in NUMERIC]
    return Pipeline(stages=[
        StringIndexer(inputCol="neighborhood", outputCol="hood_index", handleInvalid="keep"),
        Imputer(inputCols=NUMERIC, outputCols=imputed, strategy="median"),
        VectorAssembler(inputCols=[*imputed, "hood_index"], outputCol="features", handleInvalid="keep"),
        RandomForestRegressor(featuresCol="features", labelCol="sale_price", numTrees=TREES, maxDepth=DEPTH, seed=1),
    ]).fit(train)


def sklearn_model(train: pd.DataFrame):
    columns = ColumnTransformer([
        ("numeric", SimpleImputer(strategy="median"), NUMERIC),
        ("hood", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["neighborhood"]),
    ])
    forest = SklearnForest(n_estimators=TREES, max_depth=DEPTH, n_jobs=2, random_state=1)
    return make_pipeline(columns, forest).fit(train[[*NUMERIC, "neighborhood"]], train["sale_price"])


def timed(label: str, rows: int, run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    print(f"{label:<24} {rows:>10,} rows {seconds:>8.1f} s {rows / seconds:>12,.0f} rows/s", flush=True)
    return rows / seconds


def write_predictions(scored: DataFrame, path: str) -> None:
    table = prediction_table(scored, ["sale_id"], IDENTITY, datetime.now(timezone.utc), ["neighborhood"], "bench")
    table.write.format("delta").mode("overwrite").partitionBy(SCORING_DATE).save(path)


def run(spark: SparkSession, rows: int, work: Path, skip_udf: bool) -> None:
    inputs = str(work / "input")
    house_sales(spark, rows, seed=3, partitions=8, labelled=False).write.format("delta").mode("overwrite").save(inputs)
    train = house_sales(spark, TRAIN_ROWS, seed=4, partitions=2).select(*NUMERIC, "neighborhood", "sale_price")
    native = spark_model(train)
    forest = sklearn_model(train.toPandas())  # 20,000 training rows, not the scored data
    source = spark.read.format("delta").load(inputs)
    print(f"\n== {rows:,} rows, random forest {TREES} trees depth {DEPTH}, {spark.sparkContext.master} ==")

    floor = timed("I/O floor (Delta copy)", rows, lambda: source.write.format("delta").mode("overwrite").save(
        str(work / "copy")))
    speed = timed("native Spark ML", rows, lambda: write_predictions(native.transform(source), str(work / "native")))
    files = source.inputFiles()

    def pandas_sklearn() -> None:
        frame = pd.concat([pd.read_parquet(f.removeprefix("file:")) for f in files], ignore_index=True)
        frame["prediction"] = forest.predict(frame[[*NUMERIC, "neighborhood"]])
        frame[["sale_id", "prediction", "neighborhood"]].to_parquet(work / "pandas.parquet")

    pandas_speed = timed("pandas + scikit-learn", rows, pandas_sklearn)
    print(f"native / I/O floor: {floor / speed:.2f}x the floor's time; native / pandas: {speed / pandas_speed:.2f}x")
    # Last: 11-15x slower than native, it would hold up the figures above.
    if not skip_udf:
        mlflow.set_tracking_uri(f"sqlite:///{work}/mlflow.db")
        with mlflow.start_run():
            info = mlflow.spark.log_model(native, artifact_path="model", pip_requirements=model_pip_requirements())
        predict = mlflow.pyfunc.spark_udf(spark, info.model_uri, result_type="double", env_manager="local")
        udf_scored = source.withColumn("prediction", predict(F.struct(*[F.col(c) for c in [*NUMERIC, "neighborhood"]])))
        timed("mlflow spark_udf", rows, lambda: write_predictions(udf_scored, str(work / "udf")))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--skip-udf", action="store_true", help="leave out the (slow) spark_udf path")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench_score_"))
    settings = load_settings("house_sales", overrides=[
        f"lakehouse.root={work}", f"spark.master={args.master}",
        f"spark.conf[spark.driver.memory]={args.driver_memory}",
    ])
    spark = get_spark(settings)
    try:
        for rows in args.rows:
            run(spark, rows, work, args.skip_udf)
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
