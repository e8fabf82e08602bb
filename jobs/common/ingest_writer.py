"""The foreachBatch body of an ingest stream: bronze, quarantine, silver and audit, safe to replay.

How a batch is checked, written and replayed is told in jobs.ingest and BatchWriter._write.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from functools import reduce
from operator import and_

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.config import SourceSettings
from jobs.common.ingest_audit import AUDIT_SCHEMA, COUNTS, batch_audit
from jobs.common.ingest_checks import IngestError, batch_counts, check_limits, checked
from jobs.common.landing import Landed, landed_batch, stream_batch
from jobs.common.landing_conform import conform
from jobs.common.landing_files import (
    FileReport,
    file_key,
    logged_file_report,
)
from jobs.common.session import session_conf
from jobs.common.stream_checkpoint import (
    checkpoint_batch_files,
    checkpoint_batch_time,
    checkpoint_location,
    query_id,
)
from jobs.common.tables import Commit
from jobs.common.unreadable_files import is_read_failure, readable_batch
from transforms.ingestion import checks as ingestion_checks
from transforms.ingestion.bronze import (
    INGEST_BATCH_ID,
    INGESTED_AT,
    SOURCE_FILE,
    in_batch,
    latest_per_key,
    merge_condition,
    newer_condition,
    with_ingest_metadata,
)

log = logging.getLogger(__name__)

# Bronze and quarantine are read by batch (silver's input, audits), not by value: statistics on
# the batch columns alone spare Delta min/max of every raw string column on each append.
BATCH_STATISTICS = {"delta.dataSkippingStatsColumns": f"{INGEST_BATCH_ID},{INGESTED_AT}"}
# The batch's cache is read a few times and dropped: compressing it (choosing an encoding for
# every column of every cached block) cost more than the rest of building it, measured at 7.6 s
# against 4.0 s for a 1M-row batch (bench/RESULTS.md). Uncompressed it holds about 4.5 times the
# batch's CSV bytes; blocks beyond Spark's storage memory go to local disk.
UNCOMPRESSED_CACHE = {"spark.sql.inMemoryColumnarStorage.compressed": "false"}


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
            self._query_id = query_id(self.context.spark, self.checkpoint)
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
            self._write(self._landed(batch, batch_id), batch_id)
            return
        except Exception as error:
            if not is_read_failure(error) or self._bronze_commit(batch_id) is not None:
                raise
            listed = checkpoint_batch_files(self.context.spark, self.checkpoint, batch_id)
            if listed is None:  # not a file stream of ours (Auto Loader keeps its own log)
                raise
        self._write(readable_batch(self.context, self.source, listed, batch_id), batch_id)

    def _landed(self, batch: DataFrame, batch_id: int) -> Landed:
        """The batch and its files, named from the file stream's own logs without reading the rows.

        Auto Loader keeps no such log here: its batch is read once to list its files.
        """
        spark = self.context.spark
        listed = checkpoint_batch_files(spark, self.checkpoint, batch_id)
        at = checkpoint_batch_time(spark, self.checkpoint, batch_id)
        if listed is None or at is None:
            return landed_batch(batch)
        return stream_batch(spark, batch, listed, at)

    def _write(self, landed: Landed, batch_id: int) -> None:
        """Check the batch's rows, then write bronze, quarantine, silver and audit from that one pass.

        Nothing is written before the batch passes its limits, so a failed batch leaves no row
        that no audit counts, and its rerun reads the landing files as they are then (fixed or
        removed). A replay of a batch that did write bronze checks what bronze holds instead,
        so silver and quarantine always follow from bronze.

        The landing files are parsed once. Their names, sizes and the batch's time come from the
        stream's logs and the file system (`_landed`), not from a pass over the rows. The checked
        rows keep their values as parsed and are cached: the counts, the limits, bronze (those
        values), quarantine and silver all read that cache, so bronze and the checked rows are
        the same rows by construction. A file that changes while the batch reads it still fails
        the batch before anything is written: its size or time differ after the read
        (`_check_unchanged`). Caching the parsed rows at listing beside this cache, so two caches
        and their parses, measured slower (bench/RESULTS.md).
        """
        source, tables, spark = self.source, self.context.tables, self.context.spark
        started, clock = datetime.now(timezone.utc), time.monotonic()
        app_id = self.app_id()
        evolve = source.drift.add_new_columns
        if landed.rows is None:
            self._audit_without_rows(landed, batch_id, started)
            return
        conformed = conform(spark, landed.rows, source, [f.path for f in landed.files if f.bytes])
        if conformed.missing and source.drift.missing_column == "fail":
            raise IngestError(f"source {source.name}: files lack declared columns: {conformed.missing}")
        ingested_at = landed.ingested_at
        raw = with_ingest_metadata(conformed.rows, batch_id, ingested_at)
        first = self._bronze_commit(batch_id)
        if first is None:
            batch_rows = self._with_bronze_columns(raw)
        else:  # a replay: its first attempt passed the limits and wrote bronze, with its own time
            ingested_at = datetime.fromisoformat(first.note) if first.note else ingested_at
            batch_rows = tables.read(source.table).where(in_batch(batch_id, ingested_at))
        # Cached: every output reads the checked rows, and the cache also cuts the plan (the
        # checks of a wide table made the optimizer run for minutes on each query).
        rows = checked(batch_rows, source, conformed.missing)
        try:
            # On the batch's own session: a stream runs its batches in a clone of the job's.
            with session_conf(rows.sparkSession, UNCOMPRESSED_CACHE, hints=True):  # read as the first pass builds the cache
                read, quarantined, key_ranges, with_rows = self._counts(rows.persist())
            if first is None and read == 0:  # only empty or header-only files: audited as such
                self._audit_without_rows(Landed(None, landed.files, None, landed.unreadable), batch_id, started)
                return
            landed.files = [f for f in landed.files if file_key(f.path) in with_rows]
            if first is None:
                check_limits(source, read, quarantined, rows, batch_id)
                self._check_unchanged(landed, batch_id)
            tables.append_once(ingestion_checks.raw_values(rows, raw.columns), source.table, app_id, batch_id,
                               merge_schema=evolve, properties=BATCH_STATISTICS, note=ingested_at.isoformat(), find=False)
            bronze_seconds = time.monotonic() - clock
            tables.append_once(ingestion_checks.failed(rows), source.quarantine, app_id, batch_id,
                               properties=BATCH_STATISTICS, find=False)
            merged, kept = self._write_silver(rows, key_ranges, batch_id, replay=first is not None)
        finally:
            rows.unpersist()
        counts = batch_counts(source, read, quarantined, kept)
        self._audit(batch_id, started, counts, merged, landed,
                    (bronze_seconds, time.monotonic() - clock - bronze_seconds))
        for key in COUNTS:
            self.totals[key] += counts[key]
        log.info("%s batch %s: %s", source.name, batch_id, counts)

    def _counts(self, rows: DataFrame) -> tuple[int, int, list[tuple[object, object]], set[tuple[str, str, str]]]:
        """Rows read, rows quarantined, each key column's range among the rows that pass and the
        files that hold rows (as `file_key`s), in one pass."""
        passing = F.size(ingestion_checks.FAILURES) == 0
        bounds = [agg(F.when(passing, F.col(k))) for k in self.source.key for agg in (F.min, F.max)]
        found = rows.agg(F.count(F.lit(1)), F.count(F.when(~passing, 1)), F.collect_set(SOURCE_FILE), *bounds).first()
        ranges = list(zip(found[3::2], found[4::2], strict=True))
        return found[0], found[1], ranges, {file_key(path) for path in found[2]}

    def _check_unchanged(self, landed: Landed, batch_id: int) -> None:
        """Fail the batch, before anything is written, if a file's size or time changed while it was read."""
        spark = self.context.spark

        def changed_since(before: FileReport) -> bool:
            now = logged_file_report(spark, before.path)
            return (now.bytes, now.modified) != (before.bytes, before.modified)

        changed = [f.path for f in landed.files if changed_since(f)]
        if changed:
            raise IngestError(
                f"source {self.source.name} batch {batch_id}: landing file(s) {', '.join(changed)} changed while "
                "the batch read them; nothing of it was written: rerun to read them as they are now")

    def _audit_without_rows(self, landed: Landed, batch_id: int, started: datetime) -> None:
        """Audit a batch whose files hold no row (empty, unreadable or removed), naming each file."""
        spark = self.context.spark
        listed = checkpoint_batch_files(spark, self.checkpoint, batch_id) or []
        known = {file_key(f.path) for f in [*landed.files, *landed.unreadable]}
        for path in (p for p in listed if file_key(p) not in known):
            report = logged_file_report(spark, path)  # the log's paths are URLs (`a%20b`)
            (landed.unreadable if report.reason else landed.files).append(report)
        log.info("%s batch %s: no rows in %s file(s)", self.source.name, batch_id, len(listed))
        self._audit(batch_id, started, dict.fromkeys(COUNTS, 0), {}, landed, (0.0, 0.0))

    def _bronze_commit(self, batch_id: int) -> Commit | None:
        """The bronze append of this batch, if an earlier attempt committed it."""
        tables = self.context.tables
        if not tables.has_data(self.source.table):
            return None
        return tables.find_commit(self.source.table, f"{self.app_id()}/{batch_id}")

    def _with_bronze_columns(self, raw: DataFrame) -> DataFrame:
        """`raw` with bronze's columns: under schema evolution, those added by earlier batches."""
        tables, table = self.context.tables, self.source.table
        if not self.source.drift.add_new_columns or not tables.has_data(table):
            return raw
        return tables.read(table).limit(0).unionByName(raw, allowMissingColumns=True)

    def _write_silver(self, rows: DataFrame, key_ranges: list[tuple[object, object]], batch_id: int,
                      replay: bool) -> tuple[dict[str, int], int]:
        """Write the latest passing row per key to silver; return the merge metrics and rows kept.

        Only keys silver may already hold need a MERGE: a batch whose keys are all new (always
        so for the first batch, and without a key, where every row is its own record) is an
        idempotent append, which neither joins nor rewrites silver's files.
        """
        source, tables = self.source, self.context.tables
        tag = f"{self.app_id()}/{batch_id}"
        earlier = tables.find_commit(source.silver, tag) if replay and tables.has_data(source.silver) else None
        if earlier is None:
            latest = latest_per_key(ingestion_checks.passed(rows), source.key, source.order_by)
            if self._may_collide(rows, key_ranges):
                # `rows` is cached and its dedup deterministic, so Delta need not copy it again.
                merged = tables.merge(latest, source.silver, merge_condition(source.key),
                                      newer_condition(source.order_by),
                                      evolve_schema=source.drift.add_new_columns, stable_source=True)
                return merged, merged["numSourceRows"]
            earlier = tables.append_once(latest, source.silver, self.app_id(), batch_id,
                                         merge_schema=source.drift.add_new_columns)
        kept = earlier.metrics.get("numOutputRows", 0) if earlier is not None else 0
        return {"numSourceRows": kept, "numTargetRowsInserted": kept, "numTargetRowsUpdated": 0}, kept

    def _may_collide(self, rows: DataFrame, key_ranges: list[tuple[object, object]]) -> bool:
        """Whether silver may hold a key of the batch's passing rows.

        Silver is read only within the batch's key range, which Delta's file statistics prune
        to the files that can hold such keys (none when the batch's keys are beyond silver's);
        a left-semi join of the batch's keys against those tells.
        """
        source, tables = self.source, self.context.tables
        if not source.key or not tables.has_data(source.silver) or None in (low for low, _ in key_ranges):
            return False  # no key, no silver, or no passing row
        in_range = [F.col(k).between(low, high) for k, (low, high) in zip(source.key, key_ranges, strict=True)]
        silver = tables.delta_table(source.silver).toDF().select(*source.key).where(reduce(and_, in_range))
        keys = ingestion_checks.passed(rows).select(*source.key)
        return not keys.alias("s").join(silver.alias("t"), F.expr(merge_condition(source.key)), "left_semi").isEmpty()

    def _audit(self, batch_id: int, started: datetime, counts: dict[str, int], merged: dict[str, int],
               landed: Landed, seconds: tuple[float, float]) -> None:
        """One audit row per batch: its counts and every file, read or quarantined whole."""
        audit = batch_audit(self.source, batch_id, self._query_id, started, counts, merged, landed, seconds)
        self.context.tables.append_once(self.context.spark.createDataFrame([audit], AUDIT_SCHEMA),
                                        self.source.audit_table, self.app_id(), batch_id, merge_schema=True,
                                        find=False)
        self.totals["batches"] += 1
