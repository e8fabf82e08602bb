"""Ingest new landing files incrementally, exactly once: bronze, silver, quarantine and audit.

Each source is a file stream (Databricks Auto Loader on Databricks) run with
``trigger(availableNow=True)``: it reads only the files its checkpoint has not seen, in
batches of at most ``max_files_per_trigger`` files, then stops. Every batch appends the raw
rows to bronze (a line that does not parse keeps its text in ``_corrupt_record``), appends the
rows that fail parsing, typing or expectations to quarantine, MERGEs the latest record per key
into silver and appends one audit row. The appends are Delta
idempotent writes keyed on the stream's batch id and the MERGE only moves a key forward, so a
batch replayed after a crash changes nothing it already wrote.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pyspark.errors import StreamingQueryException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from jobs.common.cli import JobContext, run_job
from jobs.common.config import SourceSettings
from jobs.common.tables import Commit
from transforms import ingestion, ingestion_checks, ingestion_drift
from transforms.ingestion import BATCH_ID, CORRUPT_RECORD, INGESTED_AT, SOURCE_FILE

log = logging.getLogger(__name__)

# A column no landing file has: the Parquet stream reads it (as null) to list files and records.
PARQUET_PROBE = "_lakehouse_file_probe"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Bronze and quarantine are read by batch (silver's input, audits), not by value: statistics on
# the batch columns alone spare Delta min/max of every raw string column on each append.
BATCH_STATISTICS = {"delta.dataSkippingStatsColumns": f"{BATCH_ID},{INGESTED_AT}"}
COUNTS = ("rows_read", "rows_bronze", "rows_silver", "rows_quarantined", "duplicates_merged")
AUDIT_SCHEMA = (
    "source string, batch_id bigint, query_id string, files int, rows_read bigint, "
    "rows_bronze bigint, rows_silver bigint, rows_quarantined bigint, duplicates_merged bigint, "
    "silver_inserted bigint, silver_updated bigint, bronze_seconds double, silver_seconds double, "
    "started_at timestamp, finished_at timestamp"
)


class IngestError(RuntimeError):
    """A batch broke a configured limit; what it wrote (bronze, quarantine) stays for inspection."""


def checkpoint_location(context: JobContext, source: SourceSettings) -> str:
    return f"{context.tables.root}/{context.tables.schema}/_checkpoints/{source.name}"


def landing_location(context: JobContext, source: SourceSettings) -> str:
    return f"{context.settings.lakehouse.landing}/{source.path}"


def file_names(source: SourceSettings) -> dict[str, str]:
    """Declared column -> its name in the landing files."""
    return {c: source.file_names.get(c, c) for c in source.declared_columns}


def _reader_options(source: SourceSettings) -> dict[str, str]:
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD}
    if source.format == "csv":
        options["header"] = "true"
    return {**options, **source.options}


def read_stream(context: JobContext, source: SourceSettings) -> DataFrame:
    """The source as a stream of raw rows: string columns, corrupt record, source file."""
    return read_landing(context, source, stream=True)


def read_landing(context: JobContext, source: SourceSettings, stream: bool = False, path: str | None = None) -> DataFrame:
    """Raw rows of the landing folder (or of one `path`) as a stream or, to replay, a batch."""
    spark, path = context.spark, path or landing_location(context, source)
    options = {}
    if stream and _is_file(spark, path):
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
            .option("rescuedDataColumn", ingestion.RESCUED_DATA)
            .options(**_reader_options(source), **options)
        )
        schema = source.declared_columns if source.format == "parquet" else dict.fromkeys(names, "string")
        stream = reader.schema(ingestion.declared_schema(schema, source.format != "parquet")).load(path)
        if source.format == "parquet":
            stream = stream.select(*[F.col(c).cast("string") for c in names], ingestion.RESCUED_DATA,
                                   F.lit(None).cast("string").alias(CORRUPT_RECORD))
        return stream.select("*", F.col("_metadata.file_path").alias(SOURCE_FILE), _batch_time())
    reader = spark.readStream.option("maxFilesPerTrigger", str(source.max_files_per_trigger)) if stream else spark.read
    reader = reader.options(**options)
    if source.format == "json":
        # JSON lines are parsed per batch into a name -> value map, so undeclared keys are kept.
        stream = reader.format("text").load(path)
        return stream.select("value", F.col("_metadata.file_path").alias(SOURCE_FILE), _batch_time())
    if source.format == "parquet":
        # A Parquet read with a fixed schema drops undeclared columns and fails on a changed
        # type, so the stream only lists the files (a column no file has reads as null, one row
        # per record, whatever the file's schema); each batch re-reads its files by their own
        # schema (conform_parquet).
        stream = reader.format("parquet").schema(f"`{PARQUET_PROBE}` string").load(path)
        return stream.select(F.col("_metadata.file_path").alias(SOURCE_FILE), _batch_time())
    stream = reader.format(source.format).schema(ingestion.raw_schema(names)).options(**_reader_options(source))
    return stream.load(path).select("*", F.col("_metadata.file_path").alias(SOURCE_FILE), _batch_time())


def _batch_time() -> Column:
    # In a stream, current_timestamp() is the micro-batch's time, kept in the checkpoint's
    # offset log: a batch replayed after a crash has the time of its first attempt.
    return F.current_timestamp().alias(INGESTED_AT)


def batch_files(batch: DataFrame) -> tuple[list[str], datetime | None]:
    """The files of a batch and its ingestion time (None for a batch without rows)."""
    found = batch.groupBy(SOURCE_FILE).agg(F.max(F.unix_micros(INGESTED_AT))).collect()
    if not found:
        return [], None
    micros = max(row[1] for row in found)
    return sorted(row[0] for row in found), EPOCH + timedelta(microseconds=micros)


def _hadoop_path(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path, hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def _is_file(spark: SparkSession, path: str) -> bool:
    hadoop_path, fs = _hadoop_path(spark, path)
    return bool(fs.exists(hadoop_path) and fs.getFileStatus(hadoop_path).isFile())


def first_line(spark: SparkSession, path: str, encoding: str = "UTF-8") -> str:
    """The first line of a file on any Hadoop file system, decompressed if its name says so."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(jvm.java.net.URI(path))
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    stream = hadoop_path.getFileSystem(conf).open(hadoop_path)
    codec = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(conf).getCodec(hadoop_path)
    if codec is not None:
        stream = codec.createInputStream(stream)
    reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, encoding))
    try:
        return reader.readLine() or ""
    finally:
        reader.close()


