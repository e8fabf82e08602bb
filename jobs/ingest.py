"""Ingest new landing files incrementally, exactly once: bronze, silver, quarantine and audit.

Each source is a file stream (Databricks Auto Loader on Databricks) run with
``trigger(availableNow=True)``: it reads only the files its checkpoint has not seen, in
batches of at most ``max_files_per_trigger`` files, then stops. Every batch is checked first
and written only if it passes its limits: then it appends the raw rows to bronze (a line that
does not parse keeps its text in ``_corrupt_record``), appends the rows that fail parsing,
typing or expectations to quarantine, MERGEs the latest record per key into silver and appends
one audit row naming its files. The appends are Delta idempotent writes keyed on the stream's
batch id and the MERGE only moves a key forward, so a batch replayed after a crash changes
nothing it already wrote. A file Spark cannot read at all is quarantined whole (in the audit)
and the rest of its batch goes on; hidden and rewritten files, which the stream skips, are
reported (a warning and an audit row).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from pyspark.errors import StreamingQueryException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from jobs import ingest_landing
from jobs.common.cli import JobContext, run_job
from jobs.common.config import DateRange, SourceSettings
from jobs.common.tables import Commit
from jobs.ingest_landing import FILE_REPORT_TYPE, FileReport, first_line
from transforms.ingestion import bronze as ingestion
from transforms.ingestion import checks as ingestion_checks
from transforms.ingestion import drift as ingestion_drift
from transforms.ingestion.bronze import BATCH_ID, CORRUPT_RECORD, INGESTED_AT, SOURCE_FILE

log = logging.getLogger(__name__)

# A column no landing file has: the Parquet stream reads it (as null) to list files and records.
PARQUET_PROBE = "_lakehouse_file_probe"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
GONE = "no longer in the landing folder"
# Size and modification time of each row's file: constant per file, read from the listing.
FILE_BYTES, FILE_MODIFIED = "_file_bytes", "_file_modified"
# Bronze and quarantine are read by batch (silver's input, audits), not by value: statistics on
# the batch columns alone spare Delta min/max of every raw string column on each append.
BATCH_STATISTICS = {"delta.dataSkippingStatsColumns": f"{BATCH_ID},{INGESTED_AT}"}
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


class IngestError(RuntimeError):
    """A batch broke a configured limit; nothing of it was written, so a rerun replays it whole."""


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


def read_landing(context: JobContext, source: SourceSettings, stream: bool = False,
                 path: str | list[str] | None = None) -> DataFrame:
    """Raw rows of the landing folder (or of the files `path`) as a stream or, to replay, a batch."""
    spark, path = context.spark, path or landing_location(context, source)
    options = {}
    if stream and ingest_landing.is_file(spark, path):
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
        return stream.select("*", *_file_columns(), _batch_time())
    reader = spark.readStream.option("maxFilesPerTrigger", str(source.max_files_per_trigger)) if stream else spark.read
    reader = reader.options(**options)
    if source.format == "json":
        # JSON lines are parsed per batch into a name -> value map, so undeclared keys are kept.
        stream = reader.format("text").load(path)
        return stream.select("value", *_file_columns(), _batch_time())
    if source.format == "parquet":
        # A Parquet read with a fixed schema drops undeclared columns and fails on a changed
        # type, so the stream only lists the files (a column no file has reads as null, one row
        # per record, whatever the file's schema); each batch re-reads its files by their own
        # schema (conform_parquet).
        stream = reader.format("parquet").schema(f"`{PARQUET_PROBE}` string").load(path)
        return stream.select(*_file_columns(), _batch_time())
    stream = reader.format(source.format).schema(ingestion.raw_schema(names)).options(**_reader_options(source))
    return stream.load(path).select("*", *_file_columns(), _batch_time())


def _file_columns() -> list[Column]:
    return [F.col("_metadata.file_path").alias(SOURCE_FILE), F.col("_metadata.file_size").alias(FILE_BYTES),
            F.col("_metadata.file_modification_time").alias(FILE_MODIFIED)]


def _batch_time() -> Column:
    # In a stream, current_timestamp() is the micro-batch's time, kept in the checkpoint's
    # offset log: a batch replayed after a crash has the time of its first attempt.
    return F.current_timestamp().alias(INGESTED_AT)


def batch_files(batch: DataFrame) -> tuple[list[FileReport], datetime | None]:
    """The files of a batch and its ingestion time (None for a batch without rows)."""
    found = batch.groupBy(SOURCE_FILE, FILE_BYTES, F.unix_millis(FILE_MODIFIED)).agg(
        F.max(F.unix_micros(INGESTED_AT))).collect()
    if not found:
        return [], None
    micros = max(row[3] for row in found)
    files = [FileReport(row[0], row[1], EPOCH + timedelta(milliseconds=row[2])) for row in found]
    return sorted(files, key=lambda f: f.path), EPOCH + timedelta(microseconds=micros)


@dataclass
class Landed:
    """A batch's readable rows (None if there are none) and files, and the files no reader can parse."""

    rows: DataFrame | None
    files: list[FileReport]
    ingested_at: datetime | None
    unreadable: list[FileReport] = field(default_factory=list)


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
            first_line(spark, path, declared_encoding(source)),
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


