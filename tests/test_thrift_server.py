"""The SQL server command serves the lakehouse tables over JDBC: beeline counts the predictions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

from jobs.serve_sql import beeline
from tests.scoring_fixtures import context_for, scoring_settings

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def lakehouse(spark, tmp_path) -> Path:
    context = context_for(spark, scoring_settings(tmp_path / "lakehouse", tmp_path))
    at = datetime(2026, 1, 1, 8, 0, 0)
    predictions = spark.createDataFrame(
        [(1, 10.0, at, "v0"), (2, 20.0, at, "v0"), (3, 30.0, at, "v0"), (1, 11.0, at.replace(hour=9), "v1")],
        "sale_id bigint, prediction double, scored_at timestamp, batch_id string",
    )
    context.tables.write(predictions, "predictions")
    return tmp_path


@pytest.fixture
def server(lakehouse):
    port = _free_port()
    command = [sys.executable, "-m", "jobs.serve_sql", "--port", str(port),
               "--set", f"lakehouse.root={lakehouse}/lakehouse", "--set", "spark.master=local[1]"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    ready = threading.Event()

    def watch() -> None:
        for line in process.stdout:
            if line.startswith("ready:"):
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert ready.wait(timeout=900), "the SQL server did not become ready"
        yield f"jdbc:hive2://127.0.0.1:{port}/"
    finally:
        # The command and the Thrift server JVM it started share the session we created.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=120)


def test_beeline_queries_the_predictions_and_the_latest_view(server) -> None:
    result = beeline(server, query=(
        "SELECT count(*) AS n FROM house_sales.predictions; "
        "SELECT count(*) AS latest, sum(prediction) AS total FROM house_sales.predictions_latest;"
    ))
    assert result.returncode == 0, result.stderr[-3000:]
    cells = result.stdout.replace(" ", "")
    assert "|4|" in cells
    assert "|3|61.0|" in cells  # keys 1 (latest: 11.0), 2 and 3
