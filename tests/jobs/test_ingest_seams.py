"""Hostile landing files: values that are not data, files no reader can parse, files the stream
skips, and a batch that fails its limit and is replayed after a fix. Nothing is lost at the seams:
every row and every file ends up counted in the audit."""

from __future__ import annotations

import gzip
import json
import logging
import os
from datetime import date

import pytest

from jobs.common.ingest_checks import IngestError
from jobs.ingest import ingest
from tests.ingest_fixtures import assert_reconciles, context_for, land

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

HEADER = "id,updated,city,price\n"


def _land_bytes(tmp_path, name: str, data: bytes) -> None:
    directory = tmp_path / "landing" / "things"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def _quarantined(context) -> dict[str, tuple[str, str]]:
    """Raw id -> (rule, column) of the quarantine rows (raw records are JSON objects here)."""
    return {json.loads(q["raw_record"])["id"]: (q["rule"], q["column"])
            for q in context.tables.read("things_bronze_quarantine").collect()}


def test_values_that_are_not_data_are_quarantined_with_a_reason_and_silver_reads_back(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path)
    lines = [
        "1,2024-01-01,Oslo,100", "2,2024-01-01,Oslo,1e400", "3,2024-01-01,Oslo,NaN", "4,2024-01-01,Oslo,-Infinity",
        "5,12345,Oslo,10", "6,1899-12-31,Oslo,10",
    ]
    _land_bytes(tmp_path, "a.csv", (HEADER + "\n".join(lines) + "\n").encode() + "7,2024-01-01,Tromsø,5\n".encode("latin-1"))

    counts = ingest(context)["things"]

    # Every Python read of silver works: no year 12345, no infinite label.
    assert [tuple(r)[:4] for r in context.tables.read("things_silver").collect()] == [(1, date(2024, 1, 1), "Oslo", 100.0)]
    assert (counts["rows_read"], counts["rows_silver"], counts["rows_quarantined"]) == (7, 1, 6)
    assert _quarantined(context) == {
        "2": ("non_finite", "price"), "3": ("non_finite", "price"), "4": ("non_finite", "price"),
        "5": ("date_range", "updated"), "6": ("date_range", "updated"), "7": ("encoding", "city"),
    }
    reasons = {q["reason"] for q in context.tables.read("things_bronze_quarantine").collect()}
    assert {"updated: 12345 outside [1900-01-01, 2100-12-31]", "price: -Infinity is not a finite number",
            "price: 1e400 is not a finite number"} <= reasons
    assert_reconciles(context)


def test_the_declared_encoding_and_a_per_column_date_range_apply(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, options={"header": "true", "encoding": "ISO-8859-1"},
                          expectations={"date_ranges": {"updated": {"min": "2000-01-01"}}})
    _land_bytes(tmp_path, "a.csv", (HEADER + "1,2024-01-01,Tromsø,5\n2,1999-12-31,Oslo,5\n").encode("latin-1"))

    ingest(context)

    assert [(r["id"], r["city"]) for r in context.tables.read("things_silver").collect()] == [(1, "Tromsø")]
    assert _quarantined(context) == {"2": ("date_range", "updated")}
    assert context.tables.read("things_bronze_quarantine").first()["reason"] == (
        "updated: 1999-12-31 outside [2000-01-01, 2100-12-31]")


