"""Run one source's ingest stream to the end of its new landing files (see jobs.ingest)."""

from __future__ import annotations

import logging

from pyspark.errors import StreamingQueryException

from jobs.common.cli import JobContext
from jobs.common.config import SourceSettings
from jobs.common.ingest_audit import report_skipped_files
from jobs.common.ingest_writer import BatchWriter
from jobs.common.landing import read_stream
from jobs.common.source_contracts import record_source

log = logging.getLogger(__name__)


def ingest_source(context: JobContext, source: SourceSettings) -> dict[str, int]:
    """Ingest the files of `source` not ingested before; return this run's counts."""
    report_skipped_files(context, source)
    writer = BatchWriter(context, source)
    query = (
        read_stream(context, source)
        .writeStream.foreachBatch(writer)
        .option("checkpointLocation", writer.checkpoint)
        .queryName(f"ingest_{context.tables.schema}_{source.name}")
        .trigger(availableNow=True)
        .start()
    )
    try:
        query.awaitTermination()
    except StreamingQueryException:
        if writer.error is not None:
            raise writer.error from None
        raise
    log.info("ingested %s into %s: %s", source.name, context.tables.qualified(source.silver), writer.totals)
    record_source(context, source)  # after the batches: the sources table and freshness see them
    return writer.totals
