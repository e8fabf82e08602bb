"""One parse per ingest batch: its files and time come from the stream's logs, bronze from the checked rows."""

from __future__ import annotations

import json

import pytest

from jobs.common import ingest_writer
from jobs.common.ingest_checks import IngestError
from jobs.common.landing_files import FileReport, file_key
from jobs.common.stream_checkpoint import checkpoint_batch_files
from jobs.ingest import ingest
from tests.ingest_fixtures import assert_reconciles, context_for, land

# Whole jobs: left out of `make test-quick`.
pytestmark = pytest.mark.slow

HEADER = "id,updated,city,price\n"


def test_a_batch_is_audited_from_the_stream_logs_and_bronze_keeps_the_values_as_parsed(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, max_files_per_trigger=3)
    spaced = land(tmp_path, "a 1%.csv", HEADER + "1,2024-01-01, Oslo ,100\n2,2024-01-01,Oslo,lots\n")
    land(tmp_path, "b.csv", HEADER)  # a header and no row: in the batch, but no file of its rows
    land(tmp_path, "c.csv", "")

    assert ingest(context)["things"]["rows_read"] == 2

    audit = context.tables.read("ingest_audit").collect()
    assert [(a["files"], a["rows_bronze"]) for a in audit] == [(1, 2)]
    [landed] = audit[0]["landed_files"]
    assert file_key(landed["path"]) == file_key(spaced.as_uri()) and landed["bytes"] == spaced.stat().st_size
    bronze = context.tables.read("things_bronze").orderBy("id").collect()
    # Raw values as the file wrote them (not trimmed, not typed), in the audit's spelling of the file.
    assert [(r["city"], r["price"]) for r in bronze] == [(" Oslo ", "100"), ("Oslo", "lots")]
    assert {r["_source_file"] for r in bronze} == {landed["path"]}
    # The batch's time is the one its offset log keeps, which a replay reads again.
    offsets = (tmp_path / "lakehouse").glob("*/_checkpoints/things/offsets/0")
    stamp_ms = json.loads(next(offsets).read_text().splitlines()[1])["batchTimestampMs"]
    assert {int(r["_ingested_at"].timestamp() * 1000) for r in bronze} == {stamp_ms}
    quarantined = context.tables.read("things_bronze_quarantine").collect()
    assert [json.loads(q["raw_record"])["city"] for q in quarantined] == ["Oslo"]
    assert_reconciles(context)


def test_a_batch_of_files_without_rows_is_audited_with_its_files_and_writes_no_row(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, max_files_per_trigger=2)
    land(tmp_path, "a.csv", HEADER)
    land(tmp_path, "b.csv", "")

    assert ingest(context)["things"]["rows_read"] == 0

    [audit] = context.tables.read("ingest_audit").collect()
    assert (audit["batch_id"], audit["files"], audit["rows_read"]) == (0, 2, 0)
    assert sorted(f["path"].rsplit("/", 1)[1] for f in audit["landed_files"]) == ["a.csv", "b.csv"]
    assert not context.tables.has_data("things_bronze")


def test_a_file_that_changes_while_its_batch_is_read_fails_the_batch_before_anything_is_written(
        spark, tmp_path, monkeypatch) -> None:
    context = context_for(spark, tmp_path)
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n")
    real_report = ingest_writer.logged_file_report

    def grown(spark_, path: str) -> FileReport:
        report = real_report(spark_, path)
        return FileReport(report.path, report.bytes + 1, report.modified, report.reason)

    # Only the look after the read sees the file grown: the listing before it saw it as written.
    monkeypatch.setattr(ingest_writer, "logged_file_report", grown)
    with pytest.raises(IngestError, match=r"a\.csv changed while the batch read them; nothing of it was written"):
        ingest(context)
    assert not context.tables.has_data("things_bronze")

    monkeypatch.setattr(ingest_writer, "logged_file_report", real_report)
    assert ingest(context)["things"]["rows_bronze"] == 1  # the rerun reads the file as it is now
    assert_reconciles(context)


def _log(path, *lines: dict | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")


def test_a_micro_batch_after_a_restart_gets_every_source_log_id_its_offsets_span(spark, tmp_path) -> None:
    checkpoint = tmp_path / "checkpoint"
    _log(checkpoint / "offsets" / "0", "v1", {"batchTimestampMs": 1}, {"logOffset": 0})
    # A killed run logged `b` under id 1 but never ran it: the restart's batch 1 spans ids 1 and 2.
    _log(checkpoint / "offsets" / "1", "v1", {"batchTimestampMs": 2}, {"logOffset": 2})
    _log(checkpoint / "offsets" / "2", "v1", {"batchTimestampMs": 3}, {"seqNum": 7})  # not a file source's
    for log_id, name in enumerate("abc"):
        _log(checkpoint / "sources" / "0" / str(log_id), "v1", {"path": f"file:///{name}", "timestamp": 0,
                                                                 "batchId": log_id})

    assert checkpoint_batch_files(spark, str(checkpoint), 0) == ["file:///a"]
    assert checkpoint_batch_files(spark, str(checkpoint), 1) == ["file:///b", "file:///c"]
    assert checkpoint_batch_files(spark, str(checkpoint), 2) is None
    assert checkpoint_batch_files(spark, str(checkpoint), 3) is None


def test_the_batch_cache_is_built_uncompressed_on_the_batch_session_and_the_job_session_is_untouched(
        spark, tmp_path, monkeypatch) -> None:
    context = context_for(spark, tmp_path)
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n")
    setting = "spark.sql.inMemoryColumnarStorage.compressed"
    before = spark.conf.get(setting)
    seen = []
    real_counts = ingest_writer.BatchWriter._counts

    def counts(self, rows):
        # The stream runs the batch in a clone of the job's session: the setting must be on the clone.
        seen.append((rows.sparkSession is spark, rows.sparkSession.conf.get(setting)))
        return real_counts(self, rows)

    monkeypatch.setattr(ingest_writer.BatchWriter, "_counts", counts)
    assert ingest(context)["things"]["rows_bronze"] == 1
    assert seen == [(False, "false")]
    assert spark.conf.get(setting) == before