def test_a_file_no_reader_can_parse_is_quarantined_whole_and_the_rest_of_its_batch_lands(spark, tmp_path, caplog) -> None:
    context = context_for(spark, tmp_path, max_files_per_trigger=10)
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n")
    land(tmp_path, "b.csv", HEADER + "2,2024-01-01,Oslo,100\n" + "," * 30_000 + "\n3,2024-01-01,Oslo,100\n")
    _land_bytes(tmp_path, "c.csv.gz", b"this is not gzip data\n")
    _land_bytes(tmp_path, "d.csv.gz", gzip.compress((HEADER + "4,2024-01-01,Oslo,100\n").encode()))

    with caplog.at_level(logging.WARNING, logger="jobs.common.unreadable_files"):
        counts = ingest(context)["things"]

    assert (counts["rows_read"], counts["rows_silver"]) == (2, 2)
    assert sorted(r["id"] for r in context.tables.read("things_silver").collect()) == [1, 4]
    audit = context.tables.read("ingest_audit").first()
    assert audit["files"] == 4
    quarantined = {os.path.basename(f["path"]): f for f in audit["quarantined_files"]}
    assert sorted(quarantined) == ["b.csv", "c.csv.gz"]
    assert quarantined["b.csv"]["bytes"] == (tmp_path / "landing" / "things" / "b.csv").stat().st_size
    assert "more columns than the CSV parser's limit" in quarantined["b.csv"]["reason"]
    assert "gzip" in quarantined["c.csv.gz"]["reason"]
    assert sum("b.csv" in r.message and "quarantined whole" in r.message for r in caplog.records) == 1
    assert_reconciles(context)


def test_hidden_and_rewritten_files_are_reported_once_in_the_audit_and_warned_about_each_run(spark, tmp_path, caplog) -> None:
    context = context_for(spark, tmp_path)
    landed = land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n")
    ingest(context)
    landed.write_text(HEADER + "1,2024-01-01,Oslo,100\n2,2024-01-01,Oslo,200\n")  # rewritten in place
    land(tmp_path, "_x.csv", HEADER + "3,2024-01-01,Oslo,100\n")
    land(tmp_path, ".y.csv", HEADER + "4,2024-01-01,Oslo,100\n")
    land(tmp_path, "_SUCCESS", "")  # a commit marker: hidden on purpose, not reported

    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="jobs.common.ingest_audit"):
            ingest(context)
        warned = sorted(os.path.basename(r.message.split(":")[1]) for r in caplog.records)
        assert warned == [".y.csv", "_x.csv", "a.csv"]

    skipped = [f for r in context.tables.read("ingest_audit").collect() if r["batch_id"] is None for f in r["skipped_files"]]
    reasons = {os.path.basename(f["path"]): f["reason"] for f in skipped}
    assert sorted(reasons) == [".y.csv", "_x.csv", "a.csv"]  # once each, though two runs saw them
    assert reasons["_x.csv"].startswith("hidden file (name starts with '_')")
    assert reasons["a.csv"].startswith("changed after it was ingested")
    assert context.tables.read("things_silver").count() == 1
    assert_reconciles(context)


@pytest.mark.parametrize("fix", ["rewrite", "remove"])
def test_a_batch_that_fails_its_limit_writes_nothing_and_its_replay_after_a_fix_reconciles(spark, tmp_path, fix) -> None:
    context = context_for(spark, tmp_path, max_quarantined_fraction=0.25)
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n")
    bad = land(tmp_path, "b.csv", HEADER + "2,2024-01-01,Oslo,x\n3,2024-01-01,Oslo,y\n")
    with pytest.raises(IngestError, match=r"quarantined, more than the allowed 25\.0%"):
        ingest(context)
    assert_reconciles(context)  # batch 0 only: batch 1 left no row anywhere

    if fix == "rewrite":
        bad.write_text(HEADER + "2,2024-01-01,Oslo,20\n3,2024-01-01,Oslo,30\n")
    else:
        bad.unlink()
    ingest(context)

    audit = {r["batch_id"]: r for r in context.tables.read("ingest_audit").collect()}
    assert sorted(audit) == [0, 1]
    expected = {"rewrite": ([1, 2, 3], 2, []), "remove": ([1], 0, ["no longer in the landing folder"])}[fix]
    assert sorted(r["id"] for r in context.tables.read("things_silver").collect()) == expected[0]
    assert audit[1]["rows_read"] == expected[1]
    assert [f["reason"] for f in audit[1]["quarantined_files"]] == expected[2]
    assert audit[1]["files"] == 1
    assert_reconciles(context)
