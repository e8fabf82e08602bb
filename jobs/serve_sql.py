"""Serve the lakehouse tables over JDBC/ODBC (Spark Thrift server) for beeline and BI tools.

Starts `HiveThriftServer2` with Delta and the in-memory catalog (no Derby metastore lock, so
jobs keep writing while analysts query), then registers every Delta table found under the
lakehouse root, and the scoring views, through beeline. Tables written after the start are
picked up by restarting the command. Runs in the foreground until stopped (Ctrl-C, SIGTERM).

    lakehouse-sql-server --port 10000
    beeline -u jdbc:hive2://127.0.0.1:10000/ -e "SELECT count(*) FROM house_sales.predictions"
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import pyspark

from jobs.common.cli import job_parser
from jobs.common.config import ConfigError, Settings, load_settings
from jobs.common.session import DELTA_CATALOG, DELTA_EXTENSION
from jobs.common.tables import local_tables, registration_sql
from jobs.common.views import view_statements

THRIFT_SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
SPARK_HOME = Path(pyspark.__file__).parent
DELTA_PACKAGE = f"io.delta:delta-spark_2.13:{metadata.version('delta-spark')}"
# Where spark-submit --packages keeps the JARs it resolved (Spark 4's default ivy folder).
IVY_JARS = Path.home() / ".ivy2.5.2" / "jars"


def thrift_server_command(settings: Settings, host: str, port: int) -> list[str]:
    """spark-submit of the Thrift server with Delta on the driver's class path.

    `--packages` alone is not enough: the server opens each client session on a thread whose
    class loader does not see `--packages` JARs, and the Delta catalog class fails to load.
    """
    confs = {
        "spark.sql.extensions": DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
        "spark.sql.catalogImplementation": "in-memory",
        "spark.ui.enabled": "false",
        **settings.spark.conf,
    }
    command = [
        str(SPARK_HOME / "bin" / "spark-submit"), "--master", settings.spark.master,
        "--class", THRIFT_SERVER_CLASS, "--packages", DELTA_PACKAGE,
        "--driver-class-path", f"{IVY_JARS}/*",
    ]
    for key, value in confs.items():
        command += ["--conf", f"{key}={value}"]
    command += ["--hiveconf", f"hive.server2.thrift.port={port}",
                "--hiveconf", f"hive.server2.thrift.bind.host={host}", "spark-internal"]
    return command


def startup_sql(settings: Settings) -> list[str]:
    """CREATE statements for every Delta table under the lakehouse root, then the scoring views."""
    statements: list[str] = []
    for schema, table, location in local_tables(settings.lakehouse.root):
        statements += registration_sql(f"`{schema}`.`{table}`", schema, location)
    schema = settings.use_case.schema_
    if (Path(settings.lakehouse.root) / schema / settings.score.output_table / "_delta_log").is_dir():
        statements += view_statements(settings, lambda table: f"{schema}.{table}")
    return statements


def beeline(url: str, sql_file: str | None = None, query: str | None = None) -> subprocess.CompletedProcess:
    """Run beeline (shipped with pyspark) against `url`; fails on the first failing statement."""
    command = [str(SPARK_HOME / "bin" / "beeline"), "-u", url, "--silent=true", "--showHeader=true"]
    command += ["-f", sql_file] if sql_file else ["-e", query or ""]
    return subprocess.run(command, capture_output=True, text=True, env=_env())


def wait_for_port(host: str, port: int, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the Thrift server exited with code {server.returncode} before listening")
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(2)
    raise TimeoutError(f"the Thrift server did not listen on {host}:{port} within {timeout:.0f} s")


def _env() -> dict[str, str]:
    return {**os.environ, "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1")}


def serve(settings: Settings, host: str, port: int, timeout: float) -> int:
    if not any(IVY_JARS.glob("io.delta_delta-spark_2.13-*.jar")):
        raise ConfigError(f"Delta JARs not found in {IVY_JARS}: run any job once (it downloads them), then retry")
    server = subprocess.Popen(thrift_server_command(settings, host, port), env=_env())
    # Stopping this command stops the server with it.
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        wait_for_port(host, port, server, timeout)
        url = f"jdbc:hive2://{host}:{port}/"
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
            script.write(";\n".join(startup_sql(settings)) + ";\n")
        registered = beeline(url, sql_file=script.name)
        os.unlink(script.name)
        if registered.returncode != 0:
            raise RuntimeError(f"registering the lakehouse tables failed:\n{registered.stderr[-3000:]}")
        print(f"ready: {url} serves the tables under {settings.lakehouse.root}", flush=True)
        return server.wait()
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=60)


def main(argv: list[str] | None = None) -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=10000, help="Thrift port (default: %(default)s)")
    parser.add_argument("--start-timeout", type=float, default=600, help="seconds to wait for the server")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.use_case, args.env, args.conf_dir, args.overrides)
        code = serve(settings, args.host, args.port, args.start_timeout)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    raise SystemExit(code)


if __name__ == "__main__":
    main()
