"""The file stream's own checkpoint: its query id, the files of a batch and the batch's time.

Ingest names each batch's files and time from these logs, read on the driver, rather than from
a pass over its rows; a batch holding a file no reader can parse is re-read file by file, from
the list of files the stream's source log gave it, with the time its offset log gave it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pyspark.sql import SparkSession

from jobs.common.cli import JobContext
from jobs.common.config import SourceSettings
from jobs.common.landing_files import EPOCH, text_lines


def checkpoint_location(context: JobContext, source: SourceSettings) -> str:
    return f"{context.tables.root}/{context.tables.schema}/_checkpoints/{source.name}"


def query_id(spark: SparkSession, checkpoint: str) -> str:
    """The id of the stream whose checkpoint this is: a new checkpoint gets a new one."""
    metadata = text_lines(spark, f"{checkpoint}/metadata")
    if not metadata:
        raise FileNotFoundError(f"stream checkpoint {checkpoint} has no metadata file")
    return json.loads(metadata[0])["id"]


def _source_offset(spark: SparkSession, checkpoint: str, batch_id: int) -> int | None:
    """The file source's log offset at the end of micro-batch `batch_id` (None if not a file stream's)."""
    lines = text_lines(spark, f"{checkpoint}/offsets/{batch_id}")
    if not lines or len(lines) < 3:
        return None
    return json.loads(lines[2]).get("logOffset")


def checkpoint_batch_files(spark: SparkSession, checkpoint: str, batch_id: int) -> list[str] | None:
    """The files the file stream put in micro-batch `batch_id`, from its logs (None if not found).

    The offset log gives the batch's range of source-log ids: after a restart one micro-batch
    may span several (a killed run had logged files for a batch it never ran). Each id is a file
    `<id>` of JSON lines, or part of a compacted `<id>.compact`.
    """
    end = _source_offset(spark, checkpoint, batch_id)
    start = _source_offset(spark, checkpoint, batch_id - 1) if batch_id > 0 else -1
    if end is None or start is None:
        return None
    paths = []
    for log_id in range(start + 1, end + 1):
        log = f"{checkpoint}/sources/0/{log_id}"
        lines = next((found for found in (text_lines(spark, c) for c in (log, f"{log}.compact")) if found), None)
        if lines is None:
            return None
        entries = [json.loads(line) for line in lines[1:]]  # the first line is the log version
        paths += [e["path"] for e in entries if e.get("batchId", log_id) == log_id]
    return paths


def checkpoint_batch_time(spark: SparkSession, checkpoint: str, batch_id: int) -> datetime | None:
    """The time the stream gave `batch_id`, kept in its offset log (what current_timestamp() reads)."""
    lines = text_lines(spark, f"{checkpoint}/offsets/{batch_id}")
    if not lines or len(lines) < 2:
        return None
    return EPOCH + timedelta(milliseconds=json.loads(lines[1])["batchTimestampMs"])
