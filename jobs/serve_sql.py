"""Serve the lakehouse tables over JDBC/ODBC (Spark Thrift server) for beeline and BI tools.

Starts Spark's Thrift server with Delta and the in-memory catalog (no Derby metastore lock, so
jobs keep writing while analysts query), after registering every Delta table found under the
lakehouse root, and the scoring views, in the server's own session. Clients get read-only
statements only (see jobs/common/java/ReadOnlyGuard.java) unless --allow-writes is given. It
listens on 127.0.0.1; another address needs authentication (--password-file, or Hive's LDAP
settings through --hiveconf). Tables written after the start are picked up by restarting the
command. Runs in the foreground until stopped (Ctrl-C, SIGTERM).

    lakehouse-sql-server --port 10000
    beeline -u jdbc:hive2://127.0.0.1:10000/ -e "SELECT count(*) FROM house_sales.predictions"
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
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
from jobs.common.sql_guard import (
    AUTHENTICATOR_CLASS,
    EXTENSION_CLASS,
    PASSWORD_FILE_PROPERTY,
    SERVER_MAIN_CLASS,
    SqlGuardError,
    guard_classes,
)
from jobs.common.sql_passwords import PasswordFileError, check_password_file, set_password
from jobs.common.tables import local_tables, registration_sql
from jobs.common.views import view_statements

SPARK_HOME = Path(pyspark.__file__).parent
DELTA_PACKAGE = f"io.delta:delta-spark_2.13:{metadata.version('delta-spark')}"
# Where spark-submit --packages keeps the JARs it resolved (Spark 4's default ivy folder).
IVY_JARS = Path.home() / ".ivy2.5.2" / "jars"
# Hive's authentication modes that check a user's password or ticket (NONE and NOSASL do not).
AUTHENTICATING_MODES = {"CUSTOM", "LDAP", "KERBEROS", "PAM"}
OWN_HIVE_SETTINGS = {"hive.server2.thrift.bind.host": "--host", "hive.server2.thrift.port": "--port"}


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


def is_loopback(host: str) -> bool:
    """Whether every address `host` names is a loopback one (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses)


def authentication_refusal(host: str, password_file: Path | None, hiveconf: dict[str, str]) -> str | None:
    """Why the server must not listen on `host` as configured, or None."""
    mode = "CUSTOM" if password_file else hiveconf.get("hive.server2.authentication", "NONE").upper()
    if is_loopback(host) or mode in AUTHENTICATING_MODES:
        return None
    return (f"--host {host} is not a loopback address and no authentication is configured; "
            "pass --password-file FILE (or --hiveconf hive.server2.authentication=LDAP with its settings)")


def serve(settings: Settings, host: str, port: int, timeout: float, *, allow_writes: bool = False,
          password_file: Path | None = None, hiveconf: dict[str, str] | None = None) -> int:
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


def parse_hiveconf(pairs: list[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise ConfigError(f"--hiveconf {pair!r} is not KEY=VALUE")
        if key.strip() in OWN_HIVE_SETTINGS:
            # The address is checked against the authentication: it comes from --host only.
            raise ConfigError(f"--hiveconf {key.strip()}: use {OWN_HIVE_SETTINGS[key.strip()]} instead")
        settings[key.strip()] = value
    return settings


def _add_user(password_file: Path | None, user: str) -> None:
    if password_file is None:
        raise PasswordFileError("--add-user needs --password-file FILE")
    # Read from the terminal without echo, or from standard input when it is not a terminal.
    password = getpass.getpass(f"password for {user}: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    set_password(password_file, user, password)
    print(f"{password_file}: user {user} set", flush=True)


def _arguments() -> argparse.ArgumentParser:
    parser = job_parser(__doc__)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: %(default)s; another one needs authentication)")
    parser.add_argument("--port", type=int, default=10000, help="Thrift port (default: %(default)s)")
    parser.add_argument("--start-timeout", type=float, default=600, help="seconds to wait for the server")
    parser.add_argument("--allow-writes", action="store_true",
                        help="run every statement unchecked: writes, DDL, TRANSFORM, reads of file paths")
    parser.add_argument("--password-file", type=Path, default=None,
                        help="users and salted password hashes; logins are checked against it")
    parser.add_argument("--add-user", metavar="USER", default=None,
                        help="set USER's password in --password-file (read from the terminal or stdin), then exit")
    parser.add_argument("--hiveconf", action="append", default=[], metavar="KEY=VALUE",
                        help="a HiveServer2 setting, e.g. hive.server2.authentication=LDAP (repeatable)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _arguments().parse_args(argv)
    try:
        if args.add_user is not None:
            _add_user(args.password_file, args.add_user)
            return
        hiveconf = parse_hiveconf(args.hiveconf)
        refused = authentication_refusal(args.host, args.password_file, hiveconf)
        if refused:
            print(f"lakehouse-sql-server: refused: {refused}", file=sys.stderr)
            raise SystemExit(2)
        if args.password_file is not None:
            check_password_file(args.password_file)
        settings = load_settings(args.use_case, args.env, args.conf_dir, args.overrides)
        code = serve(settings, args.host, args.port, args.start_timeout, allow_writes=args.allow_writes,
                     password_file=args.password_file, hiveconf=hiveconf)
    except (ConfigError, PasswordFileError, SqlGuardError) as error:
        print(f"lakehouse-sql-server: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except (RuntimeError, TimeoutError) as error:  # the server's own log above says why
        print(f"lakehouse-sql-server: error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    raise SystemExit(code)


if __name__ == "__main__":
    main()
