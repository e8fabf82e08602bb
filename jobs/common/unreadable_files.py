"""Landing files no reader can parse: tell their failure from others, and read a batch without them.

A file Spark cannot read at all (too many columns for the CSV parser, binary, a wrong
compression) fails every batch it is in. When a batch fails so, its files (from the stream's
source log) are tried one by one: each unreadable one is quarantined whole, with the reason,
and the others are read again as one batch with the stream's batch time.
"""

from __future__ import annotations

import logging

from py4j.protocol import Py4JError, Py4JJavaError
from pyspark.errors import PySparkException
from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.config import SourceSettings
from jobs.common.landing import Landed, landed_batch, read_landing
from jobs.common.landing_files import GONE, UnreadableFileError, file_report, is_file
from jobs.common.stream_checkpoint import checkpoint_batch_time, checkpoint_location
from transforms.ingestion.bronze import INGESTED_AT

log = logging.getLogger(__name__)

READ_FAILURE = "FAILED_READ_FILE"


def is_read_failure(error: Exception) -> bool:
    """Whether a Spark action failed reading a file (FAILED_READ_FILE), not for another cause."""
    if isinstance(error, UnreadableFileError):  # its header, read before Spark parses the batch
        return True
    if isinstance(error, PySparkException):
        return (error.getCondition() or "").startswith(READ_FAILURE)
    if isinstance(error, Py4JJavaError):
        cause = error.java_exception
        while cause is not None:
            try:
                condition = cause.getCondition()
            except Py4JError:  # not a SparkThrowable (an IOException): it has no condition
                condition = None
            if str(condition or "").startswith(READ_FAILURE):
                return True
            cause = cause.getCause()
    return False


def failure_reason(error: Exception, limit: int = 600) -> str:
    """What a read failure says below Spark's own wrapper: the first line of each cause."""
    if not isinstance(error, Py4JJavaError):
        return str(error).splitlines()[0][:limit]
    lines, cause = [], error.java_exception.getCause()
    while cause is not None:
        message = (cause.getMessage() or "").strip().splitlines()
        lines.append(f"{cause.getClass().getSimpleName()}: {message[0][:120] if message else ''}")
        cause = cause.getCause()
    reason = "; ".join(dict.fromkeys(lines)) or str(error.java_exception.getMessage())
    if "TextParsingException" in reason and "ArrayIndexOutOfBounds" in reason:
        # univocity's way of saying a line has more fields than its column limit
        reason = "a line has more columns than the CSV parser's limit (reader option maxColumns): " + reason
    return reason[:limit]


def unreadable_reason(context: JobContext, source: SourceSettings, path: str) -> str | None:
    """Why no reader can parse the landing file `path`, or None if its every column parses."""
    if not is_file(context.spark, path):
        return GONE
    frame = read_landing(context, source, path=path)
    try:  # every column is needed: a bare count does not parse CSV lines
        frame.agg(F.max(F.hash(*frame.columns))).collect()
    except Exception as error:
        if not is_read_failure(error):
            raise
        return f"cannot be read as {source.format}: {failure_reason(error)}"
    return None


def readable_batch(context: JobContext, source: SourceSettings, listed: list[str], batch_id: int) -> Landed:
    """Batch `batch_id` re-read from its `listed` files without those no reader can parse."""
    readable, unreadable = [], []
    for path in listed:
        reason = unreadable_reason(context, source, path)
        if reason is None:
            readable.append(path)
            continue
        log.warning("%s: %s; the file is quarantined whole (see %s.quarantined_files), the rest of "
                    "batch %s goes on", path, reason, context.tables.qualified(source.audit_table), batch_id)
        unreadable.append(file_report(context.spark, path, reason))
    if not readable:
        return Landed(None, [], None, unreadable)
    frame = read_landing(context, source, path=readable)
    at = checkpoint_batch_time(context.spark, checkpoint_location(context, source), batch_id)
    if at is not None:
        frame = frame.withColumn(INGESTED_AT, F.lit(at).cast("timestamp"))
    batch = landed_batch(frame)
    batch.unreadable = unreadable
    return batch
