"""The whole lifecycle under `spark-submit` on a real Spark standalone cluster.

A master and two one-core workers start on 127.0.0.1 from the pip install (`spark-class`), the
pipeline is submitted with the project's wheel in `--py-files`, executors run in their own JVMs
on the workers, and the tables and the registered model are checked afterwards. The cluster is
stopped by PID whatever happens.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from jobs.common.config import load_settings
from tests.spark_processes import (
    DELTA_PACKAGE,
    ROOT,
    build_wheel,
    conf_args,
    lakehouse_overrides,
    spark_env,
    spark_submit,
    standalone_cluster,
    start,
    without_info,
)
from transforms.ingestion.synthetic import malformed_count

pytestmark = pytest.mark.cluster

ROWS, SCORE_ROWS = 2000, 300
WORKERS = 2


@pytest.fixture(scope="module")
def cluster(workdir: Path):
    """A standalone master and two workers (1 core, 1g each); yields the master URL and worker dirs."""
    tmp = workdir / "cluster"
    tmp.mkdir()
    with standalone_cluster(tmp, WORKERS, cores=1, memory="1g") as (master_url, _, worker_dirs):
        yield master_url, worker_dirs


@pytest.fixture(scope="module")
def submitted(cluster, workdir: Path):
    """run_all submitted to the cluster; returns the run's folder and the worker dirs."""
    master_url, worker_dirs = cluster
    tmp = workdir / "run"
    tmp.mkdir()
    wheel = build_wheel(tmp / "dist")
    driver = start("spark-submit", spark_submit(
        "--master", master_url, "--deploy-mode", "client",
        "--packages", DELTA_PACKAGE, "--py-files", str(wheel),
        *conf_args({
            "spark.executor.memory": "512m", "spark.executor.cores": "1", "spark.cores.max": str(WORKERS),
            "spark.driver.memory": "1g", "spark.ui.enabled": "false",
        }),
        str(ROOT / "jobs" / "run_all.py"), *lakehouse_overrides(tmp, ROWS, SCORE_ROWS),
    ), tmp / "spark-submit.log", spark_env())
    try:
        returncode = driver.process.wait(timeout=1800)
    finally:
        driver.stop()  # its own process group: the Python driver goes with the JVM
    assert returncode == 0, without_info(driver.log.read_text(errors="replace"))
    return tmp, worker_dirs


def test_silver_and_predictions_tables_hold_the_expected_rows(submitted, spark) -> None:
    tmp, _ = submitted
    settings = load_settings("house_sales", overrides=[f"lakehouse.root={tmp}/lakehouse"])
    fraction = settings.generator.malformed_fraction
    lakehouse = Path(settings.lakehouse.root) / settings.use_case.schema_

    def rows(table: str) -> int:
        return spark.read.format("delta").load(str(lakehouse / table)).count()

    # Silver keeps every well-formed generated row; the score job predicts every listing.
    assert rows(settings.source("sales").silver) == ROWS - malformed_count(1, ROWS, fraction)
    listings = rows(settings.score.input_table)
    assert listings == SCORE_ROWS - malformed_count(ROWS + 1, SCORE_ROWS, fraction)
    assert rows(settings.score.output_table) == listings


def test_the_registered_model_carries_its_alias(submitted) -> None:
    tmp, _ = submitted
    settings = load_settings("house_sales")
    mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
    version = MlflowClient().get_model_version_by_alias(settings.model.name, settings.model.alias)
    assert str(version.version) == "1"
    assert MlflowClient().get_run(version.run_id).data.metrics["test_rmse"] > 0


def test_executors_ran_in_their_own_jvms_on_both_workers(submitted) -> None:
    _, worker_dirs = submitted
    for work_dir in worker_dirs:
        # The worker writes each executor's stdout/stderr under <work dir>/<app id>/<executor id>.
        executor_logs = list(work_dir.glob("app-*/*/stderr"))
        assert executor_logs, f"no executor ran on {work_dir}"
        assert any("CoarseGrainedExecutorBackend" in log.read_text(errors="replace") for log in executor_logs)
