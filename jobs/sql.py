"""Run SQL against the lakehouse tables by name, e.g. SELECT * FROM house_sales.predictions.

A separate process can run this while other jobs write: the local catalog holds no lock.
"""

from __future__ import annotations

import argparse

from jobs.common.cli import JobContext, run_job


def run_sql(context: JobContext, args: argparse.Namespace) -> list:
    result = context.spark.sql(args.query)
    rows = result.limit(args.max_rows).collect()
    result.show(args.max_rows, truncate=False)
    return rows


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="a SQL statement; tables as <schema>.<table>")
    parser.add_argument("--max-rows", type=int, default=20, help="rows to print (default: %(default)s)")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, run_sql, argv, _arguments)


if __name__ == "__main__":
    main()
