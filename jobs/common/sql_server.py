"""Launch Spark's Thrift server over the lakehouse tables, and talk to it with beeline.

The server runs with Delta and the in-memory catalog (no Derby metastore lock, so jobs keep
writing while analysts query), after registering every Delta table found under the lakehouse
root, and the scoring views, in the server's own session. Clients get read-only statements only
(see jobs/common/java/ReadOnlyGuard.java) unless writes are allowed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from importlib import metadata
from pathlib import Path

import pyspark

from jobs.common.config import ConfigError, Settings
from jobs.common.session import DELTA_CATALOG, DELTA_EXTENSION
from jobs.common.sql_guard import (
    AUTHENTICATOR_CLASS,
    EXTENSION_CLASS,
    PASSWORD_FILE_PROPERTY,
    SERVER_MAIN_CLASS,
    guard_classes,
)
from jobs.common.tables import local_tables, registration_sql
from jobs.common.views import view_statements

SPARK_HOME = Path(pyspark.__file__).parent
DELTA_PACKAGE = f"io.delta:delta-spark_2.13:{metadata.version('delta-spark')}"
# Where spark-submit --packages keeps the JARs it resolved (Spark 4's default ivy folder).
IVY_JARS = Path.home() / ".ivy2.5.2" / "jars"


def thrift_server_command(
    settings: Settings, host: str, port: int, startup_file: str, *, allow_writes: bool = False,
    password_file: Path | None = None, hiveconf: dict[str, str] | None = None,
) -> list[str]:
    """spark-submit of the Thrift server (ThriftServerMain.java) with Delta on the driver's class path.

    `--packages` alone is not enough: the server opens each client session on a thread whose
    class loader does not see `--packages` JARs, and the Delta catalog class fails to load.
    """
    # The guard wraps the parser of the extension before it, so it comes after Delta's.
    extensions = DELTA_EXTENSION if allow_writes else f"{DELTA_EXTENSION},{EXTENSION_CLASS}"
    confs = {
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
        "spark.sql.catalogImplementation": "in-memory",
        "spark.ui.enabled": "false",
        **settings.spark.conf,
        "spark.sql.extensions": extensions,
    }
    if not allow_writes:
        # Belt and braces beside the guard, which refuses `format`.`path` names on its own.
        confs["spark.sql.runSQLOnFiles"] = "false"
    command = [
        str(SPARK_HOME / "bin" / "spark-submit"), "--master", settings.spark.master,
        "--class", SERVER_MAIN_CLASS, "--packages", DELTA_PACKAGE,
        "--driver-class-path", f"{IVY_JARS}/*:{guard_classes()}",
    ]
    for key, value in confs.items():
        command += ["--conf", f"{key}={value}"]
    command += ["spark-internal", "--startup-sql", startup_file]
    if not allow_writes:
        command.append("--read-only")
    hive = {**(hiveconf or {}), "hive.server2.thrift.port": str(port), "hive.server2.thrift.bind.host": host}
    if password_file is not None:
        hive.update({
            "hive.server2.authentication": "CUSTOM",
            "hive.server2.custom.authentication.class": AUTHENTICATOR_CLASS,
            PASSWORD_FILE_PROPERTY: str(password_file.resolve()),
        })
    for key, value in hive.items():
        command += ["--hiveconf", f"{key}={value}"]
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


def beeline(url: str, sql_file: str | None = None, query: str | None = None,
            user: str | None = None, password: str | None = None) -> subprocess.CompletedProcess:
    """Run beeline (shipped with pyspark) against `url`; fails on the first failing statement."""
    command = [str(SPARK_HOME / "bin" / "beeline"), "-u", url, "--silent=true", "--showHeader=true"]
    if user is not None:
        command += ["-n", user]
    if password is not None:
        # From a file, not -p: a password on the command line shows in `ps`.
        with tempfile.NamedTemporaryFile("w", delete=False) as secret:
            secret.write(password)
        command += ["-w", secret.name]
    command += ["-f", sql_file] if sql_file else ["-e", query or ""]
    try:
        return subprocess.run(command, capture_output=True, text=True, env=_env())
    finally:
        if password is not None:
            os.unlink(secret.name)


def wait_for_port(host: str, port: int, server: subprocess.Popen, timeout: float) -> None:
    """Return once `server` accepts connections on `host:port`; fail if it exits or `timeout` passes."""
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


def serve(settings: Settings, host: str, port: int, timeout: float, *, allow_writes: bool = False,
          password_file: Path | None = None, hiveconf: dict[str, str] | None = None) -> int:
    """Run the server in the foreground until it stops; return its exit code."""
    if not any(IVY_JARS.glob("io.delta_delta-spark_2.13-*.jar")):
        raise ConfigError(f"Delta JARs not found in {IVY_JARS}: run any job once (it downloads them), then retry")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("\n;\n".join(startup_sql(settings)) + "\n;\n")
    command = thrift_server_command(settings, host, port, script.name, allow_writes=allow_writes,
                                    password_file=password_file, hiveconf=hiveconf)
    server = subprocess.Popen(command, env=_env())
    # Stopping this command stops the server with it.
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        wait_for_port(host, port, server, timeout)
        access = "reads and writes (--allow-writes)" if allow_writes else "read-only statements"
        print(f"ready: jdbc:hive2://{host}:{port}/ serves the tables under {settings.lakehouse.root}: {access}",
              flush=True)
        return server.wait()
    finally:
        os.unlink(script.name)
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=60)
