"""The SQL server command serves the lakehouse tables over JDBC: beeline counts the predictions;
by default it refuses writes, TRANSFORM and file-path reads; --allow-writes opens it, a
password file guards it, and it will not listen off loopback without authentication."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from jobs.common.sql_passwords import set_password
from jobs.common.sql_server import beeline
from tests.paths import REPO_ROOT
from tests.scoring_fixtures import context_for, scoring_settings
from tests.spark_processes import without_info

pytestmark = pytest.mark.e2e

ROOT = REPO_ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lakehouse(spark, tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("thrift")
    context = context_for(spark, scoring_settings(tmp_path / "lakehouse", tmp_path))
    at = datetime(2026, 1, 1, 8, 0, 0)
    predictions = spark.createDataFrame(
        [(1, 10.0, at, "v0"), (2, 20.0, at, "v0"), (3, 30.0, at, "v0"), (1, 11.0, at.replace(hour=9), "v1")],
        "sale_id bigint, prediction double, scored_at timestamp, batch_id string",
    )
    context.tables.write(predictions, "predictions")
    return tmp_path


@pytest.fixture(scope="module")
def sql_server_command(lakehouse):
    def command(port: int, *extra: str) -> list[str]:
        return [sys.executable, "-m", "jobs.serve_sql", "--port", str(port),
                "--set", f"lakehouse.root={lakehouse}/lakehouse", "--set", "spark.master=local[1]", *extra]
    return command


def _serve(command: list[str], log: Path) -> Iterator[None]:
    with log.open("w") as errors:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    ready = threading.Event()

    def watch() -> None:
        for line in process.stdout:
            if line.startswith("ready:"):
                ready.set()
        ready.set()  # the command ended: stop waiting

    threading.Thread(target=watch, daemon=True).start()
    try:
        ready.wait(timeout=900)
        assert process.poll() is None, f"the SQL server stopped:\n{without_info(log.read_text())}"
        yield
    finally:
        # The command and the Thrift server JVM it started share the session we created.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=120)


@pytest.fixture(scope="module")
def server(sql_server_command, tmp_path_factory) -> Iterator[str]:
    """The default server: read-only, no authentication, on 127.0.0.1."""
    port = _free_port()
    for _ in _serve(sql_server_command(port), tmp_path_factory.mktemp("server") / "log"):
        yield f"jdbc:hive2://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def open_server(sql_server_command, tmp_path_factory) -> Iterator[str]:
    """A server with --allow-writes, whose logins are checked against a password file."""
    passwords = tmp_path_factory.mktemp("passwords") / "users"
    set_password(passwords, "analyst", "right-horse-battery")
    port = _free_port()
    command = sql_server_command(port, "--allow-writes", "--password-file", str(passwords))
    for _ in _serve(command, passwords.with_name("log")):
        yield f"jdbc:hive2://127.0.0.1:{port}/"


def _cells(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.replace(" ", "")


def test_beeline_queries_the_predictions_and_the_latest_view(server) -> None:
    cells = _cells(beeline(server, query=(
        "SELECT count(*) AS n FROM house_sales.predictions; "
        "SELECT count(*) AS latest, sum(prediction) AS total FROM house_sales.predictions_latest;"
    )))
    assert "|4|" in cells
    assert "|3|61.0|" in cells  # keys 1 (latest: 11.0), 2 and 3


def test_the_default_server_refuses_transform_delete_and_file_reads(server, tmp_path) -> None:
    marker = tmp_path / "transform-ran"
    refused = {
        f"SELECT TRANSFORM(1) USING 'sh -c \"id > {marker}\"'": "TRANSFORM runs a program",
        "DELETE FROM house_sales.predictions WHERE true": "DELETE is not a read-only statement",
        "SELECT * FROM text.`/etc/hostname`": "`text`.`/etc/hostname` reads a file path, not a table",
    }
    for statement, reason in refused.items():
        result = beeline(server, query=statement)
        assert result.returncode != 0, statement
        assert f"refused: {reason}" in result.stderr, result.stderr[-3000:]
    assert not marker.exists()
    # The DELETE deleted nothing.
    assert "|4|" in _cells(beeline(server, query="SELECT count(*) FROM house_sales.predictions;"))


def test_a_password_file_rejects_a_wrong_password_and_admits_the_right_one(open_server) -> None:
    wrong = beeline(open_server, query="SELECT 1;", user="analyst", password="x")
    assert wrong.returncode != 0
    assert "Error validating the login" in wrong.stderr or "Peer indicated failure" in wrong.stderr, wrong.stderr[-3000:]
    assert beeline(open_server, query="SELECT 1;", user="mallory", password="x").returncode != 0
    assert "|4|" in _cells(beeline(open_server, query="SELECT count(*) FROM house_sales.predictions;",
                                   user="analyst", password="right-horse-battery"))


def test_allow_writes_lets_an_authenticated_user_write(open_server) -> None:
    login = {"user": "analyst", "password": "right-horse-battery"}
    _cells(beeline(open_server, query="DELETE FROM house_sales.predictions WHERE batch_id = 'v1';", **login))
    cells = _cells(beeline(open_server, query="SELECT count(*) FROM house_sales.predictions;", **login))
    assert "|3|" in cells


def test_a_non_loopback_host_without_authentication_is_refused_before_starting(sql_server_command) -> None:
    result = subprocess.run([*sql_server_command(_free_port()), "--host", "0.0.0.0"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "lakehouse-sql-server: refused: --host 0.0.0.0 is not a loopback address and no authentication "
        "is configured; pass --password-file FILE (or --hiveconf hive.server2.authentication=LDAP with "
        "its settings)"
    ]
