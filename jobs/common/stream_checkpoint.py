"""The file stream's own checkpoint: its query id, the files of a batch and the batch's time.

A batch holding a file no reader can parse is re-read file by file, from the list of files
the stream's source log gave it, with the time its offset log gave it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pyspark.sql import SparkSession

from jobs.common.cli import JobContext
from jobs.common.config import SourceSettings
from jobs.common.landing_files import EPOCH, hadoop_fs


def checkpoint_location(context: JobContext, source: SourceSettings) -> str:
    return f"{context.tables.root}/{context.tables.schema}/_checkpoints/{source.name}"


def query_id(spark: SparkSession, checkpoint: str) -> str:
    """The id of the stream whose checkpoint this is: a new checkpoint gets a new one."""
    metadata = spark.read.text(f"{checkpoint}/metadata").first()[0]
    return json.loads(metadata)["id"]


def _lines(spark: SparkSession, path: str) -> list[str] | None:
    hadoop_path, fs = hadoop_fs(spark, path)
    if not fs.exists(hadoop_path):
        return None
    return [line for line in spark.sparkContext.textFile(path, 1).collect() if line]


def checkpoint_batch_files(spark: SparkSession, checkpoint: str, batch_id: int) -> list[str] | None:
    """The files the file stream put in `batch_id`, from its source log (None if not found).

    Each batch is a file `<batch id>` of JSON lines, or part of a compacted `<n>.compact`.
    """
    log = f"{checkpoint}/sources/0/{batch_id}"
    for candidate in (log, f"{log}.compact"):
        lines = _lines(spark, candidate)
        if lines is not None:
            entries = [json.loads(line) for line in lines[1:]]  # the first line is the log version
            return [e["path"] for e in entries if e.get("batchId", batch_id) == batch_id]
    return None


def checkpoint_batch_time(spark: SparkSession, checkpoint: str, batch_id: int) -> datetime | None:
    """The time the stream gave `batch_id`, kept in its offset log (what current_timestamp() reads)."""
    lines = _lines(spark, f"{checkpoint}/offsets/{batch_id}")
    if not lines or len(lines) < 2:
        return None
    return EPOCH + timedelta(milliseconds=json.loads(lines[1])["batchTimestampMs"])
