"""Profile a table: column statistics appended to Delta, an HTML report to a file and MLflow.

(Named profile_table, not profile: spark-submit puts jobs/ first on sys.path, where a
`profile` module would shadow the standard library's.)
"""

from __future__ import annotations

import argparse
import logging

import mlflow

from jobs.common.cli import JobContext, run_job
from jobs.common.config import Settings
from jobs.common.progress import Stage
from jobs.common.report_files import REPORTS_FOLDER, write_report
from jobs.common.source_contracts import source_contract
from jobs.common.tracking import configure_mlflow
from transforms.profiling import STATS_TABLE_SCHEMA, ProfileSettings, TableProfile, profile_frame
from transforms.profiling.governance import column_roles
from transforms.profiling.html import render_report

log = logging.getLogger(__name__)

# The progress line of the job, alone or in run_all: name, rows, seconds.
STAGE = Stage("profile", lambda result: result.rows)

STATS_TABLE = "column_profile"


def report_path(settings: Settings, table: str, run_id: str) -> str:
    """Where the HTML report of a run goes: beside the use case's tables, under _reports."""
    return f"{settings.lakehouse.root}/{settings.use_case.schema_}/{REPORTS_FOLDER}/profile_{table}_{run_id}.html"


def profile_settings(args: argparse.Namespace) -> ProfileSettings:
    return ProfileSettings(top_k=args.top_k, rare_threshold=args.rare_threshold,
                           histogram_bins=args.bins, quantile_accuracy=args.quantile_accuracy)


def profile(context: JobContext, args: argparse.Namespace) -> TableProfile:
    """Profile `args.table`, append its statistics, write and log its report; return the profile."""
    settings, use_case = context.settings, context.settings.use_case
    table = args.table or settings.features.input_table
    source = context.tables.read(table)
    version = context.tables.version(table)
    columns = [c for c in source.columns if args.include_metadata or not c.startswith("_")]
    roles = column_roles(use_case.identifiers, use_case.leaks, use_case.protected, use_case.key,
                         use_case.label)
    configure_mlflow(settings)
    with mlflow.start_run(run_name=f"profile {table}") as run:
        result = profile_frame(
            source, context.tables.qualified(table), columns=columns, target=use_case.label,
            task=use_case.task, roles=roles, settings=profile_settings(args),
            source_version=version, run_id=run.info.run_id,
        )
        stats = context.spark.createDataFrame(result.stats_rows(), STATS_TABLE_SCHEMA)
        # mergeSchema: a statistics table of earlier runs gains the columns added since (periods).
        context.tables.write(stats, STATS_TABLE, mode="append", options={"mergeSchema": "true"})
        path = report_path(settings, table, result.run_id)
        local = write_report(path, render_report(result, source_contract(settings, table)))
        mlflow.set_tags({"job": "profile", "source_table": result.source_table})
        mlflow.log_params({"source_table": result.source_table, "source_version": version,
                           "quantile_accuracy": result.settings.quantile_accuracy,
                           "rare_threshold": result.settings.rare_threshold})
        mlflow.log_metrics({"rows": result.rows, "columns": len(result.columns),
                            "passes": result.passes, "spark_jobs": result.spark_jobs})
        mlflow.log_artifact(str(local), artifact_path="profile")
    log.info("profiled %s v%s: %d rows, %d columns in %d passes (%d Spark jobs); statistics in %s; "
             "report %s", result.source_table, version, result.rows, len(result.columns),
             result.passes, result.spark_jobs, context.tables.qualified(STATS_TABLE), path)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = ProfileSettings()
    parser.add_argument("--table", help="table to profile (default: the feature job's input table)")
    parser.add_argument("--include-metadata", action="store_true",
                        help="also profile bookkeeping columns whose names start with '_'")
    parser.add_argument("--top-k", type=int, default=defaults.top_k, help="categories listed per column")
    parser.add_argument("--rare-threshold", type=float, default=defaults.rare_threshold,
                        help="share of non-null rows under which a category is rare (default: %(default)s)")
    parser.add_argument("--bins", type=int, default=defaults.histogram_bins, help="histogram bins")
    parser.add_argument("--quantile-accuracy", type=int, default=defaults.quantile_accuracy,
                        help="percentile_approx accuracy; rank error <= rows / accuracy (default: %(default)s)")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, profile, argv, add_arguments, stage=STAGE)


if __name__ == "__main__":
    main()
