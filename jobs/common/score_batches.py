"""The bookkeeping of scoring batches: replacing a batch, its audit row, and repairing orphans.

A batch writes three Delta tables one commit after another (predictions, quarantine, then its
audit row); Delta has no transaction across tables, so a run can stop between them. The audit
row is the batch's commit point: a run first deletes its batch's old audit row, and writes the
new one last, so a batch whose rows are in the predictions or quarantine table without an audit
row is an orphan of a stopped run. The next run of the same input table removes orphans before
it scores: their rows were never audited, so the watermark did not move past them and the new
batch scores them again, once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from jobs.common.config import Settings
from jobs.common.tables import TableStore
from transforms.scoring.table import (
    PREDICTION_BATCH_ID,
    SCORED_AT,
    batch_condition,
    batch_id,
    batch_prefix,
    legacy_batch_id,
)

log = logging.getLogger(__name__)

AUDIT_SCHEMA = (
    "batch_id string, input_table string, input_version bigint, incremental_mode string, "
    "watermark_column string, watermark_from string, watermark_to string, model_name string, "
    "model_version string, model_alias string, rows_in bigint, rows_scored bigint, "
    "rows_quarantined bigint, scored_at timestamp"
)
QUARANTINED_AT = "quarantined_at"


@dataclass(frozen=True)
class AuditRecord:
    """A batch's row in the score audit table: the columns of AUDIT_SCHEMA, in its order."""

    batch_id: str
    input_table: str
    input_version: int
    incremental_mode: str
    watermark_column: str | None
    watermark_from: str | None  # the watermark earlier batches reached (None: from the start)
    watermark_to: str | None
    model_name: str
    model_version: str
    model_alias: str | None
    rows_in: int
    rows_scored: int
    rows_quarantined: int
    scored_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> AuditRecord:
        return cls(**row.asDict())

    def frame(self, spark: SparkSession) -> DataFrame:
        return spark.createDataFrame([astuple(self)], AUDIT_SCHEMA)


def replace_batch(
    tables: TableStore,
    rows: DataFrame,
    table: str,
    batch_ids: Sequence[str],
    partition_by: list[str] | None = None,
    properties: dict[str, str] | None = None,
) -> int:
    """Atomically replace the rows of `batch_ids` in `table` by `rows` (created on the first batch).

    Returns the number of rows the batch now holds, from the metrics of the Delta commit.
    """
    if isinstance(batch_ids, str):
        # A string is a sequence too: its letters would be the batch ids the write replaces.
        raise TypeError(f"batch_ids must be a list of batch ids, not the string {batch_ids!r}")
    commit = tables.write_tagged(rows, table, f"score/{batch_ids[0]}/{uuid.uuid4().hex}", mode="overwrite",
                                 partition_by=partition_by,
                                 options={"replaceWhere": batch_condition(batch_ids), **(properties or {})})
    if commit is None:
        # Delta commits nothing when there was nothing to write and nothing to replace; a
        # commit pushed out of the recent history would undercount, which fails reconciliation.
        return 0
    # A file that also held other batches' rows (after OPTIMIZE) is rewritten without this
    # batch's: its other rows are counted in numOutputRows as copied rows.
    return commit.metrics.get("numOutputRows", 0) - commit.metrics.get("numCopiedRows", 0)


def batches_replaced(tables: TableStore, settings: Settings, input_table: str, version: int) -> list[str]:
    """The batch ids a batch of `input_table` at `version` replaces: its own, and its legacy id.

    Earlier releases named a batch `v<version>` alone; when the audit says such a batch scored
    this very input table, a rerun takes it over instead of scoring its keys a second time.
    """
    own = [batch_id(input_table, version)]
    audit_table = settings.score.audit_table
    if not tables.has_data(audit_table):
        return own
    legacy = legacy_batch_id(version)
    adopted = tables.read(audit_table).where(
        (F.col(PREDICTION_BATCH_ID) == legacy) & (F.col("input_table") == input_table)
        & (F.col("input_version") == version)
    ).limit(1).collect()
    return [*own, legacy] if adopted else own


def retire_audit(tables: TableStore, settings: Settings, batch_ids: Sequence[str]) -> None:
    """Delete the audit rows of the batch about to be rewritten: until its new row, it is unaudited."""
    if tables.has_data(settings.score.audit_table):
        tables.delete(settings.score.audit_table, batch_condition(batch_ids))


def repair_orphans(tables: TableStore, settings: Settings, input_table: str, keep: Sequence[str]) -> list[str]:
    """Remove the rows of `input_table`'s batches that have no audit row (but `keep`); return their ids.

    Only rows written at or after the table's last audited batch are looked at: an orphan is
    younger than every completed batch (a completed run would have repaired it), and the
    `scored_at` / `quarantined_at` statistics let Delta skip the older files.
    """
    config = settings.score
    audited = tables.read(config.audit_table).where(F.col("input_table") == input_table) \
        if tables.has_data(config.audit_table) else None
    since = audited.agg(F.max(SCORED_AT)).first()[0] if audited is not None else None
    found: set[str] = set()
    for table, written_at in ((config.output_table, SCORED_AT), (config.quarantine, QUARANTINED_AT)):
        if not tables.has_data(table):
            continue
        rows = tables.read(table).where(F.col(PREDICTION_BATCH_ID).startswith(batch_prefix(input_table)))
        if since is not None:
            rows = rows.where(F.col(written_at) >= F.lit(since))
        found |= {r[0] for r in rows.select(PREDICTION_BATCH_ID).distinct().collect()}
    found -= set(keep)
    if found and audited is not None:
        audited_ids = audited.where(F.col(PREDICTION_BATCH_ID).isin(*found)).select(PREDICTION_BATCH_ID)
        found -= {r[0] for r in audited_ids.collect()}
    orphans = sorted(found)
    if orphans:
        log.warning("batch(es) %s of %s have no audit row (a run stopped before recording them): "
                    "removing their rows; this batch scores them again", orphans, input_table)
        for table in (config.output_table, config.quarantine):
            if tables.has_data(table):
                tables.delete(table, batch_condition(orphans))
    return orphans


def last_watermark(tables: TableStore, settings: Settings, input_table: str, version: int) -> str | None:
    """The watermark the audited batches before this input version reached (a rerun of this one excluded)."""
    config = settings.score
    if not tables.has_data(config.audit_table):
        return None
    audit = tables.read(config.audit_table).where(
        (F.col("input_table") == input_table)
        & (F.col("input_version") < version)
        & (F.col("incremental_mode") == "watermark")
        & (F.col("watermark_column") == config.incremental.watermark_column)
    )
    return audit.agg(F.max("watermark_to")).first()[0]


def quarantine_rows(rows: DataFrame, batch: str, model_name: str, model_version: str, at: datetime) -> DataFrame:
    """Quarantine records of a batch, with the batch and the model that would have scored them."""
    return rows.select(
        "*",
        F.lit(batch).alias(PREDICTION_BATCH_ID),
        F.lit(model_name).alias("model_name"),
        F.lit(model_version).alias("model_version"),
        F.lit(at).cast("timestamp").alias(QUARANTINED_AT),
    )
