"""What the monitoring job (jobs/monitor.py) reads of a scoring batch: its input as the score job
read it, its predictions, the same model version's predictions on the reference, its labels."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.config import MonitoringSettings
from jobs.common.model_loading import apply_model, resolve_model
from jobs.common.score_batches import AuditRecord
from jobs.common.tables import TableStore
from transforms.modeling.scores import PROBABILITY, positive_probability
from transforms.monitoring.drift import Drift, categorical_drift, numeric_drift
from transforms.monitoring.results import LabelledMetric, labelled_metric
from transforms.scoring.table import PREDICTION_BATCH_ID


def audited_batches(tables: TableStore, audit_table: str, batch_id: str | None, every: bool) -> list[AuditRecord]:
    """The audit rows of the batches to monitor: `batch_id`'s, every batch's, or else the latest one's."""
    audit = tables.read(audit_table)
    if batch_id:
        audit = audit.where(F.col(PREDICTION_BATCH_ID) == batch_id)
    elif not every:
        audit = audit.orderBy(F.desc("input_version")).limit(1)
    return [AuditRecord.from_row(row) for row in audit.collect()]  # one row per batch: metadata, not data


def batch_input(tables: TableStore, batch: AuditRecord) -> DataFrame:
    """The input rows of a scoring batch, as the score job read them."""
    tables.register_name(batch.input_table)  # a job registers the tables it touches
    rows = tables.spark.sql(f"SELECT * FROM {batch.input_table} VERSION AS OF {batch.input_version}")
    if batch.watermark_from is not None:
        column = batch.watermark_column
        rows = rows.where(F.col(column) > F.lit(batch.watermark_from).cast(rows.schema[column].dataType))
    return rows


def batch_predictions(context: JobContext, batch: AuditRecord) -> DataFrame:
    return context.tables.read(context.settings.score.output_table).where(
        F.col(PREDICTION_BATCH_ID) == batch.batch_id)


def feature_drift(context: JobContext, batch: AuditRecord, reference: DataFrame,
                  config: MonitoringSettings) -> list[Drift]:
    current = batch_input(context.tables, batch)
    return [
        *(numeric_drift(reference, current, c, config.bins) for c in config.numeric_features),
        *(categorical_drift(reference, current, c) for c in config.categorical_features),
    ]


def prediction_drift(context: JobContext, batch: AuditRecord, reference: DataFrame,
                     config: MonitoringSettings) -> Drift:
    """Drift of the batch's predictions (the positive class's probability for a classifier)."""
    model = resolve_model(context.spark, context.settings, version=batch.model_version)
    expected = apply_model(context.spark, model, reference)
    predictions = batch_predictions(context, batch)
    column = PROBABILITY if PROBABILITY in predictions.columns and PROBABILITY in expected.columns else "prediction"
    if column == PROBABILITY:
        expected = expected.withColumn(PROBABILITY, positive_probability(expected))
    return numeric_drift(expected.select(column), predictions.select(column), column, config.bins)


def batch_metric(context: JobContext, batch: AuditRecord, config: MonitoringSettings) -> LabelledMetric | None:
    """The model's metric on the batch's rows whose labels have arrived (None: no label table, or none yet)."""
    if not (config.label_table and config.label_column):
        return None
    use_case = context.settings.use_case
    labels = context.tables.read(config.label_table)
    return labelled_metric(batch_predictions(context, batch), labels, use_case.key, use_case.task, config.label_column)
