"""Incremental ingestion of tiny landing files: bronze, silver, quarantine and audit add up."""

from __future__ import annotations

import json
from datetime import date

import pytest

from jobs.common.ingest_checks import IngestError
from jobs.common.ingest_writer import BatchWriter
from jobs.common.landing import read_landing
from jobs.ingest import ingest
from tests.ingest_fixtures import context_for, land, rows

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

HEADER = "id,updated,city,price\n"


def test_csv_quarantines_malformed_and_mistyped_rows_and_keeps_the_latest_update(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, expectations={"ranges": {"price": {"min": 0}}})
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n2,2024-01-01,Bergen\n3,2024-01-01,Oslo,lots\n"
         "4,2024-01-01, Moss ,NA\n5,2024-01-01,Oslo,-5\n")
    land(tmp_path, "b.csv", HEADER + "1,2024-03-01,Oslo,120\n1,2024-02-01,Oslo,110\n6,2024-01-01,Hamar,60\n")

    counts = ingest(context)["things"]

    assert counts == {"batches": 2, "rows_read": 8, "rows_bronze": 8, "rows_silver": 4,
                      "rows_quarantined": 3, "duplicates_merged": 1}
    bronze = context.tables.read("things_bronze")
    assert len(bronze.columns) == 4 + 5  # raw values, the unparsed line, metadata
    # Bronze keeps every line read; the one that does not parse, as its text.
    assert [r["_corrupt_record"] for r in bronze.where("_corrupt_record IS NOT NULL").collect()] == [
        "2,2024-01-01,Bergen"]
    silver = {r["id"]: (r["updated"], r["city"], r["price"]) for r in context.tables.read("things_silver").collect()}
    assert silver == {1: (date(2024, 3, 1), "Oslo", 120.0), 4: (date(2024, 1, 1), "Moss", None),
                      6: (date(2024, 1, 1), "Hamar", 60.0)}
    quarantine = context.tables.read("things_bronze_quarantine").orderBy("rule").collect()
    assert [(q["rule"], q["column"]) for q in quarantine] == [("malformed", None), ("range", "price"), ("type", "price")]
    assert quarantine[0]["raw_record"] == "2,2024-01-01,Bergen"
    assert json.loads(quarantine[2]["raw_record"])["price"] == "lots"
    assert all(q["_source_file"].endswith("a.csv") for q in quarantine)
    audit = context.tables.read("ingest_audit").orderBy("batch_id").collect()
    assert [(a["files"], a["rows_read"], a["rows_silver"], a["rows_quarantined"], a["duplicates_merged"])
            for a in audit] == [(1, 5, 2, 3, 0), (1, 3, 2, 0, 1)]
    assert all(a["rows_read"] == a["rows_silver"] + a["rows_quarantined"] + a["duplicates_merged"] for a in audit)


def _versions(context, *tables: str) -> dict[str, int]:
    return {t: context.tables.version(t) for t in tables}


def test_a_rerun_without_new_files_changes_nothing_and_a_replayed_batch_writes_nothing_twice(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path)
    path = land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n2,2024-01-01,Oslo,oops\n")
    first = ingest(context)["things"]
    tables = ("things_bronze", "things_silver", "things_bronze_quarantine", "ingest_audit")
    before = _versions(context, *tables)

    assert ingest(context)["things"] == dict.fromkeys(first, 0)
    assert _versions(context, *tables) == before

    # A crash after a batch's writes but before its checkpoint commit replays the same batch id.
    source = context.settings.source("things")
    writer = BatchWriter(context, source)
    writer.write(read_landing(context, source, path=path.as_uri()), batch_id=0)
    assert context.tables.read("things_bronze").count() == 2
    assert context.tables.read("things_bronze_quarantine").count() == 1
    assert context.tables.read("ingest_audit").count() == 1
    assert rows(context, "things_silver")[0][:4] == (1, date(2024, 1, 1), "Oslo", 100.0)
    assert context.tables.read("things_silver").count() == 1


def test_an_extra_column_is_rescued_and_a_missing_one_quarantines_its_file(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path)
    land(tmp_path, "a.csv", "id,colour,updated,city,price\n1,red,2024-01-01,Oslo,100\n")
    land(tmp_path, "b.csv", "id,updated,price\n2,2024-01-01,50\n")

    counts = ingest(context)["things"]

    assert (counts["rows_silver"], counts["rows_quarantined"]) == (1, 1)
    silver = context.tables.read("things_silver").first()
    assert (silver["id"], silver["city"], silver["price"]) == (1, "Oslo", 100.0)
    assert json.loads(silver["_rescued_data"]) == {"colour": "red"}
    quarantined = context.tables.read("things_bronze_quarantine").first()
    assert (quarantined["rule"], quarantined["column"]) == ("missing_column", "city")
    assert json.loads(quarantined["raw_record"])["price"] == "50"


def test_additive_evolution_adds_a_new_column_to_bronze_and_silver(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, drift={"add_new_columns": True})
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n")
    land(tmp_path, "b.csv", "id,updated,city,price,colour\n2,2024-01-01,Oslo,90,red\n")

    ingest(context)

    silver = {r["id"]: r["colour"] for r in context.tables.read("things_silver").collect()}
    assert silver == {1: None, 2: "red"}
    assert "colour" in context.tables.read("things_bronze").columns


