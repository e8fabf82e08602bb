"""The whole lifecycle on a small generated data set in a temporary lakehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from jobs.common.cli import job_parser, open_context
from jobs.features import build_features
from jobs.generate import generate
from jobs.ingest import ingest
from jobs.promote import promote
from jobs.score import score
from jobs.train import train
from tests.paths import REPO_ROOT
from transforms.ingestion.synthetic import malformed_count

pytestmark = pytest.mark.e2e

ROOT = REPO_ROOT
ROWS, SCORE_ROWS, MALFORMED = 3000, 600, 0.01


def _overrides(tmp: Path) -> list[str]:
    return [
        f"lakehouse.root={tmp}/lakehouse",
        f"lakehouse.landing={tmp}/landing",
        f"mlflow.tracking_uri=sqlite:///{tmp}/mlflow.db",
        f"mlflow.artifact_location={tmp}/mlartifacts",
        f"generator.rows={ROWS}",
        f"generator.score_rows={SCORE_ROWS}",
        f"generator.malformed_fraction={MALFORMED}",
        "generator.partitions=2",
        # Two candidates, as the demo has, but small: cross-validation, selection inside the model.
        "model.candidates=[{name: linear, algorithm: linear_regression, grid: {regParam: [0.01, 100.0]}},"
        " {name: forest, algorithm: random_forest_regressor, params: {numTrees: 12, maxDepth: 6}}]",
    ]


def _cli_args(tmp: Path) -> list[str]:
    return [arg for override in _overrides(tmp) for arg in ("--set", override)]


@pytest.fixture(scope="module")
def lifecycle(spark, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    context = open_context(job_parser("e2e").parse_args(_cli_args(tmp)))
    results = {
        "generate": generate(context),
        "ingest": ingest(context),
        "features": build_features(context),
        "train": train(context),
        # Training registers a challenger; the gate makes it the champion scoring uses.
        "promote": promote(context),
        "score": score(context),
    }
    return tmp, context, results


def test_every_generated_row_is_in_silver_or_quarantine(lifecycle) -> None:
    _, context, results = lifecycle
    for source, first_id, rows in (("sales", 1, ROWS), ("listings", ROWS + 1, SCORE_ROWS)):
        malformed = malformed_count(first_id, rows, MALFORMED)
        assert malformed > 0
        assert results["generate"][source] == {"rows": rows, "malformed_rows": malformed, "seed": 42}
        counts = results["ingest"][source]
        settings = context.settings.source(source)
        assert counts["rows_read"] == rows
        # Bronze keeps every line read, as raw strings; silver keeps the rows that parse and
        # type-check, which is all but the generator's declared malformed ones.
        assert context.tables.read(settings.table).count() == counts["rows_bronze"] == rows
        assert context.tables.read(settings.silver).count() == counts["rows_silver"] == rows - malformed
        quarantine = context.tables.read(settings.quarantine)
        assert quarantine.count() == counts["rows_quarantined"] == malformed
        assert quarantine.where("raw_record IS NULL OR reason IS NULL OR _source_file IS NULL").count() == 0


def test_feature_table_splits_training_rows(lifecycle) -> None:
    _, context, results = lifecycle
    bronze = context.tables.read("sales_silver").count()
    assert results["features"]["train"] + results["features"]["test"] == bronze
    assert 0.15 < results["features"]["test"] / bronze < 0.25


def test_every_scored_row_has_a_prediction_with_model_identity(lifecycle) -> None:
    _, context, results = lifecycle
    predictions = context.spark.sql(
        f"SELECT * FROM {context.tables.qualified('predictions')}"
    )
    listings = context.tables.read("listings_silver")
    assert predictions.count() == listings.count() == results["score"]["rows_scored"]
    assert predictions.select("sale_id").distinct().count() == listings.count()
    identity = predictions.select("model_name", "model_version", "model_alias").distinct().collect()
    assert [tuple(r) for r in identity] == [("house_sales_price", results["train"]["version"], "champion")]
    assert predictions.where("prediction IS NULL OR scored_at IS NULL").count() == 0


def test_registered_model_has_the_alias_and_lineage(lifecycle) -> None:
    _, context, results = lifecycle
    mlflow.set_tracking_uri(context.settings.mlflow.tracking_uri)
    version = MlflowClient().get_model_version_by_alias("house_sales_price", "champion")
    assert str(version.version) == results["train"]["version"]
    run = MlflowClient().get_run(version.run_id)
    assert run.data.tags["source_table"] == "house_sales.sales_silver"
    assert run.data.tags["config_fingerprint"] == context.settings.fingerprint()
    assert "test_rmse" in run.data.metrics and "baseline_test_rmse" in run.data.metrics


def test_model_beats_the_mean_baseline_on_held_out_rows(lifecycle) -> None:
    _, _, results = lifecycle
    metrics, baseline = results["train"]["metrics"], results["train"]["baseline"]
    assert metrics["rmse"] < 0.8 * baseline["rmse"]
    assert metrics["r2"] > 0.4


def _env() -> dict[str, str]:
    # PYTHONPATH: spark-submit puts the script's folder first on sys.path, not the checkout.
    return {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
            "PYTHONPATH": str(ROOT)}


def _errors(stderr: str) -> str:
    """Spark's INFO chatter hides the traceback: keep the rest."""
    return "\n".join(line for line in stderr.splitlines() if " INFO " not in line)[-4000:]


def test_a_new_process_queries_predictions_by_name_while_a_job_runs(lifecycle) -> None:
    tmp, context, _ = lifecycle
    # This test process keeps its own Spark session open on the lakehouse; a second job (the
    # score job) runs in a third process while the `sql` command reads the predictions table.
    job = subprocess.Popen(
        [sys.executable, "-m", "jobs.score", *_cli_args(tmp)],
        cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        query = subprocess.run(
            [sys.executable, "-m", "jobs.sql", *_cli_args(tmp),
             "SELECT (SELECT count(*) FROM house_sales.predictions) AS n, "
             "(SELECT count(*) FROM house_sales.predictions_latest) AS latest"],
            cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300,
        )
    finally:
        _, job_errors = job.communicate(timeout=300)
    assert query.returncode == 0, _errors(query.stderr)
    expected = context.tables.read("listings_silver").count()
    # The latest-prediction view is defined in the new process too: one row per key.
    assert f"|{expected}|{expected}|" in query.stdout.replace(" ", "")
    assert job.returncode == 0, _errors(job_errors)


def test_train_job_runs_under_spark_submit(lifecycle) -> None:
    tmp, context, results = lifecycle
    spark_submit = Path(sys.executable).with_name("spark-submit")
    completed = subprocess.run(
        [str(spark_submit), "--master", "local[2]", "--packages", "io.delta:delta-spark_2.13:4.0.1",
         "jobs/train.py", *_cli_args(tmp)],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, _errors(completed.stderr)
    mlflow.set_tracking_uri(context.settings.mlflow.tracking_uri)
    # Training registers a new challenger; only the gate moves the champion.
    challenger = MlflowClient().get_model_version_by_alias(
        "house_sales_price", context.settings.model.challenger_alias
    )
    assert int(challenger.version) == int(results["train"]["version"]) + 1
