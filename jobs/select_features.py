"""Fit the configured feature selectors on the training split; write the selected features and the report.

Reads the feature table (an assembled vector per row), fits the `selection.steps` on its
training rows, writes the table with only the kept slots, the per-feature decisions as a
Delta table, and logs the decisions to MLflow (JSON and CSV artifacts). An analysis step: the
registered model refits the same selectors inside itself, fold by fold (jobs/train.py). Named
`select_features` because spark-submit puts jobs/ first on sys.path, where a `select` module
would shadow the standard library's.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
from typing import Any

import mlflow
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, run_job
from jobs.common.config import ConfigError
from jobs.common.model_inputs import split_part, with_split_column
from jobs.common.progress import Stage
from jobs.common.run_logging import SELECTION_ARTIFACT
from jobs.common.tracking import configure_mlflow
from transforms.modeling.split import TRAIN
from transforms.selection import (
    SelectionStep,
    build_selection_pipeline,
    feature_names,
    selection_report,
)
from transforms.selection.pipeline import report_frame

log = logging.getLogger(__name__)

# The progress line of the job, alone or in run_all: name, rows, seconds.
STAGE = Stage("select", lambda result: result["rows"])


def report_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def select_features(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings, tables = context.settings, context.tables
    selection, use_case = settings.selection, settings.use_case
    if selection is None:
        raise ConfigError(f"use case {use_case.name!r} has no `selection:` section to run")
    features = with_split_column(context, tables.read(selection.input_table), selection.input_table)
    steps = [SelectionStep(s.selector, s.params) for s in selection.steps]
    pipeline = build_selection_pipeline(steps, selection.features_col, use_case.label, use_case.task)

    configure_mlflow(settings)
    with mlflow.start_run(run_name=f"{use_case.name}-selection") as run:
        model = pipeline.fit(split_part(features, TRAIN))
        selected = model.transform(features)
        # The rows selected from, as the Delta commit counted them while writing: no pass of its own.
        written = tables.write_tagged(selected, selection.output_table, run.info.run_id)
        rows = selection_report(model)
        tables.write(
            report_frame(context.spark, rows).withColumn("run_id", F.lit(run.info.run_id)), selection.report_table
        )
        inputs = feature_names(features, selection.features_col)
        kept = feature_names(tables.read(selection.output_table), selection.features_col)
        mlflow.log_params({f"step_{i}": s.selector for i, s in enumerate(steps)})
        mlflow.log_metrics({"features_in": len(inputs), "features_kept": len(kept)})
        mlflow.log_dict({"kept": kept, "decisions": rows}, SELECTION_ARTIFACT)
        mlflow.log_text(report_csv(rows), "selection/report.csv")
        mlflow.set_tags({
            "use_case": use_case.name,
            "config_fingerprint": settings.fingerprint(),
            "feature_table": tables.qualified(selection.input_table),
            "feature_table_version": str(tables.version(selection.input_table)),
            "selected_table": tables.qualified(selection.output_table),
            "report_table": tables.qualified(selection.report_table),
        })
    log.info("kept %d of %d features: %s", len(kept), len(inputs), kept)
    return {"run_id": run.info.run_id, "features_in": len(inputs), "kept": kept, "report_rows": len(rows),
            "rows": written.metrics.get("numOutputRows") if written else None}


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, select_features, argv, stage=STAGE)


if __name__ == "__main__":
    main()
