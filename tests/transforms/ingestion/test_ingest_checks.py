"""The pure parts of ingestion on tiny hand-checkable frames: cleaning, typing, expectations,
drift mapping and the latest-record-per-key choice."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

from chispa import assert_df_equality
from pyspark.sql import functions as F

from transforms.ingestion import bronze as ingestion
from transforms.ingestion import checks as ingestion_checks
from transforms.ingestion import drift as ingestion_drift
from transforms.ingestion.bronze import CORRUPT_RECORD, RESCUED_DATA, SOURCE_FILE

INGESTED_AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _rules(checked) -> dict[str, list[tuple[str, str]]]:
    rows = checked.select("id", ingestion_checks.FAILURES).collect()
    return {r["id"]: [(f["rule"], f["column"]) for f in r[ingestion_checks.FAILURES]] for r in rows}


def test_null_tokens_and_blanks_become_null_and_bad_values_fail_typing(spark) -> None:
    raw = spark.createDataFrame(
        [("a", " 12 ", "2020-01-31"), ("b", "NA", "?"), ("c", "twelve", "2021-02-31")],
        "id string, n string, d string",
    )
    cleaned = ingestion_checks.cleaned(raw, ["n", "d"], ["NA", "?"], trim=True)
    typed = ingestion_checks.typed(cleaned, {"n": "int", "d": "date"})
    assert _rules(typed) == {"a": [], "b": [], "c": [("type", "n"), ("type", "d")]}
    values = {r["id"]: (r["n"], r["d"]) for r in typed.collect()}
    assert values["a"][0] == 12 and str(values["a"][1]) == "2020-01-31"
    assert values["b"] == (None, None)


def test_failures_of_later_checks_are_appended_to_earlier_ones_and_passing_rows_keep_none(spark) -> None:
    raw = spark.createDataFrame([("ok", "3", "a"), ("typed", "x", "a"), ("late", "9", "a"), ("both", "y", None)],
                                "id string, n string, m string")
    typed = ingestion_checks.typed(raw, {"n": "int"})
    checked = ingestion_checks.expected(typed, not_null=["m"], ranges={"n": (0, 5)})
    assert _rules(checked) == {"ok": [], "typed": [("type", "n")], "late": [("range", "n")],
                               "both": [("type", "n"), ("not_null", "m")]}


def test_each_expectation_names_its_rule_and_nulls_pass_all_but_not_null(spark) -> None:
    rows = spark.createDataFrame(
        [("ok", 5, "Gd", "AB12"), ("low", -1, "Gd", "AB12"), ("level", 5, "Great", "AB12"),
         ("code", 5, "Gd", "12AB"), ("nulls", None, None, None)],
        "id string, n int, q string, code string",
    )
    checked = ingestion_checks.expected(
        rows, not_null=["n"], ranges={"n": (0, 10)}, allowed_values={"q": ["Gd", "Ex"]},
        patterns={"code": "^[A-Z]{2}[0-9]+$"},
    )
    assert _rules(checked) == {
        "ok": [], "low": [("range", "n")], "level": [("allowed_values", "q")],
        "code": [("regex", "code")], "nulls": [("not_null", "n")],
    }


def test_failed_rows_become_one_quarantine_row_each_with_raw_values(spark) -> None:
    bronze = spark.createDataFrame(
        [("1", "x", "f.csv"), ("2", "7", "f.csv")], "id string, n string, _source_file string"
    )
    bronze = ingestion.with_ingest_metadata(bronze, 3, INGESTED_AT)
    rows = ingestion_checks.with_raw_record(bronze, ["id", "n"])
    checked = ingestion_checks.expected(ingestion_checks.typed(rows, {"id": "int", "n": "int"}), ranges={"n": (0, 5)})
    quarantine = ingestion_checks.failed(checked).collect()
    assert [(json.loads(r["raw_record"]), r["rule"], r["column"], r["_batch_id"]) for r in sorted(quarantine)] == [
        ({"id": "1", "n": "x"}, "type", "n", 3), ({"id": "2", "n": "7"}, "range", "n", 3)]
    assert ingestion_checks.passed(checked).count() == 0


def test_latest_record_per_key_wins_by_ordering_column(spark) -> None:
    rows = spark.createDataFrame(
        [(1, "2020-01-01", "old", "a.csv"), (1, "2021-01-01", "new", "a.csv"), (2, "2020-01-01", "only", "b.csv")],
        "k int, at string, v string, _source_file string",
    )
    latest = ingestion.latest_per_key(rows, ["k"], "at")
    expected = spark.createDataFrame(
        [(1, "2021-01-01", "new", "a.csv"), (2, "2020-01-01", "only", "b.csv")], rows.schema
    )
    assert_df_equality(latest, expected, ignore_row_order=True)


def test_header_drift_finds_extra_missing_and_reordered_columns() -> None:
    assert ingestion_drift.header_fields('\ufeff"a","b;c",d') == ["a", "b;c", "d"]
    assert ingestion_drift.header_fields("a;b", delimiter=";") == ["a", "b"]
    # escape = quote is RFC 4180's doubled quote (`""`), as lakehouse-init declares it.
    assert ingestion_drift.header_fields('"a","b ""c""",d', escape='"') == ["a", 'b "c"', "d"]
    same = ingestion_drift.header_drift(["a", "b"], ["a", "b"])
    assert not same.drifted
    drift = ingestion_drift.header_drift(["b", "a", "x"], ["a", "b", "c"])
    assert (drift.extra, drift.missing, drift.reordered) == (("x",), ("c",), True)


