"""lakehouse-sql is read-only unless told otherwise: the parsed plan decides, not the text."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from jobs.common.config import ConfigError
from jobs.common.sql_guard import refusal
from jobs.common.sql_passwords import PasswordFileError, check_password_file, set_password
from jobs.common.sql_server_access import authentication_refusal, parse_hiveconf
from jobs.sql import run_sql
from tests.scoring_fixtures import context_for, scoring_settings

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


@pytest.fixture
def context(spark, tmp_path):
    context = context_for(spark, scoring_settings(tmp_path / "lakehouse", tmp_path))
    context.tables.write(spark.createDataFrame([(1, 10.0), (2, 20.0)], "sale_id bigint, prediction double"),
                         "predictions")
    return context


def _run(context, query: str, allow_writes: bool = False) -> list:
    return run_sql(context, argparse.Namespace(query=query, max_rows=20, allow_writes=allow_writes))


def _refused(context, capsys, query: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        _run(context, query)
    assert exit_.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    return line


def test_a_select_runs(context) -> None:
    rows = _run(context, "SELECT sum(prediction) AS total FROM house_sales.predictions")
    assert rows[0]["total"] == 30.0


def test_a_delete_is_refused_and_deletes_nothing(context, capsys) -> None:
    line = _refused(context, capsys, "DELETE FROM house_sales.predictions WHERE true")
    assert line == "lakehouse-sql: refused: DELETE is not a read-only statement; pass --allow-writes to run it"
    assert context.tables.read("predictions").count() == 2


def test_a_transform_is_refused_and_runs_nothing(context, capsys, tmp_path) -> None:
    marker = tmp_path / "transform-ran"
    line = _refused(context, capsys, f"SELECT TRANSFORM(1) USING 'sh -c \"id > {marker}\"'")
    assert line.startswith("lakehouse-sql: refused: TRANSFORM runs a program on the server")
    assert not marker.exists()


def test_a_file_path_read_is_refused(context, capsys, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not print me\n")
    line = _refused(context, capsys, f"SELECT * FROM text.`{secret}`")
    assert line == (f"lakehouse-sql: refused: `text`.`{secret}` reads a file path, not a table; "
                    "pass --allow-writes to run it")


def test_allow_writes_runs_a_write(context) -> None:
    _run(context, "DELETE FROM house_sales.predictions WHERE sale_id = 1", allow_writes=True)
    assert context.tables.read("predictions").count() == 1


def test_a_syntax_error_is_one_line(context, capsys) -> None:
    line = _refused(context, capsys, "SELEC 1")
    assert line.startswith("lakehouse-sql: error: [PARSE_SYNTAX_ERROR]")


@pytest.mark.parametrize("statement", [
    "SELECT 1", "VALUES (1, 2)", "WITH t AS (SELECT 1 AS a) SELECT a FROM t", "SHOW TABLES",
    "DESCRIBE house_sales.predictions", "EXPLAIN SELECT 1", "SET spark.sql.shuffle.partitions",
    "SELECT * FROM house_sales.predictions WHERE sale_id IN (SELECT sale_id FROM house_sales.predictions)",
])
def test_reads_pass(spark, statement: str) -> None:
    assert refusal(spark, statement) is None


@pytest.mark.parametrize(("statement", "reason"), [
    ("INSERT INTO house_sales.predictions VALUES (3, 1.0)", "INSERT is not"),
    ("CREATE TABLE x USING text LOCATION '/etc' AS SELECT 1", "CREATE TABLE AS SELECT is not"),
    ("EXPLAIN DELETE FROM house_sales.predictions", "DELETE is not"),
    ("EXECUTE IMMEDIATE 'DELETE FROM house_sales.predictions'", "ExecuteImmediateQuery is not"),
    ("SET spark.sql.runSQLOnFiles=true", "SET with a value is not"),
    ("SELECT reflect('java.lang.System', 'getProperty', 'user.name')", "reflect() calls Java"),
    ("SELECT '${env:HOME}'", "variable substitution"),
    ("SELECT (SELECT max(value) FROM text.`/etc/hostname`)", "reads a file path"),
    ("WITH t AS (SELECT * FROM csv.`/etc/passwd`) SELECT * FROM t", "reads a file path"),
    ("SELECT * FROM spark_catalog.delta.`/tmp/any`", "reads a file path"),
    ("DESCRIBE binaryFile.`/etc`", "reads a file path"),
    ("SELECT * FROM house_sales.predictions WITH ('path' = '/etc')", "options on a table"),
])
def test_writes_and_escapes_are_refused(spark, statement: str, reason: str) -> None:
    assert reason in (refusal(spark, statement) or "")


def test_the_password_file_holds_only_salted_hashes(tmp_path: Path) -> None:
    passwords = tmp_path / "users"
    set_password(passwords, "analyst", "first")
    set_password(passwords, "analyst", "second")
    text = passwords.read_text()
    assert len(text.splitlines()) == 1 and "second" not in text
    assert passwords.stat().st_mode & 0o077 == 0
    check_password_file(passwords)
    with pytest.raises(PasswordFileError, match="holds ':'"):
        set_password(passwords, "a:b", "x")
    (tmp_path / "bad").write_text("analyst:plaintext\n")
    with pytest.raises(PasswordFileError, match=r"bad:1: not a user:pbkdf2-sha256"):
        check_password_file(tmp_path / "bad")


def test_only_loopback_may_listen_without_authentication(tmp_path: Path) -> None:
    assert authentication_refusal("127.0.0.1", None, {}) is None
    assert authentication_refusal("localhost", None, {}) is None
    assert authentication_refusal("0.0.0.0", tmp_path / "users", {}) is None
    assert authentication_refusal("0.0.0.0", None, {"hive.server2.authentication": "LDAP"}) is None
    assert "no authentication is configured" in authentication_refusal("0.0.0.0", None, {})
    assert "no authentication" in authentication_refusal("10.1.2.3", None, {"hive.server2.authentication": "NOSASL"})


def test_the_listening_address_comes_from_host_only() -> None:
    with pytest.raises(ConfigError, match=r"--hiveconf hive.server2.thrift.bind.host: use --host instead"):
        parse_hiveconf(["hive.server2.thrift.bind.host=0.0.0.0"])
    assert parse_hiveconf(["hive.server2.authentication=LDAP"]) == {"hive.server2.authentication": "LDAP"}
