"""Read a source's landing files: as the ingest stream, as a batch to replay, or as a sample."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.config import SourceSettings
from jobs.common.errors import UserError
from jobs.common.landing_files import (
    EPOCH,
    FileReport,
    hadoop_fs,
    is_file,
    list_landing,
    logged_file_report,
)
from jobs.common.stream_checkpoint import checkpoint_location
from transforms.ingestion import bronze
from transforms.ingestion.bronze import (
    CORRUPT_RECORD,
    FILE_BYTES,
    FILE_MODIFIED,
    INGESTED_AT,
    RESCUED_DATA,
    SOURCE_FILE,
)

# A column no landing file has: the Parquet stream reads it (as null) to list files and records.
PARQUET_PROBE = "_lakehouse_file_probe"


def landing_location(context: JobContext, source: SourceSettings) -> str:
    return f"{context.settings.lakehouse.landing}/{source.path}"


def file_names(source: SourceSettings) -> dict[str, str]:
    """Declared column -> its name in the landing files."""
    return {c: source.file_names.get(c, c) for c in source.declared_columns}


def reader_options(source: SourceSettings) -> dict[str, str]:
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD}
    if source.format == "csv":
        options["header"] = "true"
    return {**options, **source.options}


def declared_encoding(source: SourceSettings) -> str:
    """The files' declared encoding: the reader's `encoding` option (alias `charset`), else UTF-8."""
    return source.options.get("encoding", source.options.get("charset", "UTF-8"))


class LandingError(UserError):
    """A source's landing folder is missing or holds no file the stream can read."""


def require_landing_files(context: JobContext, source: SourceSettings) -> None:
    """Fail with one line when the landing folder is missing or has no readable file: a stream
    over it would fail with a long traceback, or quietly ingest nothing."""
    path = landing_location(context, source)
    hadoop_path, fs = hadoop_fs(context.spark, path)
    fix = "put the source's files there, or fix lakehouse.landing / the source's path"
    if not fs.exists(hadoop_path):
        raise LandingError(f"source {source.name}: landing folder {path} does not exist; {fix}")
    if not list_landing(context.spark, path, source.options.get("pathGlobFilter"))[0]:
        raise LandingError(f"source {source.name}: landing folder {path} has no files to ingest "
                           f"(names starting with '_' or '.' are hidden); {fix}")


def read_stream(context: JobContext, source: SourceSettings) -> DataFrame:
    """The source as a stream of raw rows: string columns, corrupt record, source file."""
    require_landing_files(context, source)
    return read_landing(context, source, stream=True)


def read_landing(context: JobContext, source: SourceSettings, stream: bool = False,
                 path: str | list[str] | None = None) -> DataFrame:
    """Raw rows of the landing folder (or of the files `path`) as a stream or, to replay, a batch."""
    spark, path = context.spark, path or landing_location(context, source)
    options = {}
    if stream and is_file(spark, path):
        # A file stream watches a folder: a single landing file is the folder filtered to it.
        path, options["pathGlobFilter"] = path.rsplit("/", 1)
    names = list(source.declared_columns)
    if stream and context.settings.runtime == "databricks":
        # Auto Loader maps CSV columns by header name and keeps undeclared ones in the rescued
        # column itself, so no header check is needed there.
        reader = (
            spark.readStream.format("cloudFiles")
            .option("cloudFiles.format", source.format)
            .option("cloudFiles.maxFilesPerTrigger", str(source.max_files_per_trigger))
            .option("cloudFiles.schemaLocation", f"{checkpoint_location(context, source)}/_schema")
            .option("rescuedDataColumn", RESCUED_DATA)
            .options(**reader_options(source), **options)
        )
        schema = source.declared_columns if source.format == "parquet" else dict.fromkeys(names, "string")
        stream = reader.schema(bronze.declared_schema(schema, source.format != "parquet")).load(path)
        if source.format == "parquet":
            stream = stream.select(*[F.col(c).cast("string") for c in names], RESCUED_DATA,
                                   F.lit(None).cast("string").alias(CORRUPT_RECORD))
        return stream.select("*", *bronze.file_columns(), bronze.batch_time())
    reader = spark.readStream.option("maxFilesPerTrigger", str(source.max_files_per_trigger)) if stream else spark.read
    reader = reader.options(**options)
    if source.format == "json":
        # JSON lines are parsed per batch into a name -> value map, so undeclared keys are kept.
        stream = reader.format("text").load(path)
        return stream.select("value", *bronze.file_columns(), bronze.batch_time())
    if source.format == "parquet":
        # A Parquet read with a fixed schema drops undeclared columns and fails on a changed
        # type, so the stream only lists the files (a column no file has reads as null, one row
        # per record, whatever the file's schema); each batch re-reads its files by their own
        # schema (landing_conform.conform_parquet).
        stream = reader.format("parquet").schema(f"`{PARQUET_PROBE}` string").load(path)
        return stream.select(*bronze.file_columns(), bronze.batch_time())
    # Named as the files spell the columns (`home.dest`, ` age` after a ", " delimiter), not as
    # declared: Spark's header check compares the two and would warn on every file whose header
    # is right; a file whose header really differs still draws its warning (and conform_csv's).
    spelled = file_names(source)
    if len({n.lower() for n in [*spelled.values(), CORRUPT_RECORD]}) <= len(spelled):
        spelled = dict(zip(names, names, strict=True))  # spellings that collide: bind by position as declared
    stream = reader.format(source.format).schema(bronze.raw_schema(spelled.values())).options(**reader_options(source))
    declared = [F.col(f"`{spelled[name]}`").alias(name) for name in names]
    return stream.load(path).select(*declared, CORRUPT_RECORD, *bronze.file_columns(), bronze.batch_time())


