"""The ingest audit table: one row per batch (its counts, timings and files), and a row without
a batch for the landing files the stream skips."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.config import SourceSettings
from jobs.common.landing import Landed, landing_location
from jobs.common.landing_files import (
    FILE_REPORT_TYPE,
    FileReport,
    list_landing,
    report_key,
    rewritten,
)

log = logging.getLogger(__name__)

COUNTS = ("rows_read", "rows_bronze", "rows_silver", "rows_quarantined", "duplicates_merged")
AUDIT_SCHEMA = (
    "source string, batch_id bigint, query_id string, files int, rows_read bigint, "
    "rows_bronze bigint, rows_silver bigint, rows_quarantined bigint, duplicates_merged bigint, "
    "silver_inserted bigint, silver_updated bigint, bronze_seconds double, silver_seconds double, "
    "started_at timestamp, finished_at timestamp, "
    # Every file of the batch: read (size, modification time), or quarantined whole (and why);
    # and, in a row without a batch, files the stream skipped (hidden, rewritten).
    f"landed_files array<{FILE_REPORT_TYPE}>, quarantined_files array<{FILE_REPORT_TYPE}>, "
    f"skipped_files array<{FILE_REPORT_TYPE}>"
)


def batch_audit(source: SourceSettings, batch_id: int, query_id: str | None, started: datetime,
                counts: dict[str, int], merged: dict[str, int], landed: Landed,
                seconds: tuple[float, float]) -> dict:
    """One batch's audit row: its counts, the silver MERGE's, its (bronze, silver) seconds, every file."""
    return {
        "source": source.name, "batch_id": batch_id, "query_id": query_id,
        "files": len(landed.files) + len(landed.unreadable), **counts,
        "silver_inserted": merged.get("numTargetRowsInserted", 0),
        "silver_updated": merged.get("numTargetRowsUpdated", 0),
        "bronze_seconds": seconds[0], "silver_seconds": seconds[1],
        "started_at": started, "finished_at": datetime.now(timezone.utc),
        "landed_files": [f.as_row() for f in landed.files],
        "quarantined_files": [f.as_row() for f in landed.unreadable], "skipped_files": [],
    }


def _audited_files(audit: DataFrame, column: str) -> list[FileReport]:
    return [FileReport(**e.asDict()) for e in audit.select(F.explode(column).alias("f")).select("f.*").collect()]


def report_skipped_files(context: JobContext, source: SourceSettings) -> list[FileReport]:
    """Warn about the landing files the stream skips (hidden names, files rewritten after they
    were ingested) and add the ones not reported before to the audit, in a row without a batch."""
    spark, tables = context.spark, context.tables
    visible, hidden = list_landing(spark, landing_location(context, source), source.options.get("pathGlobFilter"))
    landed, reported = [], set()
    if tables.exists(source.audit_table) and "landed_files" in tables.read(source.audit_table).columns:
        audit = tables.read(source.audit_table).where(F.col("source") == source.name)
        landed = _audited_files(audit, "landed_files")
        reported = {report_key(r) for r in _audited_files(audit, "skipped_files")}
    skipped = [*hidden, *rewritten(visible, landed)]
    for report in skipped:
        log.warning("%s: %s", report.path, report.reason)
    new = [r for r in skipped if report_key(r) not in reported]
    if new:
        now = datetime.now(timezone.utc)
        row = {"source": source.name, "files": 0, **dict.fromkeys(COUNTS, 0), "started_at": now,
               "finished_at": now, "skipped_files": [r.as_row() for r in new]}
        tables.write(spark.createDataFrame([row], AUDIT_SCHEMA), source.audit_table, mode="append",
                     options={"mergeSchema": "true"})
    return skipped
