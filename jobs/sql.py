"""Run a read-only SQL statement against the lakehouse tables by name, e.g.
SELECT * FROM house_sales.predictions. Writes, TRANSFORM, reflect() and reads of file paths are
refused unless --allow-writes is given.

A separate process can run this while other jobs write: the local catalog holds no lock.
"""

from __future__ import annotations

import argparse
import sys

from py4j.protocol import Py4JJavaError
from pyspark.errors import AnalysisException

from jobs.common.cli import JobContext, run_job
from jobs.common.session import is_connect
from jobs.common.sql_guard import SqlGuardError, refusal
from jobs.common.table_names import unknown_table


def _refuse(message: str) -> None:
    print(f"lakehouse-sql: {message}", file=sys.stderr)
    raise SystemExit(2)


def check_read_only(context: JobContext, query: str) -> None:
    """Exit 2 with one line unless `query` parses to a read-only statement."""
    if is_connect(context.spark):
        _refuse("refused: the read-only check needs a classic Spark session (spark.remote is set); "
                "pass --allow-writes to send the statement unchecked")
    try:
        reason = refusal(context.spark, query)
    except SqlGuardError as error:
        _refuse(f"error: {error}")
    except Py4JJavaError as error:
        # Method.invoke wraps what the parser raised (a syntax error, most often).
        cause = error.java_exception.getCause() or error.java_exception
        _refuse(f"error: {str(cause.getMessage()).strip().splitlines()[0]}")
    if reason is not None:
        _refuse(f"refused: {reason}; pass --allow-writes to run it")


def run_sql(context: JobContext, args: argparse.Namespace) -> list:
    if not args.allow_writes:
        check_read_only(context, args.query)
    try:
        result = context.spark.sql(args.query)
        rows = result.limit(args.max_rows).collect()
    except AnalysisException as error:
        unknown = unknown_table(context.spark, error)
        if unknown is None:
            raise
        raise unknown from error
    result.show(args.max_rows, truncate=False)
    return rows


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="a SQL statement; tables as <schema>.<table>")
    parser.add_argument("--max-rows", type=int, default=20, help="rows to print (default: %(default)s)")
    parser.add_argument(
        "--allow-writes", action="store_true",
        help="run the statement unchecked: writes, DDL, TRANSFORM, reads of file paths",
    )


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, run_sql, argv, _arguments, whole_catalog=True)


if __name__ == "__main__":
    main()