@pytest.mark.parametrize(
    ("drift", "landed", "message"),
    [
        ({"missing_column": "fail"}, "id,updated,price\n2,2024-01-01,50\n", "lack declared columns"),
        ({"type_change": "fail"}, HEADER + "2,2024-01-01,Oslo,fifty\n", "do not cast to their declared types"),
    ],
)
def test_drift_fails_the_job_when_configured(spark, tmp_path, drift, landed, message) -> None:
    context = context_for(spark, tmp_path, drift=drift)
    land(tmp_path, "a.csv", landed)
    with pytest.raises(IngestError, match=message):
        ingest(context)
    assert not context.tables.exists("things_silver")


def test_too_many_quarantined_rows_fail_the_batch_before_anything_is_written(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, max_quarantined_fraction=0.25)
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n2,2024-01-01,Oslo,x\n")

    for _ in range(2):  # a rerun replays the batch and fails the same way, naming an example
        with pytest.raises(IngestError, match=r"1 of 2 rows \(50.0%\) quarantined, more than the allowed 25.0% "
                                              r"\(max_quarantined_fraction\), e.g. .*a.csv: price: x is not a valid double"):
            ingest(context)
    for table in ("things_bronze", "things_bronze_quarantine", "things_silver", "ingest_audit"):
        assert not context.tables.exists(table)


def test_json_lines_keep_extra_keys_and_quarantine_broken_lines(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, format="json", path="things_json", options={})
    land(tmp_path, "a.json", '{"id": 1, "updated": "2024-01-01", "city": "Oslo", "price": 1.5, "note": "x"}\n'
         '{"id": 2, "updated": "2024-01-01"\n{"id": "two", "updated": "2024-01-01"}\n', folder="things_json")

    counts = ingest(context)["things"]

    assert (counts["rows_read"], counts["rows_silver"], counts["rows_quarantined"]) == (3, 1, 2)
    silver = context.tables.read("things_silver").first()
    assert (silver["id"], silver["price"], json.loads(silver["_rescued_data"])) == (1, 1.5, {"note": "x"})
    rules = sorted(r["rule"] for r in context.tables.read("things_bronze_quarantine").collect())
    assert rules == ["malformed", "type"]


def test_parquet_files_are_ingested_with_their_values_as_raw_strings(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, format="parquet", path="things_parquet", options={})
    frame = spark.createDataFrame([(1, date(2024, 1, 1), "Oslo", 10.0), (2, date(2024, 1, 2), None, -1.0)],
                                  "id int, updated date, city string, price double")
    frame.coalesce(1).write.parquet(str(tmp_path / "landing" / "things_parquet"))

    counts = ingest(context)["things"]

    assert (counts["rows_read"], counts["rows_silver"]) == (2, 2)
    assert dict(context.tables.read("things_bronze").select("id", "price").collect()) == {"1": "10.0", "2": "-1.0"}
    assert rows(context, "things_silver")[1][:4] == (2, date(2024, 1, 2), None, -1.0)


def _land_parquet(spark, tmp_path, name: str, data: list[tuple], schema: str) -> None:
    """One landing file `<name>.parquet` (Spark writes a folder: keep its one part file)."""
    written = tmp_path / "parquet_out" / name
    spark.createDataFrame(data, schema).coalesce(1).write.parquet(str(written))
    landing = tmp_path / "landing" / "things_parquet"
    landing.mkdir(parents=True, exist_ok=True)
    next(written.glob("part-*.parquet")).rename(landing / f"{name}.parquet")


def test_parquet_drift_rescues_extras_and_quarantines_missing_columns_and_changed_types(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, format="parquet", path="things_parquet", options={},
                          max_files_per_trigger=10)
    _land_parquet(spark, tmp_path, "a_extra", [(1, date(2024, 1, 1), "Oslo", 10.0, "red")],
                  "id int, updated date, city string, price double, colour string")
    _land_parquet(spark, tmp_path, "b_missing", [(2, date(2024, 1, 1), 20.0)], "id int, updated date, price double")
    # price arrives as text: "30" still types as double, "thirty" does not
    _land_parquet(spark, tmp_path, "c_retyped", [(3, "2024-01-01", "Bergen", "30"), (4, "2024-01-01", "Moss", "thirty")],
                  "id long, updated string, city string, price string")

    counts = ingest(context)["things"]

    assert (counts["rows_read"], counts["rows_silver"], counts["rows_quarantined"]) == (4, 2, 2)
    silver = {r["id"]: (r["price"], r["_rescued_data"]) for r in context.tables.read("things_silver").collect()}
    assert silver == {1: (10.0, '{"colour":"red"}'), 3: (30.0, None)}
    quarantine = {json.loads(q["raw_record"])["id"]: (q["rule"], q["column"])
                  for q in context.tables.read("things_bronze_quarantine").collect()}
    assert quarantine == {"2": ("missing_column", "city"), "4": ("type", "price")}


def test_parquet_type_change_fails_the_job_when_configured(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, format="parquet", path="things_parquet", options={},
                          drift={"type_change": "fail"})
    _land_parquet(spark, tmp_path, "a", [(1, "2024-01-01", "Oslo", "ten")], "id int, updated string, city string, price string")
    with pytest.raises(IngestError, match="do not cast to their declared types"):
        ingest(context)
    assert not context.tables.exists("things_bronze_quarantine")
