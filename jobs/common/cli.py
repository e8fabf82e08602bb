"""Command-line plumbing shared by every job: arguments, config, session, tables."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pyspark.sql import SparkSession

from jobs.common.config import ConfigError, Settings, load_settings
from jobs.common.errors import CONFIG_ERROR, DATA_ERROR, UserError
from jobs.common.progress import Stage
from jobs.common.session import get_spark, is_connect
from jobs.common.tables import TableStore
from jobs.common.views import register_views
from transforms.modeling.defaults import DefaultsError
from transforms.modeling.gate import GateError
from transforms.modeling.labels import LabelError
from transforms.modeling.split import SplitTableError

log = logging.getLogger("lakehouse_ml")

# The project's own loggers (INFO, DEBUG with -v) and the chatty libraries kept at WARNING. A job
# run as `python -m jobs.train` (or as a Databricks python file) logs as `__main__`.
OWN_LOGGERS = ("lakehouse_ml", "jobs", "transforms", "bench", "__main__")
QUIET_LOGGERS = ("py4j", "urllib3", "mlflow", "matplotlib", "xgboost", "XGBoost-PySpark", "PIL",
                 "alembic", "git", "fontTools", "numexpr")
# The loggers MLflow gives a handler of its own when imported (mlflow.utils.logging_utils).
MLFLOW_CONFIGURED_LOGGERS = ("mlflow", "alembic", "huey", "sqlalchemy.engine")
# pyspark logs every SQL / DataFrame error it converts, as a JSON line with the JVM stack, at
# ERROR, before raising it: the exception itself reaches the user (one line or a traceback), so
# these copies only show with -v.
QUERY_CONTEXT_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")
# Foreseeable failures raised by the library (no I/O, so it cannot know UserError), exit DATA_ERROR.
DATA_ERRORS = (UserError, LabelError, SplitTableError, DefaultsError, GateError)


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
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="more log output (DEBUG for the project, INFO for Spark) and tracebacks")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error too")
    return parser


def configure_logging(verbose: bool = False) -> None:
    """The project's loggers at INFO (DEBUG when verbose), everything else at WARNING."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in QUERY_CONTEXT_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR if verbose else logging.CRITICAL)
    quiet_mlflow_prints(verbose)


def quiet_mlflow_prints(verbose: bool) -> None:
    """MLflow prints some events with print(), not through a logger ("Successfully registered model
    'x'.", "Created version '3' of model 'x'."), to the stream its loggers' handler writes to as
    well: give that handler a stream of its own (its warnings still show) and switch the printed
    one off unless verbose. The train job logs its own line saying what it registered."""
    # Not imported yet: a job that never imports MLflow has nothing of it to print, and importing
    # it here would cost every job seconds.
    logging_utils = sys.modules.get("mlflow.utils.logging_utils")
    if logging_utils is None:
        return
    printed = logging_utils.MLFLOW_LOGGING_STREAM
    for name in MLFLOW_CONFIGURED_LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is printed:
                handler.setStream(logging_utils.MlflowLoggingStream())
    printed.enabled = verbose


def open_context(args: argparse.Namespace, whole_catalog: bool = True) -> JobContext:
    """Settings, session and tables; `whole_catalog` registers every table on disk (and the views)
    for SQL by name, else each table is registered when the job first touches it."""
    settings = load_settings(args.use_case, args.env, args.conf_dir, args.overrides)
    spark = get_spark(settings)
    if getattr(args, "verbose", False) and not is_connect(spark):
        spark.sparkContext.setLogLevel("INFO")
    tables = TableStore(spark, settings)
    if whole_catalog and tables.register_all():
        register_views(spark, settings, tables)
    return JobContext(settings, spark, tables)


def _fail(error: Exception, code: int, args: argparse.Namespace) -> None:
    """One line (the message) and exit `code`; the traceback first under --debug / -v."""
    if getattr(args, "debug", False) or getattr(args, "verbose", False):
        traceback.print_exception(error)
    print(f"error: {error}", file=sys.stderr)
    raise SystemExit(code) from None


def run_job(
    description: str,
    body: Callable[[JobContext, argparse.Namespace], object],
    argv: list[str] | None = None,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    stage: Stage | None = None,
    whole_catalog: bool = False,
) -> object:
    """Parse `argv`, open the context and run `body`; a lifecycle `stage` prints its progress
    line (name, rows, seconds) when the body ends, as run_all prints it for each stage.

    A job's tables are registered as it touches them; one that runs SQL naming any table asks
    for the `whole_catalog` at start (see `open_context`).

    Configuration errors exit 2 (CONFIG_ERROR), foreseeable data and state errors 3
    (DATA_ERROR), each with one line on stderr; any other exception is a bug and propagates
    with its traceback.
    """
    parser = job_parser(description)
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    with foreseeable_errors(args):
        context = open_context(args, whole_catalog)
        return body(context, args) if stage is None else stage.run(body, context, args)


@contextmanager
def foreseeable_errors(args: argparse.Namespace) -> Iterator[None]:
    """A configuration error inside the block exits 2 (CONFIG_ERROR), a foreseeable data or state
    error 3 (DATA_ERROR), each as one line on stderr (the traceback too under --debug / -v)."""
    try:
        yield
    except ConfigError as error:
        _fail(error, CONFIG_ERROR, args)
    except DATA_ERRORS as error:
        _fail(error, DATA_ERROR, args)