@dataclass
class Conformed:
    """A batch's rows as declared columns, with what drift was found in which file."""

    rows: DataFrame
    missing: dict[str, list[str]] = field(default_factory=dict)
    new_columns: list[str] = field(default_factory=list)


def conform_csv(spark: SparkSession, batch: DataFrame, source: SourceSettings, files: list[str]) -> Conformed:
    """Check each file's header; re-read files whose header differs by name (see ingestion_drift)."""
    options = _reader_options(source)
    declared = file_names(source)
    drifts = {}
    for path in files:
        header = ingestion_drift.header_fields(
            first_line(spark, path, options.get("encoding", options.get("charset", "UTF-8"))),
            options.get("sep", options.get("delimiter", ",")),
            options.get("quote", '"'),
            options.get("escape", "\\"),
        )
        drift = ingestion_drift.header_drift(header, list(declared.values()))
        if drift.drifted:
            drifts[path] = (header, drift)
    rows = batch.withColumn(ingestion.RESCUED_DATA, F.lit(None).cast("string"))
    if not drifts:
        return Conformed(rows)
    new_columns = []
    if source.drift.add_new_columns:
        new_columns = list(dict.fromkeys(c for _, d in drifts.values() for c in d.extra))
    rows = rows.where(~F.col(SOURCE_FILE).isin(*drifts))
    for path, (header, drift) in drifts.items():
        log.warning("%s: header differs from the declared columns: extra %s, missing %s, reordered %s",
                    path, list(drift.extra), list(drift.missing), drift.reordered)
        by_header = (
            spark.read.format("csv").options(**options).schema(ingestion.raw_schema(header)).load(path)
            .select("*", F.col("_metadata.file_path").alias(SOURCE_FILE))
        )
        conformed = ingestion_drift.conform_by_name(by_header, declared, new_columns)
        rows = rows.unionByName(conformed, allowMissingColumns=True)
    missing = {path: [c for c, name in declared.items() if name in d.missing] for path, (_, d) in drifts.items()}
    return Conformed(rows, {p: m for p, m in missing.items() if m}, new_columns)


