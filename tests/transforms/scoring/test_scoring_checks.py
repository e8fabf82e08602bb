"""Scoring input screened on tiny frames: values that are not data, duplicate keys, nulls kept."""

from __future__ import annotations

from datetime import date

from pyspark.sql import functions as F

from transforms.scoring.checks import BatchCounts, batch_counts, duplicate_keys, screen_input

DECLARED = {"amount": "double", "sold_on": "datetime", "listed": "datetime", "rooms": "long"}
SCHEMA = "id long, amount double, sold_on date, listed string, rooms string"


def _screen(spark, rows, duplicates: bool = False):
    frame = spark.createDataFrame(rows, SCHEMA)
    return screen_input(frame, list(DECLARED), ["id"], DECLARED, (1900, 2100),
                        duplicate_keys(frame, ["id"]) if duplicates else None)


def test_values_that_are_not_data_are_rejected_with_a_reason_naming_column_and_value(spark) -> None:
    good = (1, 10.0, date(2020, 5, 1), "2021-03-04 10:00:00", "3")
    screened = _screen(spark, [
        good,
        (2, float("nan"), date(2020, 5, 1), None, None),
        (3, float("inf"), date(1850, 1, 1), None, None),
        (4, None, date(2020, 5, 1), "yesterday", "3.5"),
        (5, None, None, "2150-01-01", None),                # nulls stay nulls; the date is out of range
    ])
    reasons = {r["raw_record"].split(",")[0]: r["reason"] for r in screened.rejected.collect()}
    assert reasons == {
        '{"id":2': "amount: NaN is not a number",
        '{"id":3': "amount: Infinity is not a number; sold_on: 1850-01-01 outside the years 1900-2100",
        '{"id":4': "listed: yesterday is not a valid timestamp; rooms: 3.5 is not a valid bigint",
        '{"id":5': "listed: 2150-01-01 00:00:00 outside the years 1900-2100",
    }
    scorable = screened.scorable
    assert dict(scorable.dtypes)["listed"] == "timestamp" and dict(scorable.dtypes)["rooms"] == "bigint"
    assert [tuple(r) for r in scorable.select("id", "rooms").collect()] == [(1, 3)]


def test_null_values_are_scored_and_every_copy_of_a_duplicate_key_is_rejected(spark) -> None:
    screened = _screen(spark, [
        (1, None, None, None, None),
        (2, 1.0, None, None, None),
        (2, 2.0, None, None, None),
        (None, 3.0, None, None, None),
        (None, 4.0, None, None, None),                     # null keys are not duplicates of each other
    ], duplicates=True)
    assert [r["id"] for r in screened.scorable.collect()] == [1]
    reasons = sorted(r["reason"] for r in screened.rejected.collect())
    assert reasons == ["duplicate key (id): 2 rows in this batch"] * 2 + ["null key (id)"] * 2


def test_batch_counts_count_rows_copies_of_non_null_keys_and_the_greatest_watermark(spark) -> None:
    rows = spark.createDataFrame(
        [(1, "2024-01-02"), (2, "2024-01-05"), (2, "2024-01-03"), (None, "2024-01-09"), (None, None)],
        "id bigint, seen string",
    ).withColumn("seen", F.col("seen").cast("date"))
    # Both rows of key 2 are copies; null keys are not copies of each other.
    assert batch_counts(rows, ["id"], "seen") == BatchCounts(5, 2, "2024-01-09")
    assert batch_counts(rows, ["id"]) == BatchCounts(5, 2, None)
    # A missing key column: every row is counted, none is a copy (all are quarantined for the column).
    assert batch_counts(rows, ["sale_id"], "seen") == BatchCounts(5, 0, None)
    assert batch_counts(rows.where("id = 7"), ["id"], "seen") == BatchCounts(0, 0, None)
