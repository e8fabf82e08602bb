"""Command-line plumbing shared by every job: arguments, config, session, tables."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import SparkSession

from jobs.common.config import ConfigError, Settings, load_settings
from jobs.common.session import get_spark
from jobs.common.tables import TableStore
from jobs.common.views import register_views
from transforms.modeling.labels import LabelError

log = logging.getLogger("lakehouse_ml")


@dataclass(frozen=True)
class JobContext:
    """What a job needs: validated settings, the session and the use case's tables."""

    settings: Settings
    spark: SparkSession
    tables: TableStore


def job_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--use-case",
        default="house_sales",
        help="use case name under conf/use_cases, or a path to your own YAML (default: %(default)s)",
    )
    parser.add_argument(
        "--env", default="local", help="environment overlay conf/env/<env>.yml (default: %(default)s)"
    )
    parser.add_argument("--conf-dir", default=None, help="a conf folder of your own instead of the packaged one")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config key, e.g. --set lakehouse.root=/data/lh (repeatable)",
    )
    return parser


def open_context(args: argparse.Namespace) -> JobContext:
    settings = load_settings(args.use_case, args.env, args.conf_dir, args.overrides)
    spark = get_spark(settings)
    tables = TableStore(spark, settings)
    if tables.register_all():
        register_views(spark, settings, tables)
    return JobContext(settings, spark, tables)


def run_job(
    description: str,
    body: Callable[[JobContext, argparse.Namespace], object],
    argv: list[str] | None = None,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> object:
    """Parse `argv`, open the context and run `body`; config errors exit 2 with their message."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = job_parser(description)
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        context = open_context(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        return body(context, args)
    except LabelError as error:
        # Foreseeable and fixed in config or data: one line, not a traceback.
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