def conform_parquet(spark: SparkSession, batch: DataFrame, source: SourceSettings, files: list[str]) -> Conformed:
    """Read the batch's files by their own schema and map their columns to the declared ones by name.

    Files with the same schema are read together. Values become strings, so a column whose type
    changed is typed (or quarantined) like any raw value; extras are rescued or added, missing
    columns reported per file, as for CSV.
    """
    declared = file_names(source)
    by_schema: dict[str, tuple[StructType, list[str]]] = {}
    for path in files:
        schema = spark.read.parquet(path).schema
        by_schema.setdefault(schema.json(), (schema, []))[1].append(path)
    reads = [
        (paths, schema.fieldNames(), ingestion_drift.parquet_as_strings(spark.read.schema(schema).parquet(*paths)))
        for schema, paths in by_schema.values()
    ]
    new_columns = []
    if source.drift.add_new_columns:
        new_columns = list(dict.fromkeys(c for _, names, _ in reads for c in names if c not in declared.values()))
    rows, missing = None, {}
    for paths, names, frame in reads:
        drift = ingestion_drift.header_drift(names, list(declared.values()))
        if drift.extra or drift.missing:
            log.warning("%s: columns differ from the declared ones: extra %s, missing %s",
                        paths, list(drift.extra), list(drift.missing))
        missing.update({path: [c for c, name in declared.items() if name in drift.missing]
                        for path in paths if drift.missing})
        conformed = ingestion_drift.conform_by_name(frame, declared, new_columns)
        rows = conformed if rows is None else rows.unionByName(conformed, allowMissingColumns=True)
    return Conformed(rows, missing, new_columns)


def conform_json(batch: DataFrame, source: SourceSettings) -> Conformed:
    declared = file_names(source)
    new_columns = []
    if source.drift.add_new_columns:
        keys = [row["key"] for row in ingestion_drift.json_keys(batch).collect()]
        new_columns = sorted(k for k in keys if k not in declared.values())
    return Conformed(ingestion_drift.json_records(batch, declared, new_columns), new_columns=new_columns)


def conform(spark: SparkSession, batch: DataFrame, source: SourceSettings, files: list[str]) -> Conformed:
    if ingestion.RESCUED_DATA in batch.columns:  # Auto Loader already mapped columns by name
        return Conformed(batch)
    if source.format == "json":
        return conform_json(batch, source)
    if source.format == "csv":
        return conform_csv(spark, batch, source, files)
    return conform_parquet(spark, batch, source, files)


def checked(bronze: DataFrame, source: SourceSettings, missing: dict[str, list[str]]) -> DataFrame:
    """Bronze rows cleaned, typed and checked against the source's expectations."""
    names = list(source.declared_columns)
    expectations = source.expectations
    rows = ingestion_checks.with_raw_record(bronze, [*names, ingestion.RESCUED_DATA])
    rows = ingestion_checks.missing_columns(rows, missing)
    rows = ingestion_checks.cleaned(rows, names, source.null_tokens, source.trim_whitespace)
    rows = ingestion_checks.typed(rows, source.declared_columns)
    return ingestion_checks.recorded(ingestion_checks.expected(
        rows,
        not_null=[*source.key, *expectations.not_null],
        ranges={c: (r.min, r.max) for c, r in expectations.ranges.items()},
        allowed_values=expectations.allowed_values,
        patterns=expectations.patterns,
    ))


