"""How ingest writes silver: an idempotent append for keys silver cannot hold, a MERGE only for
keys it may."""

from __future__ import annotations

from datetime import date

import pytest

from jobs.common.ingest_writer import BatchWriter
from jobs.common.landing import read_landing
from jobs.ingest import ingest
from tests.ingest_fixtures import assert_reconciles, context_for, land, rows

# Whole jobs: left out of `make test-quick`.
pytestmark = pytest.mark.slow

HEADER = "id,updated,city,price\n"


def _operations(context, table: str) -> list[str]:
    """The table's commit operations, oldest first."""
    history = context.tables.delta_table(table).history().orderBy("version")
    return [r["operation"] for r in history.select("operation").collect()]


def test_new_keys_are_appended_and_only_keys_silver_holds_are_merged(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path)
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n2,2024-01-01,Oslo,200\n")
    ingest(context)
    # Keys inside silver's key range but not in it: the range lets them through, the join does not.
    land(tmp_path, "b.csv", HEADER + "3,2024-01-01,Bergen,300\n4,2024-01-01,Bergen,400\n4,2024-02-01,Bergen,410\n")
    second = ingest(context)["things"]
    land(tmp_path, "c.csv", HEADER + "1,2024-03-01,Oslo,120\n5,2024-01-01,Moss,500\n")
    third = ingest(context)["things"]

    assert _operations(context, "things_silver") == ["WRITE", "WRITE", "MERGE"]
    assert (second["rows_silver"], second["duplicates_merged"]) == (2, 1)  # deduped within the batch
    assert (third["rows_silver"], third["duplicates_merged"]) == (2, 0)
    assert [r[:4] for r in rows(context, "things_silver")] == [
        (1, date(2024, 3, 1), "Oslo", 120.0), (2, date(2024, 1, 1), "Oslo", 200.0),
        (3, date(2024, 1, 1), "Bergen", 300.0), (4, date(2024, 2, 1), "Bergen", 410.0),
        (5, date(2024, 1, 1), "Moss", 500.0)]
    assert_reconciles(context)


def test_a_replayed_batch_finds_its_silver_append_and_writes_nothing(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path)
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n")
    path = land(tmp_path, "b.csv", HEADER + "2,2024-01-01,Oslo,200\n2,2024-01-02,Oslo,210\n")
    ingest(context)
    silver_version = context.tables.version("things_silver")

    # A crash after batch 1's writes, before its checkpoint commit, replays it from bronze.
    source = context.settings.source("things")
    BatchWriter(context, source).write(read_landing(context, source, path=path.as_uri()), batch_id=1)

    assert context.tables.version("things_silver") == silver_version
    assert [r[:4] for r in rows(context, "things_silver")] == [
        (1, date(2024, 1, 1), "Oslo", 100.0), (2, date(2024, 1, 2), "Oslo", 210.0)]
    audit = context.tables.read("ingest_audit").where("batch_id = 1").collect()
    assert [(a["rows_silver"], a["duplicates_merged"]) for a in audit] == [(1, 1)]

