"""What ingest learns about landing files outside the rows it reads: their size and time.

The file stream skips, without a word, files whose name starts with `_` or `.` (Hadoop hides
them) and a file rewritten under a name it already read. This module lists the landing folder
to report both, and reads single files (a report, a CSV header). Everything goes through
Hadoop's file system, so it works on any storage Spark reads (not through Spark Connect: it
needs the JVM).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

from py4j.protocol import Py4JJavaError
from pyspark.sql import SparkSession

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Why a file listed in a batch is not read: it was removed before the batch read it.
GONE = "no longer in the landing folder"
FILE_REPORT_TYPE = "struct<path:string,bytes:bigint,modified:timestamp,reason:string>"
# Files Hadoop and Spark write beside data on purpose (commit markers, checksums, a copy in
# progress, the generator's manifest): hidden by design, not worth a warning.
BOOKKEEPING_NAMES = ("_SUCCESS", "_manifest", "_common_metadata", "_metadata")
BOOKKEEPING_PREFIXES = ("_committed_", "_started_", "_temporary", "_delta_log")
BOOKKEEPING_SUFFIXES = (".crc", "._COPYING_")


class UnreadableFileError(OSError):
    """A landing file whose bytes do not read as its name says (a `.gz` that is not gzip)."""


@dataclass(frozen=True)
class FileReport:
    """A landing file as the audit records it: where, how big, when written, and why if skipped."""

    path: str
    bytes: int
    modified: datetime
    reason: str | None = None

    def as_row(self) -> dict:
        return {"path": self.path, "bytes": self.bytes, "modified": self.modified, "reason": self.reason}


def file_key(path: str) -> tuple[str, str, str]:
    """A path comparable across spellings: `file:///a%20b` (Spark's metadata) and `file:/a b` (Hadoop)."""
    parts = urlsplit(path)
    return parts.scheme, parts.netloc, unquote(parts.path)


def hadoop_fs(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path, hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def is_file(spark: SparkSession, path: str) -> bool:
    hadoop_path, fs = hadoop_fs(spark, path)
    return bool(fs.exists(hadoop_path) and fs.getFileStatus(hadoop_path).isFile())


def _report(status, reason: str | None = None) -> FileReport:
    modified = EPOCH + timedelta(milliseconds=status.getModificationTime())
    return FileReport(status.getPath().toUri().toString(), status.getLen(), modified, reason)


def file_report(spark: SparkSession, path: str, reason: str | None = None) -> FileReport:
    """The size and modification time of one file (zero and the epoch if it is gone)."""
    hadoop_path, fs = hadoop_fs(spark, path)
    if not fs.exists(hadoop_path):
        return FileReport(path, 0, EPOCH, reason)
    return _report(fs.getFileStatus(hadoop_path), reason)


def logged_file_report(spark: SparkSession, url: str) -> FileReport:
    """The report of a file named as Spark names it, a URL (`file:///a%20b`: a stream's source log,
    the rows' `_source_file`), spelled as the rows spell it; with the reason GONE if it is no file now."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(jvm.java.net.URI(url))
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not fs.exists(hadoop_path) or not fs.getFileStatus(hadoop_path).isFile():
        return FileReport(url, 0, EPOCH, GONE)
    status = fs.getFileStatus(hadoop_path)
    # The stream reads the logged URL as a Path's string (`file:/a b`), which its rows spell again
    # as a URL (`file:/a%20b`): the same round trip spells the report as the rows spell the file.
    spelled = jvm.org.apache.hadoop.fs.Path(hadoop_path.toString()).toUri().toString()
    return FileReport(spelled, status.getLen(), EPOCH + timedelta(milliseconds=status.getModificationTime()))


def first_line(spark: SparkSession, path: str, encoding: str = "UTF-8") -> str:
    """The first line of a file on any Hadoop file system, decompressed if its name says so.

    A file whose bytes do not read so (a `.gz` that is not gzip) raises UnreadableFileError.
    """
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(jvm.java.net.URI(path))
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    reader = None
    try:
        stream = hadoop_path.getFileSystem(conf).open(hadoop_path)
        codec = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(conf).getCodec(hadoop_path)
        if codec is not None:
            stream = codec.createInputStream(stream)
        reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, encoding))
        return reader.readLine() or ""
    except Py4JJavaError as error:
        raise UnreadableFileError(f"{path}: {error.java_exception.toString()}") from error
    finally:
        if reader is not None:
            reader.close()


def text_lines(spark: SparkSession, path: str) -> list[str] | None:
    """The non-empty lines of a small UTF-8 file (a stream's log), read on the driver; None if absent.

    Read through the file system, not Spark: a Spark job per small log file costs more than its read.
    """
    hadoop_path, fs = hadoop_fs(spark, path)
    if not fs.exists(hadoop_path):
        return None
    jvm = spark.sparkContext._jvm
    reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(fs.open(hadoop_path), "UTF-8"))
    try:
        return [line for line in iter(reader.readLine, None) if line]
    finally:
        reader.close()


def is_bookkeeping(name: str) -> bool:
    return (name in BOOKKEEPING_NAMES or name.startswith(BOOKKEEPING_PREFIXES)
            or name.endswith(BOOKKEEPING_SUFFIXES))


def is_hidden(name: str) -> bool:
    """Hadoop's rule (Spark's InMemoryFileIndex): `_` or `.` first, except `_k=v` partition folders."""
    return (name.startswith("_") and "=" not in name) or name.startswith(".")


def list_landing(spark: SparkSession, path: str, glob: str | None = None) -> tuple[list[FileReport], list[FileReport]]:
    """(files the stream can see, hidden files it skips) under a landing folder, recursively.

    A hidden folder is reported as one entry, not descended into. `glob` is the reader's
    `pathGlobFilter`: files it excludes are excluded on purpose and not reported.
    """
    hadoop_path, fs = hadoop_fs(spark, path)
    if not fs.exists(hadoop_path):
        return [], []
    visible, hidden, pending = [], [], [fs.getFileStatus(hadoop_path)]
    while pending:
        status = pending.pop()
        if not status.isDirectory():
            visible.append(_report(status))
            continue
        for child in fs.listStatus(status.getPath()):
            name = child.getPath().getName()
            if is_hidden(name):
                if not is_bookkeeping(name) and (child.isDirectory() or not glob or fnmatch.fnmatch(name, glob)):
                    kind = "folder" if child.isDirectory() else "file"
                    hidden.append(_report(child, f"hidden {kind} (name starts with '{name[0]}'): "
                                                 "the file stream never reads it; rename it to ingest it"))
            elif child.isDirectory() or not glob or fnmatch.fnmatch(name, glob):
                pending.append(child)
    return visible, hidden


def _millis(moment: datetime) -> int:
    # Spark hands timestamps back as naive local times; timestamp() reads those as local too.
    return round(moment.timestamp() * 1000)


def report_key(report: FileReport) -> tuple:
    """What makes two reports of a skipped file the same report."""
    return file_key(report.path), report.bytes, _millis(report.modified), report.reason


def rewritten(visible: list[FileReport], landed: list[FileReport]) -> list[FileReport]:
    """Files ingested before whose size or modification time has changed since."""
    ingested = {file_key(f.path): f for f in landed}
    changed = []
    for now in visible:
        before = ingested.get(file_key(now.path))
        if before is not None and (before.bytes, _millis(before.modified)) != (now.bytes, _millis(now.modified)):
            changed.append(FileReport(now.path, now.bytes, now.modified, (
                f"changed after it was ingested ({before.bytes} bytes modified {before.modified:%Y-%m-%d %H:%M:%S}, "
                f"now {now.bytes} bytes modified {now.modified:%Y-%m-%d %H:%M:%S}): a file is read once; "
                "land the new version under a new name")))
    return changed