def declared_encoding(source: SourceSettings) -> str:
    """The files' declared encoding: the reader's `encoding` option (alias `charset`), else UTF-8."""
    return source.options.get("encoding", source.options.get("charset", "UTF-8"))


def _date_ranges(source: SourceSettings) -> dict[str, tuple[date, date]]:
    unknown = [c for c in source.expectations.date_ranges if c not in source.declared_columns]
    if unknown:
        raise IngestError(f"source {source.name}: expectations.date_ranges names undeclared columns {unknown}")
    return {c: (r.min, r.max) for c, r in source.expectations.date_ranges.items()}


def checked(parsed: DataFrame, source: SourceSettings, missing: dict[str, list[str]]) -> DataFrame:
    """A batch's raw rows cleaned, typed and checked; each carries its failures (see ingestion_checks)."""
    names = list(source.declared_columns)
    expectations = source.expectations
    raw_columns = [*names, ingestion.RESCUED_DATA]
    default_range = DateRange()
    rows = ingestion_checks.with_raw_record(parsed, raw_columns)
    rows = ingestion_checks.missing_columns(rows, missing)
    rows = ingestion_checks.decodable(rows, raw_columns, declared_encoding(source))
    rows = ingestion_checks.cleaned(rows, names, source.null_tokens, source.trim_whitespace)
    rows = ingestion_checks.typed(rows, source.declared_columns, _date_ranges(source),
                                  (default_range.min, default_range.max))
    rows = ingestion_checks.expected(
        rows,
        not_null=[*source.key, *expectations.not_null],
        ranges={c: (r.min, r.max) for c, r in expectations.ranges.items()},
        allowed_values=expectations.allowed_values,
        patterns=expectations.patterns,
    )
    return ingestion_checks.recorded(ingestion_checks.malformed(rows, source.format))


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
        """Write the batch; if a file in it cannot be read, write the batch without that file.

        The happy path reads the batch as the stream hands it over. Only when a read fails on
        a file, before the batch wrote anything, are its files (from the stream's source log)
        read one by one: a file no reader can parse (too many columns for the CSV parser,
        binary, a wrong compression) is quarantined whole, and the others are read again as
        one batch with the stream's batch time.
        """
        try:
            self._write(self._landed(batch), batch_id)
            return
        except Exception as error:
            if not ingest_landing.is_read_failure(error) or self._bronze_commit(batch_id) is not None:
                raise
            listed = ingest_landing.checkpoint_batch_files(self.context.spark, self.checkpoint, batch_id)
            if listed is None:  # not a file stream of ours (Auto Loader keeps its own log)
                raise
        self._write(self._readable(listed, batch_id), batch_id)

    def _write(self, landed: Landed, batch_id: int) -> None:
        """Check the batch's rows, then write bronze, quarantine, silver and audit.

        Nothing is written before the batch passes its limits, so a failed batch leaves no row
        that no audit counts, and its rerun reads the landing files as they are then (fixed or
        removed). A replay of a batch that did write bronze checks what bronze holds instead,
        so silver and quarantine always follow from bronze. The landing files are parsed three
        times (their names; the checks, cached for quarantine and silver; bronze); the counts
        come from the cached rows.
        """
        source, tables, spark = self.source, self.context.tables, self.context.spark
        started, clock = datetime.now(timezone.utc), time.monotonic()
        app_id = self.app_id()
        evolve = source.drift.add_new_columns
        if landed.rows is None:
            self._audit_without_rows(landed, batch_id, started)
            return
        conformed = conform(spark, landed.rows, source, [f.path for f in landed.files])
        if conformed.missing and source.drift.missing_column == "fail":
            raise IngestError(f"source {source.name}: files lack declared columns: {conformed.missing}")
        ingested_at = landed.ingested_at
        raw = ingestion.with_ingest_metadata(conformed.rows, batch_id, ingested_at)
        first = self._bronze_commit(batch_id)
        if first is None:
            batch_rows = self._with_bronze_columns(raw)
        else:  # a replay: its first attempt passed the limits and wrote bronze, with its own time
            ingested_at = datetime.fromisoformat(first.note) if first.note else ingested_at
            batch_rows = tables.read(source.table).where(ingestion.in_batch(batch_id, ingested_at))
        # Cached: the counts, quarantine and silver read the checked rows, and the cache also cuts
        # the plan (the checks of a wide table made the optimizer run for minutes on each query).
        rows = checked(batch_rows, source, conformed.missing).persist()
        try:
            read, quarantined = rows.agg(
                F.count(F.lit(1)), F.count(F.when(F.size(ingestion_checks.FAILURES) > 0, 1))).first()
            if first is None:
                self._check_limits(read, quarantined, rows, batch_id)
            bronze = tables.append_once(raw, source.table, app_id, batch_id, merge_schema=evolve,
                                        properties=BATCH_STATISTICS, note=ingested_at.isoformat())
            written = bronze.metrics.get("numOutputRows") if bronze is not None else None
            if first is None and written is not None and written != read:
                raise IngestError(
                    f"source {source.name} batch {batch_id}: {written} rows went to bronze but {read} were "
                    "checked: a landing file changed while it was read; rerun to replay the batch from bronze")
            bronze_seconds = time.monotonic() - clock
            merged, kept = self._quarantine_and_merge(rows, app_id, batch_id)
        finally:
            rows.unpersist()
        counts = self._counts(read, quarantined, kept)
        self._audit(batch_id, started, counts, merged, landed,
                    (bronze_seconds, time.monotonic() - clock - bronze_seconds))
        for key in COUNTS:
            self.totals[key] += counts[key]
        log.info("%s batch %s: %s", source.name, batch_id, counts)

    def _audit_without_rows(self, landed: Landed, batch_id: int, started: datetime) -> None:
        """Audit a batch whose files hold no row (empty, unreadable or removed), naming each file."""
        spark = self.context.spark
        listed = ingest_landing.checkpoint_batch_files(spark, self.checkpoint, batch_id) or []
        known = {ingest_landing.file_key(f.path) for f in landed.unreadable}
        for path in (p for p in listed if ingest_landing.file_key(p) not in known):
            if ingest_landing.is_file(spark, path):
                landed.files.append(ingest_landing.file_report(spark, path))
            else:
                landed.unreadable.append(ingest_landing.file_report(spark, path, GONE))
        log.info("%s batch %s: no rows in %s file(s)", self.source.name, batch_id, len(listed))
        self._audit(batch_id, started, dict.fromkeys(COUNTS, 0), {}, landed, (0.0, 0.0))

    def _bronze_commit(self, batch_id: int) -> Commit | None:
        """The bronze append of this batch, if an earlier attempt committed it."""
        tables = self.context.tables
        if not tables.has_data(self.source.table):
            return None
        return tables.find_commit(self.source.table, f"{self.app_id()}/{batch_id}")

    @staticmethod
    def _landed(batch: DataFrame) -> Landed:
        files, ingested_at = batch_files(batch)
        return Landed(batch.drop(FILE_BYTES, FILE_MODIFIED) if files else None, files, ingested_at)

    def _readable(self, listed: list[str], batch_id: int) -> Landed:
        """The batch re-read from its `listed` files without those no reader can parse."""
        readable, unreadable = [], []
        for path in listed:
            reason = self._unreadable(path)
            if reason is None:
                readable.append(path)
                continue
            log.warning("%s: %s; the file is quarantined whole (see %s.quarantined_files), the rest of "
                        "batch %s goes on", path, reason, self.context.tables.qualified(self.source.audit_table),
                        batch_id)
            unreadable.append(ingest_landing.file_report(self.context.spark, path, reason))
        if not readable:
            return Landed(None, [], None, unreadable)
        frame = read_landing(self.context, self.source, path=readable)
        at = ingest_landing.checkpoint_batch_time(self.context.spark, self.checkpoint, batch_id)
        if at is not None:
            frame = frame.withColumn(INGESTED_AT, F.lit(at).cast("timestamp"))
        landed = self._landed(frame)
        landed.unreadable = unreadable
        return landed

    def _unreadable(self, path: str) -> str | None:
        """Why no reader can parse the landing file `path`, or None if its every column parses."""
        if not ingest_landing.is_file(self.context.spark, path):
            return GONE
        frame = read_landing(self.context, self.source, path=path)
        try:  # every column is needed: a bare count does not parse CSV lines
            frame.agg(F.max(F.hash(*frame.columns))).collect()
        except Exception as error:
            if not ingest_landing.is_read_failure(error):
                raise
            return f"cannot be read as {self.source.format}: {ingest_landing.failure_reason(error)}"
        return None

    def _with_bronze_columns(self, raw: DataFrame) -> DataFrame:
        """`raw` with bronze's columns: under schema evolution, those added by earlier batches."""
        tables, table = self.context.tables, self.source.table
        if not self.source.drift.add_new_columns or not tables.has_data(table):
            return raw
        return tables.read(table).limit(0).unionByName(raw, allowMissingColumns=True)

    def _quarantine_and_merge(self, rows: DataFrame, app_id: str, batch_id: int) -> tuple[dict[str, int], int]:
        """Quarantine the batch's failed rows, upsert the rest into silver; return the merge and rows kept."""
        source, tables = self.source, self.context.tables
        evolve = source.drift.add_new_columns
        tables.append_once(ingestion_checks.failed(rows), source.quarantine, app_id, batch_id,
                           properties=BATCH_STATISTICS)
        latest = ingestion.latest_per_key(ingestion_checks.passed(rows), source.key, source.order_by)
        if source.key:
            # `rows` is cached and its dedup deterministic, so Delta need not copy it again.
            merged = tables.merge(latest, source.silver, ingestion.merge_condition(source.key),
                                  ingestion.newer_condition(source.order_by), evolve_schema=evolve,
                                  stable_source=True)
            return merged, merged["numSourceRows"]
        # Without a key every row is its own record: an idempotent append.
        appended = tables.append_once(latest, source.silver, app_id, batch_id, merge_schema=evolve)
        kept = appended.metrics.get("numOutputRows", 0) if appended else latest.count()
        return {"numTargetRowsInserted": kept}, kept

    def _audit(self, batch_id: int, started: datetime, counts: dict[str, int], merged: dict[str, int],
               landed: Landed, seconds: tuple[float, float]) -> None:
        """One audit row per batch: its counts and every file, read or quarantined whole."""
        audit = {
            "source": self.source.name, "batch_id": batch_id, "query_id": self._query_id,
            "files": len(landed.files) + len(landed.unreadable), **counts,
            "silver_inserted": merged.get("numTargetRowsInserted", 0),
            "silver_updated": merged.get("numTargetRowsUpdated", 0),
            "bronze_seconds": seconds[0], "silver_seconds": seconds[1],
            "started_at": started, "finished_at": datetime.now(timezone.utc),
            "landed_files": [f.as_row() for f in landed.files],
            "quarantined_files": [f.as_row() for f in landed.unreadable], "skipped_files": [],
        }
        self.context.tables.append_once(self.context.spark.createDataFrame([audit], AUDIT_SCHEMA),
                                        self.source.audit_table, self.app_id(), batch_id, merge_schema=True)
        self.totals["batches"] += 1

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
        """Fail a batch that breaks a limit, before any of it is written, naming an example."""
        source = self.source
        failures = ingestion_checks.FAILURES
        not_written = f"nothing of batch {batch_id} was written: fix or remove the file and rerun"
        if source.drift.type_change == "fail":
            bad_types = rows.where(F.exists(failures, lambda f: f["rule"] == ingestion_checks.TYPE))
            example = bad_types.select(SOURCE_FILE, F.col(failures)[0]["reason"]).first()
            if example is not None:
                raise IngestError(
                    f"source {source.name} batch {batch_id}: values do not cast to their declared "
                    f"types (drift.type_change=fail), e.g. {example[0]}: {example[1]}; {not_written}"
                )
        share = quarantined / read if read else 0.0
        if share > source.max_quarantined_fraction:
            example = rows.where(F.size(failures) > 0).select(SOURCE_FILE, F.col(failures)[0]["reason"]).first()
            raise IngestError(
                f"source {source.name} batch {batch_id}: {quarantined} of "
                f"{read} rows ({share:.1%}) quarantined, more than the allowed "
                f"{source.max_quarantined_fraction:.1%} (max_quarantined_fraction), e.g. {example[0]}: "
                f"{example[1]}; {not_written}"
            )