class BatchWriter:
    """The foreachBatch body of one source: every write is safe to replay."""

    def __init__(self, context: JobContext, source: SourceSettings) -> None:
        self.context = context
        self.source = source
        self.checkpoint = checkpoint_location(context, source)
        self.totals = dict.fromkeys(("batches", *COUNTS), 0)
        self.error: Exception | None = None
        self._query_id: str | None = None

    def app_id(self) -> str:
        """Names this stream's writes for Delta's idempotent appends.

        The checkpoint's query id is part of it: a new checkpoint restarts batch ids at 0 and
        must not be mistaken for a replay of the old stream's batches.
        """
        if self._query_id is None:
            metadata = self.context.spark.read.text(f"{self.checkpoint}/metadata").first()[0]
            self._query_id = json.loads(metadata)["id"]
        return f"lakehouse-ingest/{self.source.name}/{self._query_id}"

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        try:
            self.write(batch, batch_id)
        except Exception as error:  # kept to re-raise with its own type after the stream stops
            self.error = error
            raise

    def write(self, batch: DataFrame, batch_id: int) -> None:
        """Bronze from the landing files, then quarantine, silver and audit from bronze.

        The landing files are parsed twice (their names, then bronze); everything after bronze
        reads the batch back from bronze, so a replayed batch reads the rows its first attempt
        wrote. The checked rows are cached once for quarantine and silver; the counts come from
        the Delta commits' metrics, not from extra passes.
        """
        source, tables, spark = self.source, self.context.tables, self.context.spark
        started, clock = datetime.now(timezone.utc), time.monotonic()
        app_id = self.app_id()
        evolve = source.drift.add_new_columns
        files, ingested_at = batch_files(batch)
        if not files:
            log.info("%s batch %s: no rows", source.name, batch_id)
            return
        conformed = conform(spark, batch, source, files)
        if conformed.missing and source.drift.missing_column == "fail":
            raise IngestError(f"source {source.name}: files lack declared columns: {conformed.missing}")
        raw = ingestion.with_ingest_metadata(conformed.rows, batch_id, ingested_at)
        bronze_commit = tables.append_once(raw, source.table, app_id, batch_id, merge_schema=evolve,
                                           properties=BATCH_STATISTICS, note=ingested_at.isoformat())
        bronze_seconds = time.monotonic() - clock
        if bronze_commit is not None and bronze_commit.note:
            # A replay finds its first attempt's commit: its rows carry that attempt's time.
            ingested_at = datetime.fromisoformat(bronze_commit.note)

        parsed = tables.read(source.table).where(ingestion.in_batch(batch_id, ingested_at))
        # Cached: quarantine, limits and silver read the checked rows, and the cache also cuts
        # the plan (the checks of a wide table made the optimizer run for minutes on each query).
        rows = checked(ingestion.well_formed(parsed), source, conformed.missing).persist()
        try:
            counts, merged = self._quarantine_and_merge(parsed, rows, bronze_commit, app_id, batch_id)
        finally:
            rows.unpersist()
        audit = {
            "source": source.name, "batch_id": batch_id, "query_id": self._query_id, "files": len(files),
            **counts,
            "silver_inserted": merged.get("numTargetRowsInserted", 0),
            "silver_updated": merged.get("numTargetRowsUpdated", 0),
            "bronze_seconds": bronze_seconds, "silver_seconds": time.monotonic() - clock - bronze_seconds,
            "started_at": started, "finished_at": datetime.now(timezone.utc),
        }
        tables.append_once(spark.createDataFrame([audit], AUDIT_SCHEMA), source.audit_table, app_id, batch_id)
        for key in COUNTS:
            self.totals[key] += counts[key]
        self.totals["batches"] += 1
        log.info("%s batch %s: %s", source.name, batch_id, counts)

    def _quarantine_and_merge(self, parsed: DataFrame, rows: DataFrame, bronze_commit: Commit | None,
                              app_id: str, batch_id: int) -> tuple[dict[str, int], dict[str, int]]:
        """Quarantine the batch's bad rows, check the limits, upsert the rest into silver."""
        source, tables = self.source, self.context.tables
        evolve = source.drift.add_new_columns
        quarantine = ingestion.malformed(parsed, source.format).unionByName(ingestion_checks.failed(rows))
        quarantine_commit = tables.append_once(quarantine, source.quarantine, app_id, batch_id,
                                               properties=BATCH_STATISTICS)
        read, quarantined = self._written(bronze_commit, quarantine_commit, parsed, rows)
        self._check_limits(read, quarantined, rows, batch_id)
        latest = ingestion.latest_per_key(ingestion_checks.passed(rows), source.key, source.order_by)
        if source.key:
            # `rows` is cached and its dedup deterministic, so Delta need not copy it again.
            merged = tables.merge(latest, source.silver, ingestion.merge_condition(source.key),
                                  ingestion.newer_condition(source.order_by), evolve_schema=evolve,
                                  stable_source=True)
            kept = merged["numSourceRows"]
        else:  # every row is its own record: an idempotent append
            appended = tables.append_once(latest, source.silver, app_id, batch_id, merge_schema=evolve)
            kept = appended.metrics.get("numOutputRows", 0) if appended else latest.count()
            merged = {"numTargetRowsInserted": kept}
        return self._counts(read, quarantined, kept), merged

    @staticmethod
    def _written(bronze: Commit | None, quarantine: Commit | None,
                 parsed: DataFrame, rows: DataFrame) -> tuple[int, int]:
        """Rows the batch put in bronze and in quarantine, from the metrics of their commits.

        A replay whose commits are no longer among the tables' recent ones counts the rows.
        """
        if bronze is not None and quarantine is not None:
            return bronze.metrics.get("numOutputRows", 0), quarantine.metrics.get("numOutputRows", 0)
        read, malformed = parsed.agg(F.count(F.lit(1)), F.count(CORRUPT_RECORD)).first()
        return read, malformed + rows.where(F.size(ingestion_checks.FAILURES) > 0).count()

    def _counts(self, read: int, quarantined: int, kept: int) -> dict[str, int]:
        counts = {
            "rows_read": read,
            "rows_bronze": read,
            "rows_silver": kept,
            "rows_quarantined": quarantined,
            "duplicates_merged": read - quarantined - kept,
        }
        if counts["duplicates_merged"] < 0:
            raise IngestError(f"source {self.source.name}: batch counts do not reconcile: {counts}")
        return counts

    def _check_limits(self, read: int, quarantined: int, rows: DataFrame, batch_id: int) -> None:
        source = self.source
        if source.drift.type_change == "fail":
            bad_types = rows.where(F.exists(ingestion_checks.FAILURES, lambda f: f["rule"] == ingestion_checks.TYPE))
            example = bad_types.select(F.col(ingestion_checks.FAILURES)[0]["reason"]).first()
            if example is not None:
                raise IngestError(
                    f"source {source.name} batch {batch_id}: values do not cast to their declared "
                    f"types (drift.type_change=fail), e.g. {example[0]}; rows are in "
                    f"{self.context.tables.qualified(source.quarantine)}"
                )
        share = quarantined / read if read else 0.0
        if share > source.max_quarantined_fraction:
            raise IngestError(
                f"source {source.name} batch {batch_id}: {quarantined} of "
                f"{read} rows ({share:.1%}) quarantined, more than the allowed "
                f"{source.max_quarantined_fraction:.1%}; see {self.context.tables.qualified(source.quarantine)}"
            )


def ingest_source(context: JobContext, source: SourceSettings) -> dict[str, int]:
    """Ingest the files of `source` not ingested before; return this run's counts."""
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
    return writer.totals


def ingest(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, dict[str, int]]:
    names = getattr(args, "source", None) or [s.name for s in context.settings.sources]
    return {name: ingest_source(context, context.settings.source(name)) for name in names}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", action="append", help="ingest only this source (repeatable)")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, ingest, argv, _arguments)


if __name__ == "__main__":
    main()