def test_conform_by_name_rescues_or_adds_undeclared_columns(spark) -> None:
    by_header = spark.createDataFrame(
        [("2", "1", "red", None, "f.csv"), ("4", "3", None, None, "f.csv")],
        f"b string, a string, colour string, {CORRUPT_RECORD} string, {SOURCE_FILE} string",
    )
    names = {"a": "a", "b": "b", "c": "c"}
    rescued = ingestion_drift.conform_by_name(by_header, names)
    assert [tuple(r) for r in rescued.select("a", "b", "c", RESCUED_DATA).collect()] == [
        ("1", "2", None, '{"colour":"red"}'), ("3", "4", None, None)]
    added = ingestion_drift.conform_by_name(by_header, names, new_columns=["colour"])
    assert [tuple(r) for r in added.select("a", "colour", RESCUED_DATA).collect()] == [
        ("1", "red", None), ("3", None, None)]


def test_json_lines_map_by_name_keep_extras_and_flag_broken_lines(spark) -> None:
    lines = spark.createDataFrame(
        [('{"a": 1, "b": "x", "extra": {"k": 2}}',), ('{"b": "y"}',), ("{not json",), ("  ",)], "value string"
    ).withColumn(SOURCE_FILE, F.lit("f.json"))
    records = ingestion_drift.json_records(lines, {"a": "a", "b": "b"}).collect()
    assert [(r["a"], r["b"], r[RESCUED_DATA], r[CORRUPT_RECORD]) for r in records] == [
        ("1", "x", '{"extra":"{\\"k\\":2}"}', None), (None, "y", None, None), (None, None, None, "{not json")]


def test_values_that_cast_to_no_data_or_hold_undecodable_bytes_fail_with_a_reason_per_column(spark) -> None:
    raw = spark.createDataFrame(
        [("ok", "1.5", "2024-01-31", "Oslo"), ("huge", "1e400", "2024-01-31", "Oslo"),
         ("nan", "NaN", "2024-01-31", "Oslo"), ("minus", "-Infinity", "2024-01-31", "Oslo"),
         ("year", "2", "12345", "Oslo"), ("old", "2", "1899-12-31", "Oslo"), ("latin", "3", "2024-01-31", "Troms\ufffd")],
        "id string, price string, sold string, city string",
    )
    rows = ingestion_checks.decodable(raw, ["price", "sold", "city"], "UTF-8")
    checked = ingestion_checks.typed(rows, {"price": "double", "sold": "date"})
    assert _rules(checked) == {
        "ok": [], "huge": [("non_finite", "price")], "nan": [("non_finite", "price")],
        "minus": [("non_finite", "price")], "year": [("date_range", "sold")], "old": [("date_range", "sold")],
        "latin": [("encoding", "city")],
    }
    # Only the reasons are collected: the typed date of year 12345 is what no Python reader can load.
    failures = checked.where("id IN ('huge', 'year')").select("id", ingestion_checks.FAILURES).collect()
    reasons = {r["id"]: r[ingestion_checks.FAILURES][0]["reason"] for r in failures}
    assert reasons == {"huge": "price: 1e400 is not a finite number", "year": "sold: 12345 outside [1900-01-01, 2100-12-31]"}
    # A per-column range replaces the default; timestamps are checked by their date.
    stamps = spark.createDataFrame([("a", "1950-06-01 10:00:00"), ("b", "2031-01-01 00:00:00")], "id string, at string")
    ranged = ingestion_checks.typed(stamps, {"at": "timestamp"}, {"at": (date(1950, 1, 1), date(2030, 12, 31))})
    assert _rules(ranged) == {"a": [], "b": [("date_range", "at")]}


def test_a_blank_null_token_makes_every_blank_value_null_trimmed_or_not(spark) -> None:
    # Blank is what a Java regular expression's \s matches: a no-break space is a value.
    raw = spark.createDataFrame([("a", ""), ("b", " "), ("c", " \t "), ("d", " 7 "), ("e", "NA"), ("f", None),
                                 ("g", "\r\n\x0b\f"), ("h", "\u00a0")], "id string, n string")
    for token in ("", " "):
        for trim in (True, False):
            values = {r["id"]: r["n"] for r in ingestion_checks.cleaned(raw, ["n"], [token, "NA"], trim).collect()}
            assert values == {"a": None, "b": None, "c": None, "d": "7" if trim else " 7 ", "e": None, "f": None,
                              "g": None, "h": "\u00a0"}, (token, trim)
