"""Training through Spark Connect, the protocol Databricks Connect and serverless use.

A local Spark Connect server (Delta-enabled, from the pip install) is started and stopped by
PID. The lakehouse (landing files, ingested tables, feature table) is prepared by this test
process's own classic session: ingestion's streaming foreachBatch needs a Python worker on the
server (see the README's "Spark Connect" limits). Then the configured built-in estimator is
fitted and assessed, and the score job runs, each in a separate process whose only Spark is the
remote session.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.common.cli import job_parser, open_context
from jobs.features import build_features
from jobs.generate import generate
from jobs.ingest import ingest
from jobs.promote import promote
from jobs.train import train
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
# The `workdir` fixture: one scratch folder for the module.
pytest_plugins = ["tests.spark_processes"]

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
    arguments = lakehouse_overrides(workdir, ROWS, SCORE_ROWS)
    context = open_context(job_parser("prepare").parse_args(arguments))
    generate(context)
    ingest(context)
    build_features(context)
    return arguments


FIT_BUILT_IN_ESTIMATOR = """
import json, sys
from pyspark.sql import functions as F
from jobs.common.cli import job_parser, open_context
from transforms.metrics import baseline_metrics, evaluate
from transforms.models import build_estimator

context = open_context(job_parser("fit").parse_args(sys.argv[1:]))
settings, use_case = context.settings, context.settings.use_case
features = context.tables.read(settings.features.output_table)
train, test = features.where(F.col("split") == "train"), features.where(F.col("split") == "test")
estimator = build_estimator(settings.model.algorithm, use_case.task, settings.model.params,
                            "features", use_case.label)
model = estimator.fit(train)
print(json.dumps({"session": type(context.spark).__module__,
                  "model": evaluate(model.transform(test), use_case.task, use_case.label),
                  "baseline": baseline_metrics(train, test, use_case.task, use_case.label)}))
"""


def test_a_built_in_estimator_trains_through_connect(connect_url, lakehouse) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", FIT_BUILT_IN_ESTIMATOR, *lakehouse, "--set", f"spark.remote={connect_url}"],
        cwd=ROOT, env=spark_env(), capture_output=True, text=True, timeout=1200,
    )
    assert completed.returncode == 0, without_info(completed.stderr)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["session"] == "pyspark.sql.connect.session"
    assert result["model"]["rmse"] < result["baseline"]["rmse"]


def test_the_score_job_runs_through_connect(spark, connect_url, lakehouse) -> None:
    context = open_context(job_parser("train").parse_args(lakehouse))
    version = train(context)["version"]
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
        (str(version), "champion")]
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