def _audited_files(audit: DataFrame, column: str) -> list[FileReport]:
    return [FileReport(**e.asDict()) for e in audit.select(F.explode(column).alias("f")).select("f.*").collect()]


def report_skipped_files(context: JobContext, source: SourceSettings) -> list[FileReport]:
    """Warn about the landing files the stream skips (hidden names, files rewritten after they
    were ingested) and add the ones not reported before to the audit, in a row without a batch."""
    spark, tables = context.spark, context.tables
    visible, hidden = ingest_landing.list_landing(spark, landing_location(context, source),
                                                  source.options.get("pathGlobFilter"))
    landed, reported = [], set()
    if tables.exists(source.audit_table) and "landed_files" in tables.read(source.audit_table).columns:
        audit = tables.read(source.audit_table).where(F.col("source") == source.name)
        landed = _audited_files(audit, "landed_files")
        reported = {ingest_landing.report_key(r) for r in _audited_files(audit, "skipped_files")}
    skipped = [*hidden, *ingest_landing.rewritten(visible, landed)]
    for report in skipped:
        log.warning("%s: %s", report.path, report.reason)
    new = [r for r in skipped if ingest_landing.report_key(r) not in reported]
    if new:
        now = datetime.now(timezone.utc)
        row = {"source": source.name, "files": 0, **dict.fromkeys(COUNTS, 0), "started_at": now,
               "finished_at": now, "skipped_files": [r.as_row() for r in new]}
        tables.write(spark.createDataFrame([row], AUDIT_SCHEMA), source.audit_table, mode="append",
                     options={"mergeSchema": "true"})
    return skipped


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