def read_sample(context: JobContext, path: str, format_: str, options: dict[str, str], rows: int) -> DataFrame:
    """Up to `rows` rows of the files at `path`, every column as a string (Parquet: as stored)."""
    reader = context.spark.read.format(format_).options(**options)
    if format_ == "csv":
        reader = reader.option("header", options.get("header", "true")).option("inferSchema", "false")
    elif format_ == "json":
        reader = reader.option("primitivesAsString", "true")
    return reader.load(path).limit(rows)


@dataclass
class Landed:
    """A batch's readable rows (None if there are none) and files, and the files no reader can parse."""

    rows: DataFrame | None
    files: list[FileReport]
    ingested_at: datetime | None
    unreadable: list[FileReport] = field(default_factory=list)


def batch_files(batch: DataFrame) -> tuple[list[FileReport], datetime | None]:
    """The files of a batch and its ingestion time (None for a batch without rows), from a pass
    over its rows: for a batch without the file stream's logs (Auto Loader, a re-read batch)."""
    found = batch.groupBy(
        F.col(SOURCE_FILE).alias("path"), F.col(FILE_BYTES).alias("bytes"),
        F.unix_millis(FILE_MODIFIED).alias("modified_ms"),
    ).agg(F.max(F.unix_micros(INGESTED_AT)).alias("ingested_us")).collect()
    if not found:
        return [], None
    micros = max(row.ingested_us for row in found)
    files = [FileReport(row.path, row.bytes, EPOCH + timedelta(milliseconds=row.modified_ms)) for row in found]
    return sorted(files, key=lambda f: f.path), EPOCH + timedelta(microseconds=micros)


def landed_batch(batch: DataFrame) -> Landed:
    """A batch as read from the landing files, without the per-file columns once they are listed."""
    files, ingested_at = batch_files(batch)
    return Landed(batch.drop(FILE_BYTES, FILE_MODIFIED) if files else None, files, ingested_at)


def stream_batch(spark: SparkSession, batch: DataFrame, listed: list[str], ingested_at: datetime) -> Landed:
    """A file stream's batch named without reading it: its files from the stream's source log, their
    size and time from the file system, its time from the offset log (the first attempt's, on replay).

    A file removed since the stream listed it is reported gone (its read fails, and the batch is
    read again without it). Only when the rows are read is it known which files hold any.
    """
    reports = sorted((logged_file_report(spark, path) for path in listed), key=lambda f: f.path)
    files = [f for f in reports if f.reason is None]
    rows = batch.drop(FILE_BYTES, FILE_MODIFIED) if any(f.bytes for f in files) else None
    return Landed(rows, files, ingested_at if rows is not None else None, [f for f in reports if f.reason])
