"""Ingest landing files into bronze Delta tables; rows that fail to parse go to quarantine."""

from __future__ import annotations

import argparse
import logging
import uuid
from datetime import datetime, timezone

from jobs.common.cli import JobContext, run_job
from jobs.common.config import SourceSettings
from transforms import ingestion

log = logging.getLogger(__name__)


def ingest_source(context: JobContext, source: SourceSettings) -> dict[str, int]:
    """Read one source with its declared schema; write bronze and quarantine; return counts."""
    path = f"{context.settings.lakehouse.landing}/{source.path}"
    reader = context.spark.read.format(source.format).schema(ingestion.declared_schema(source.declared_columns))
    reader = reader.option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", ingestion.CORRUPT_RECORD)
    raw = reader.options(**source.options).load(path)
    batch_id = uuid.uuid4().hex
    parsed = ingestion.with_ingest_metadata(raw, batch_id, datetime.now(timezone.utc))
    # Spark forbids filtering raw files on the corrupt-record column alone; persisting the
    # parsed rows also keeps the two writes below to one read of the landing files.
    parsed = parsed.persist()
    try:
        good = ingestion.well_formed(parsed)
        bad = ingestion.quarantined(parsed, reason=f"does not parse as the declared {source.format} schema")
        context.tables.write(good, source.table)
        context.tables.write(bad, source.quarantine)
        counts = {
            "rows_read": parsed.count(),
            "rows_bronze": context.tables.read(source.table).count(),
            "rows_quarantined": context.tables.read(source.quarantine).count(),
        }
    finally:
        parsed.unpersist()
    if counts["rows_read"] != counts["rows_bronze"] + counts["rows_quarantined"]:
        raise RuntimeError(f"ingest of {source.name} does not reconcile: {counts}")
    log.info("ingested %s into %s: %s", source.name, context.tables.qualified(source.table), counts)
    return counts


def ingest(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, dict[str, int]]:
    names = getattr(args, "source", None) or [s.name for s in context.settings.sources]
    return {name: ingest_source(context, context.settings.source(name)) for name in names}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", action="append", help="ingest only this source (repeatable)")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, ingest, argv, _arguments)


if __name__ == "__main__":
    main()
