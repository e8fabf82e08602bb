"""Score one batch of the input table and write its predictions, quarantine and audit row.

What `lakehouse-score` runs (jobs/score.py tells the batch rules) and what bench/bench_score.py
times. Rows in = rows scored + rows quarantined, checked and recorded per batch in the audit
table. Rows scored and rows quarantined are what the Delta commits that replaced the batch wrote
(their `numOutputRows`), so no count reads the tables back; rows in is counted on the input.
The scored batch is not cached: the model runs once, in the prediction write. Only when the
counts show rows the model returned no prediction for does it run again, to find and
quarantine them (caching every batch to spare that rare pass spilled to disk at 10M rows and
cost more than the model; bench/RESULTS.md, scoring).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.model_loading import apply_model, resolve_model
from jobs.common.predictions import write_predictions
from jobs.common.score_batches import (
    AuditRecord,
    batches_replaced,
    last_watermark,
    quarantine_rows,
    repair_orphans,
    replace_batch,
    retire_audit,
)
from jobs.common.views import register_views
from transforms.modeling.scores import PROBABILITY
from transforms.scoring.checks import (
    batch_counts,
    duplicate_keys,
    mark_unpredicted,
    predicted,
    screen_input,
    unpredicted,
)
from transforms.scoring.table import ModelIdentity, batch_condition, prediction_table

log = logging.getLogger(__name__)


class ScoringError(RuntimeError):
    """A batch could not be scored or did not reconcile."""


@dataclass(frozen=True)
class InputBatch:
    batch_id: str
    replaces: list[str]  # the batch ids its rows replace: its own, and a legacy id it takes over
    input_version: int
    rows: DataFrame
    rows_in: int
    watermark_from: str | None
    watermark_to: str | None
    duplicates: DataFrame | None  # the keys the batch holds more than once, if any


def score_batch(
    context: JobContext, alias: str | None = None, version: str | None = None, full: bool = False
) -> dict[str, Any]:
    """Score the input table's new rows (all of them with `full`) with the model behind `alias` or `version`."""
    settings, tables, spark = context.settings, context.tables, context.spark
    config, key = settings.score, settings.use_case.key
    model = resolve_model(spark, settings, alias, version)
    batch = input_batch(context, full)
    scored_at = datetime.now(timezone.utc)

    screened = screen_input(batch.rows, [*model.input_columns, *config.pass_through], key, model.input_types,
                            (config.min_year, config.max_year), batch.duplicates)
    rows_scored, unpredicted_rows = 0, None
    retire_audit(tables, settings, batch.replaces)
    if screened.scorable is not None:
        scored = apply_model(spark, model, screened.scorable)
        threshold = model.threshold if PROBABILITY in scored.columns else None
        keep = [*key, "prediction", *([PROBABILITY] if threshold is not None else []), *config.pass_through]
        marked = mark_unpredicted(scored, batch.rows.columns, keep)
        predictions = prediction_table(
            predicted(marked), key, model.identity, scored_at, config.pass_through, batch.batch_id, threshold
        )
        rows_scored = write_predictions(tables, predictions, config.output_table, batch.replaces, key)
        unpredicted_rows = unpredicted(marked)
    elif tables.has_data(config.output_table):
        tables.delete(config.output_table, batch_condition(batch.replaces))

    def quarantine(rows: DataFrame) -> int:
        records = quarantine_rows(rows, batch.batch_id, model.identity.name, model.identity.version, scored_at)
        return replace_batch(tables, records, config.quarantine, batch.replaces)

    rows_quarantined = quarantine(screened.rejected)
    if unpredicted_rows is not None and batch.rows_in > rows_scored + rows_quarantined:
        # Rows the model returned no prediction for: only running it again finds them.
        rows_quarantined = quarantine(screened.rejected.unionByName(unpredicted_rows))

    counts = {"rows_in": batch.rows_in, "rows_scored": rows_scored, "rows_quarantined": rows_quarantined}
    record_audit(context, batch, model.identity, counts, scored_at)
    register_views(spark, settings, tables)
    if counts["rows_in"] != counts["rows_scored"] + counts["rows_quarantined"]:
        raise ScoringError(f"batch {batch.batch_id} does not reconcile: {counts}")
    identity = model.identity
    log.info("scored batch %s of %s with %s v%s: %s", batch.batch_id, tables.qualified(config.input_table),
             identity.name, identity.version, counts)
    return {**counts, "batch_id": batch.batch_id, "input_version": batch.input_version,
            "model_name": identity.name, "version": identity.version, "alias": identity.alias,
            "run_id": identity.run_id, "threshold": model.threshold}


def input_batch(context: JobContext, full: bool) -> InputBatch:
    """The input rows of this run: the table at its current version, past the last watermark.

    Orphans of stopped runs on this input are removed first: their rows are scored again here.
    """
    settings, tables = context.settings, context.tables
    config, key = settings.score, settings.use_case.key
    name = tables.qualified(config.input_table)
    version = tables.version(config.input_table)
    replaces = batches_replaced(tables, settings, name, version)
    repair_orphans(tables, settings, name, keep=replaces)
    rows = tables.read_version(config.input_table, version)
    since, column = None, None
    if config.incremental.mode == "watermark":
        column = config.incremental.watermark_column
        if column not in rows.columns:
            raise ScoringError(
                f"score.incremental.mode=watermark needs column {column!r} in {name}; "
                f"set score.incremental.watermark_column or score.incremental.mode=none"
            )
        since = None if full else last_watermark(tables, settings, name, version)
        if since is not None:
            rows = rows.where(F.col(column) > F.lit(since).cast(rows.schema[column].dataType))
    counts = batch_counts(rows, key, column)
    duplicates = duplicate_keys(rows, key) if counts.duplicated_rows else None
    return InputBatch(replaces[0], replaces, version, rows, counts.rows_in, since,
                      counts.greatest_watermark or since, duplicates)


def record_audit(
    context: JobContext, batch: InputBatch, model: ModelIdentity, counts: dict[str, int], at: datetime
) -> None:
    """The batch's audit row, written last: it is the batch's commit point (jobs.common.score_batches)."""
    config = context.settings.score
    record = AuditRecord(
        batch_id=batch.batch_id, input_table=context.tables.qualified(config.input_table),
        input_version=batch.input_version, incremental_mode=config.incremental.mode,
        watermark_column=config.incremental.watermark_column, watermark_from=batch.watermark_from,
        watermark_to=batch.watermark_to, model_name=model.name, model_version=model.version,
        model_alias=model.alias, rows_in=counts["rows_in"], rows_scored=counts["rows_scored"],
        rows_quarantined=counts["rows_quarantined"], scored_at=at,
    )
    replace_batch(context.tables, record.frame(context.spark), config.audit_table, batch.replaces)
