"""The `sources` table: each source's contract beside what ingest last saw of it, and its freshness.

One row per source (replaced on each ingest of that source): the contract from its config
(owner, support, origin, refresh, max_staleness, completeness, bias, cost), the newest landing
file's time, the newest `_ingested_at` in bronze, the rows in silver and the last ingest batch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.config import Settings, SourceContract, SourceSettings
from jobs.common.landing import landing_location
from jobs.common.landing_files import list_landing
from jobs.common.tables import sql_string
from transforms.ingestion.bronze import INGESTED_AT
from transforms.ingestion.freshness import stale_line

log = logging.getLogger(__name__)

SOURCES_TABLE = "sources"
CONTRACT_FIELDS = tuple(SourceContract.model_fields)
SOURCES_SCHEMA = ", ".join([
    "name string", "silver_table string", *(f"{f} string" for f in CONTRACT_FIELDS),
    "newest_file_at timestamp", "newest_ingested_at timestamp", "silver_rows bigint",
    "last_batch_id bigint", "stale string", "recorded_at timestamp",
])


@dataclass(frozen=True)
class SourceState:
    """What the lakehouse holds of a source now (None where there is nothing yet)."""

    newest_file: datetime | None
    newest_ingested: datetime | None
    silver_rows: int | None
    last_batch_id: int | None


def _utc(moment: datetime | None) -> datetime | None:
    # PySpark hands timestamps back as naive local times, which astimezone reads as local too.
    return None if moment is None else moment.astimezone(timezone.utc)


def source_state(context: JobContext, source: SourceSettings) -> SourceState:
    """The newest landing file, newest ingested row, silver's row count and the last audited batch."""
    spark, tables = context.spark, context.tables
    visible, _ = list_landing(spark, landing_location(context, source), source.options.get("pathGlobFilter"))
    newest_file = max((f.modified for f in visible), default=None)
    newest_ingested = None
    if tables.has_data(source.table):
        newest_ingested = tables.read(source.table).agg(F.max(INGESTED_AT)).first()[0]
    silver_rows = tables.read(source.silver).count() if tables.has_data(source.silver) else None
    last_batch = None
    if tables.has_data(source.audit_table):
        audit = tables.read(source.audit_table).where(F.col("source") == source.name)
        last_batch = audit.agg(F.max("batch_id")).first()[0]
    return SourceState(_utc(newest_file), _utc(newest_ingested), silver_rows, last_batch)


def freshness(source: SourceSettings, state: SourceState, now: datetime | None = None) -> str | None:
    """The stale line of `source` (None: fresh, or its contract sets no max_staleness)."""
    contract = source.contract
    if contract is None or contract.max_staleness is None:
        return None
    return stale_line(source.name, contract.max_staleness, now or datetime.now(timezone.utc),
                      state.newest_file, state.newest_ingested)


def record_source(context: JobContext, source: SourceSettings) -> str | None:
    """Replace the source's row of the `sources` table; warn and return the line if it is stale."""
    state = source_state(context, source)
    stale = freshness(source, state)
    if stale:
        log.warning(stale)
    contract = source.contract.model_dump() if source.contract else dict.fromkeys(CONTRACT_FIELDS)
    row = {"name": source.name, "silver_table": context.tables.qualified(source.silver), **contract,
           "newest_file_at": state.newest_file, "newest_ingested_at": state.newest_ingested,
           "silver_rows": state.silver_rows, "last_batch_id": state.last_batch_id, "stale": stale,
           "recorded_at": datetime.now(timezone.utc)}
    frame = context.spark.createDataFrame([row], SOURCES_SCHEMA)
    context.tables.write(frame, SOURCES_TABLE, mode="overwrite",
                         options={"replaceWhere": f"name = {sql_string(source.name)}"})
    return stale


def freshness_checked(sources: list[SourceSettings]) -> list[SourceSettings]:
    """The sources whose contract sets a max_staleness."""
    return [s for s in sources if s.contract is not None and s.contract.max_staleness is not None]


def stale_sources(context: JobContext) -> list[str]:
    """The stale line of every source whose contract sets max_staleness, each logged as a warning."""
    lines = []
    for source in freshness_checked(context.settings.sources):
        if line := freshness(source, source_state(context, source)):
            log.warning(line)
            lines.append(line)
    return lines


def source_contract(settings: Settings, table: str) -> dict[str, str | None] | None:
    """The contract of the source whose bronze or silver table is `table` (None: no such source)."""
    for source in settings.sources:
        if table in (source.table, source.silver):
            contract = source.contract.model_dump() if source.contract else {}
            return {"source": source.name, **contract}
    return None
