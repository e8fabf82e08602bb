"""Training and scoring through Spark Connect, the protocol Databricks Connect and serverless use.

A local Spark Connect server (Delta-enabled, from the pip install) is started and stopped by
PID. The lakehouse (landing files, ingested tables, feature table) is prepared by this test
process's own classic session: ingestion's streaming foreachBatch needs a Python worker on the
server (see the README's "Spark Connect" limits). Then the train job and the score job run,
each in a separate process whose only Spark is the remote session.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mlflow
import mlflow.spark
import pytest
from mlflow.entities.model_registry import ModelVersion

from jobs.common.cli import JobContext, job_parser, open_context
from jobs.common.registry import model_staging
from jobs.common.tracking import client, configure_mlflow, registered_model_name
from jobs.features import build_features
from jobs.generate import generate
from jobs.ingest import ingest
from jobs.promote import promote
from tests.spark_processes import (
    DELTA_CONF,
    DELTA_PACKAGE,
    ROOT,
    conf_args,
    free_port,
    lakehouse_overrides,
    spark_env,
    spark_submit,
    start,
    without_info,
)

pytestmark = pytest.mark.cluster

ROWS, SCORE_ROWS = 1500, 300


@pytest.fixture(scope="module")
def connect_url(workdir: Path):
    port = free_port()
    server = start("spark-connect", spark_submit(
        "--master", "local[1]", "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--packages", DELTA_PACKAGE,
        *conf_args({
            **DELTA_CONF,
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(port),
            # Like the local jobs: no metastore lock, tables registered from the lakehouse folder.
            "spark.sql.catalogImplementation": "in-memory",
            "spark.sql.shuffle.partitions": "2",
            "spark.driver.memory": "1g",
            "spark.ui.enabled": "false",
        }),
        "spark-internal",
    ), workdir / "connect-server.log", spark_env())
    try:
        server.wait_for("Spark Connect server started", timeout=300)
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lakehouse(spark, workdir: Path) -> list[str]:
    """Ingested tables and the feature table, written by this process's classic session."""
    # Without house_sales' selection: its univariate F-test has no Spark Connect API in Spark 4.0
    # (transforms/selection/univariate.py says so in one line); the model is features + estimator.
    arguments = [*lakehouse_overrides(workdir, ROWS, SCORE_ROWS), "--set", "selection=null"]
    context = open_context(job_parser("prepare").parse_args(arguments))
    generate(context)
    ingest(context)
    build_features(context)
    return arguments


@pytest.fixture(scope="module")
def classic_context(spark, lakehouse) -> JobContext:
    """This process's classic session on the same lakehouse and MLflow store."""
    context = open_context(job_parser("check").parse_args(lakehouse))
    configure_mlflow(context.settings)
    return context


@pytest.fixture(scope="module")
def trained_through_connect(connect_url, lakehouse, classic_context) -> ModelVersion:
    """The train job, run through the Connect server: the model version it registered."""
    completed = subprocess.run(
        [sys.executable, "-m", "jobs.train", *lakehouse, "--set", f"spark.remote={connect_url}"],
        cwd=ROOT, env=spark_env(), capture_output=True, text=True, timeout=1200,
    )
    assert completed.returncode == 0, without_info(completed.stderr)
    settings = classic_context.settings
    return client().get_model_version_by_alias(registered_model_name(settings), settings.model.challenger_alias)


def test_the_train_job_fits_logs_and_registers_a_built_in_estimator_through_connect(
    classic_context, trained_through_connect
) -> None:
    version = trained_through_connect
    run = client().get_run(version.run_id)
    assert run.data.params["algorithm"] == "random_forest_regressor"
    assert run.data.metrics["test_rmse"] < run.data.metrics["baseline_test_rmse"]
    uri = f"models:/{version.name}/{version.version}"
    assert set(mlflow.models.get_model_info(uri).flavors) == {"spark", "python_function"}
    # The server wrote the pipeline into the staging folder; the job moved it into the model.
    staging = Path(model_staging(classic_context))
    assert staging.is_dir() and not any(staging.iterdir())
    # Logged through Connect, loaded by MLflow's own loader in a classic session.
    listings = classic_context.tables.read("listings_silver")
    predictions = mlflow.spark.load_model(uri).transform(listings)
    assert predictions.where("prediction IS NOT NULL").count() == listings.count()


def test_the_score_job_runs_through_connect(classic_context, connect_url, lakehouse, trained_through_connect) -> None:
    context = classic_context
    assert promote(context)["promoted"]  # no champion yet: the gate takes the first passing model
    completed = subprocess.run(
        [sys.executable, "-m", "jobs.score", *lakehouse, "--set", f"spark.remote={connect_url}"],
        cwd=ROOT, env=spark_env(), capture_output=True, text=True, timeout=1200,
    )
    assert completed.returncode == 0, without_info(completed.stderr)
    context.tables.register_all()  # written by the server
    predictions = context.tables.read("predictions")
    listings = context.tables.read("listings_silver").count()
    assert predictions.count() == predictions.select("sale_id").distinct().count() == listings
    assert [tuple(r) for r in predictions.select("model_version", "model_alias").distinct().collect()] == [
        (str(trained_through_connect.version), "champion")]
    audit = context.tables.read("score_audit").first()
    assert audit["rows_in"] == audit["rows_scored"] + audit["rows_quarantined"] == listings


def test_a_session_factory_with_spark_remote_returns_a_connect_session(connect_url: str) -> None:
    probe = (
        "from pyspark.sql.connect.session import SparkSession as Remote; "
        "from jobs.common.config import load_settings; from jobs.common.session import get_spark; "
        f"s = get_spark(load_settings('house_sales', overrides=['spark.remote={connect_url}'])); "
        "print(isinstance(s, Remote), s.range(5).count())"
    )
    completed = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=spark_env(),
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.split() == ["True", "5"]
