"""Monitor scored batches: feature and prediction drift against the training reference, and
the model's metric once labels arrive; results in a Delta table, a breach exits non-zero.

Each batch's input is read back exactly as it was scored: the score audit records the input
table's Delta version and watermark range. Feature drift compares that input with the
reference table (the rows the model was trained on); prediction drift compares the batch's
predictions with the same model version's predictions on the reference.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime, timezone
from typing import Any

from pyspark.sql import DataFrame, Row
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, run_job
from jobs.common.config import ConfigError, MonitoringSettings
from jobs.common.model_loading import apply_model, resolve_model
from transforms.modeling.metrics import evaluate
from transforms.monitoring.drift import Drift, categorical_drift, numeric_drift
from transforms.scoring.table import PREDICTION_BATCH_ID, PROBABILITY, positive_probability

log = logging.getLogger(__name__)

MONITORING_SCHEMA = (
    "batch_id string, model_name string, model_version string, kind string, name string, "
    "statistic string, value double, threshold double, breached boolean, monitored_at timestamp"
)


def monitor(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings, tables = context.settings, context.tables
    config = settings.monitoring
    if config is None:
        raise ConfigError("the monitoring job needs a `monitoring:` section in the use case's config")
    audit = tables.read(settings.score.audit_table)
    wanted = getattr(args, "batch_id", None)
    if wanted:
        audit = audit.where(F.col(PREDICTION_BATCH_ID) == wanted)
    elif not getattr(args, "all_batches", False):
        audit = audit.orderBy(F.desc("input_version")).limit(1)
    batches = audit.collect()  # one row per scoring batch: metadata, not data
    if not batches:
        raise LookupError(f"no scoring batch to monitor in {tables.qualified(settings.score.audit_table)}")

    reference = tables.read(config.reference_table)
    if config.reference_filter:
        reference = reference.where(config.reference_filter)
    at = datetime.now(timezone.utc)
    rows: list[tuple] = []
    for batch in batches:
        for drift in _feature_drift(context, batch, reference, config):
            rows += _drift_rows(batch, "feature", drift, config, at)
        for drift in _prediction_drift(context, batch, reference, config):
            rows += _drift_rows(batch, "prediction", drift, config, at)
        rows += _metric_rows(context, batch, config, at)
    results = context.spark.createDataFrame(rows, MONITORING_SCHEMA)
    batch_ids = ", ".join(f"'{b[PREDICTION_BATCH_ID]}'" for b in batches)
    tables.write(results, config.output_table, mode="overwrite",
                 options={"replaceWhere": f"{PREDICTION_BATCH_ID} IN ({batch_ids})"})
    breaches = [r for r in rows if r[8]]
    for breach in breaches:
        log.warning("drift breach in batch %s: %s %s %s = %.4f > %s", breach[0], breach[3], breach[4], breach[5],
                    breach[6], breach[7])
    return {"batches": [b[PREDICTION_BATCH_ID] for b in batches], "checks": len(rows), "breaches": len(breaches)}


def batch_input(context: JobContext, batch: Row) -> DataFrame:
    """The input rows of a scoring batch, as the score job read them."""
    rows = context.spark.sql(f"SELECT * FROM {batch['input_table']} VERSION AS OF {batch['input_version']}")
    if batch["watermark_from"] is not None:
        column = batch["watermark_column"]
        rows = rows.where(F.col(column) > F.lit(batch["watermark_from"]).cast(rows.schema[column].dataType))
    return rows


def _feature_drift(context: JobContext, batch: Row, reference: DataFrame, config: MonitoringSettings) -> list[Drift]:
    current = batch_input(context, batch)
    return [
        *(numeric_drift(reference, current, c, config.bins) for c in config.numeric_features),
        *(categorical_drift(reference, current, c) for c in config.categorical_features),
    ]


def _prediction_drift(context: JobContext, batch: Row, reference: DataFrame, config: MonitoringSettings) -> list[Drift]:
    settings = context.settings
    model = resolve_model(context.spark, settings, version=batch["model_version"])
    expected = apply_model(context.spark, model, reference)
    predictions = context.tables.read(settings.score.output_table).where(F.col(PREDICTION_BATCH_ID) == batch[PREDICTION_BATCH_ID])
    column = PROBABILITY if PROBABILITY in predictions.columns and PROBABILITY in expected.columns else "prediction"
    if column == PROBABILITY:
        expected = expected.withColumn(PROBABILITY, positive_probability(expected))
    return [numeric_drift(expected.select(column), predictions.select(column), column, config.bins)]


def _metric_rows(context: JobContext, batch: Row, config: MonitoringSettings, at: datetime) -> list[tuple]:
    """The model's metric on the batch's rows whose labels have arrived (none yet: no row)."""
    if not (config.label_table and config.label_column):
        return []
    settings = context.settings
    key, task = settings.use_case.key, settings.use_case.task
    predictions = context.tables.read(settings.score.output_table).where(F.col(PREDICTION_BATCH_ID) == batch[PREDICTION_BATCH_ID])
    if task == "classification" and "predicted_label" in predictions.columns:
        predictions = predictions.drop("prediction").withColumnRenamed("predicted_label", "prediction")
    labels = context.tables.read(config.label_table).select(
        *key, F.col(config.label_column).cast("double").alias("_label")
    ).where(F.col("_label").isNotNull())
    labelled = predictions.withColumn("prediction", F.col("prediction").cast("double")).join(labels, list(key))
    count = labelled.count()
    if count == 0:
        return []
    metric = "rmse" if task == "regression" else "accuracy"
    value = evaluate(labelled, task, "_label")[metric]
    limit = config.metric_threshold
    breached = limit is not None and (value > limit if task == "regression" else value < limit)
    return [(batch[PREDICTION_BATCH_ID], batch["model_name"], batch["model_version"], "metric",
             f"labelled_rows={count}", metric, float(value), limit, breached, at)]


def _drift_rows(batch: Row, kind: str, drift: Drift, config: MonitoringSettings, at: datetime) -> list[tuple]:
    """One row per statistic (PSI, and KS where defined), flagged when it exceeds its threshold."""
    statistics = [("psi", drift.psi, config.psi_threshold)]
    if drift.ks is not None:
        statistics.append(("ks", drift.ks, config.ks_threshold))
    return [
        (batch[PREDICTION_BATCH_ID], batch["model_name"], batch["model_version"], kind, drift.feature, name,
         float(value), threshold, value > threshold, at)
        for name, value, threshold in statistics
    ]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch-id", help="monitor this scoring batch (default: the latest)")
    parser.add_argument("--all-batches", action="store_true", help="monitor every batch in the score audit")


def main(argv: list[str] | None = None) -> None:
    result = run_job(__doc__, monitor, argv, _arguments)
    if result["breaches"]:
        print(f"monitoring: {result['breaches']} threshold breach(es) in {result['batches']}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
