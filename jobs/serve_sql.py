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
import sys
from pathlib import Path

from jobs.common.cli import job_parser
from jobs.common.config import ConfigError, load_settings
from jobs.common.sql_guard import SqlGuardError
from jobs.common.sql_passwords import PasswordFileError, check_password_file, set_password
from jobs.common.sql_server import serve
from jobs.common.sql_server_access import authentication_refusal, parse_hiveconf


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
