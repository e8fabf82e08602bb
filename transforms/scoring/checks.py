"""Scoring input that the model cannot score goes to quarantine with a reason, never lost.

What the fitted stages already define is left to them: an unseen category falls into the
encoders' `keep` bucket, a new null into the imputer, an extra column is ignored. What they
cannot handle is set aside row by row: a missing input column (every row), a null key, a key
the batch holds more than once (every copy: which one is right is not ours to guess), a value
that is not data of the model's declared type (`transforms.scoring.values`), and a row the
model returned no prediction for (null or NaN).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.ingestion.bronze import raw_record
from transforms.scoring.values import joined_reasons, literal_column, value_checks

REASON = "reason"
RAW_RECORD = "raw_record"
_REASON_COLUMN = "_quarantine_reason"
_RAW_COLUMN = "_raw_record"
_COPIES = "_key_copies"
DEFAULT_YEARS = (1900, 2100)


@dataclass(frozen=True)
class ScreenedInput:
    """Rows fit to score (None when a required column is missing) and rows rejected before scoring."""

    scorable: DataFrame | None
    rejected: DataFrame


def quarantine_records(rows: DataFrame, reason: Column, columns: Sequence[str] | None = None) -> DataFrame:
    return rows.select(raw_record(columns or rows.columns).alias(RAW_RECORD), reason.alias(REASON))


def duplicate_keys(rows: DataFrame, key: Sequence[str]) -> DataFrame:
    """The non-null keys `rows` holds more than once, with their number of rows (`_key_copies`)."""
    counted = rows.where(~_null_key(key)).groupBy(*key).agg(F.count(F.lit(1)).alias(_COPIES))
    return counted.where(F.col(_COPIES) > 1)


def screen_input(
    rows: DataFrame,
    required: Sequence[str],
    key: Sequence[str],
    declared: Mapping[str, str | None] | None = None,
    years: tuple[int, int] = DEFAULT_YEARS,
    duplicates: DataFrame | None = None,
) -> ScreenedInput:
    """Split `rows` into scorable rows and rows quarantined before scoring, with their reason.

    `declared` maps the model's input columns to their MLflow type names: text columns are
    parsed into those types in the scorable rows, values that are not data are quarantined.
    `duplicates` (from `duplicate_keys`, only when the batch has any: finding them takes a join)
    quarantines every row of a key held more than once.
    """
    missing = [c for c in dict.fromkeys([*key, *required]) if c not in rows.columns]
    if missing:
        reason = F.lit(f"missing input column(s): {', '.join(missing)}")
        return ScreenedInput(None, quarantine_records(rows, reason))
    columns = rows.columns
    checks = value_checks(rows.schema, declared or {}, years)
    reasons = [F.when(_null_key(key), F.lit(f"null key ({', '.join(key)})"))]
    if duplicates is not None:
        rows = rows.join(duplicates, list(key), "left").select(*[literal_column(c) for c in columns], _COPIES)
        reasons.append(F.when(F.col(_COPIES).isNotNull(), F.format_string(
            f"duplicate key ({', '.join(key)}): %d rows in this batch", F.col(_COPIES))))
    marked = rows.withColumn(_REASON_COLUMN, joined_reasons([*reasons, *checks.reasons]))
    scorable = marked.where(F.col(_REASON_COLUMN).isNull()).select(
        *[checks.parsed.get(c, literal_column(c)) for c in columns])
    rejected = marked.where(F.col(_REASON_COLUMN).isNotNull())
    return ScreenedInput(scorable, quarantine_records(rejected, F.col(_REASON_COLUMN), columns))


def _null_key(key: Sequence[str]) -> Column:
    null_key = F.lit(False)
    for column in key:
        null_key = null_key | literal_column(column).isNull()
    return null_key


@dataclass(frozen=True)
class BatchCounts:
    """What one pass over a batch's input rows counts."""

    rows_in: int
    duplicated_rows: int  # rows whose (non-null) key the batch holds more than once
    greatest_watermark: str | None  # None without a watermark column, or when every value is null


def batch_counts(rows: DataFrame, key: Sequence[str], watermark: str | None = None) -> BatchCounts:
    """Rows in, rows of keys held more than once, and the greatest `watermark` value, as text.

    One pass, grouped by key: only the key columns (and the watermark) are shuffled.
    """
    if any(c not in rows.columns for c in key):  # every row is quarantined for the missing column
        return BatchCounts(rows.count(), 0, None)
    upper = [F.max(watermark).alias("_upper")] if watermark else []
    per_key = rows.groupBy(*key).agg(F.count(F.lit(1)).alias("_rows"), *upper)
    totals = per_key.agg(
        F.sum("_rows").alias("rows_in"),
        F.sum(F.when(~_null_key(key) & (F.col("_rows") > 1), F.col("_rows"))).alias("duplicated"),
        (F.max("_upper") if watermark else F.lit(None)).cast("string").alias("upper"),
    ).first()
    return BatchCounts(int(totals["rows_in"] or 0), int(totals["duplicated"] or 0), totals["upper"])


def mark_unpredicted(scored: DataFrame, input_columns: Sequence[str], keep: Sequence[str]) -> DataFrame:
    """`keep` columns plus a reason and the raw record for rows without a usable prediction.

    The raw record is built only for those rows, so a clean batch carries no extra payload.
    """
    prediction = F.col("prediction")
    failed = prediction.isNull() | F.isnan(prediction)
    return scored.select(
        *keep,
        F.when(failed, F.lit("no prediction (model returned null or NaN)")).alias(_REASON_COLUMN),
        F.when(failed, raw_record(input_columns)).alias(_RAW_COLUMN),
    )


def predicted(marked: DataFrame) -> DataFrame:
    """The rows of `mark_unpredicted` that hold a prediction, without the marking columns."""
    return marked.where(F.col(_REASON_COLUMN).isNull()).drop(_REASON_COLUMN, _RAW_COLUMN)


def unpredicted(marked: DataFrame) -> DataFrame:
    """The rows of `mark_unpredicted` without a prediction, as quarantine records."""
    return marked.where(F.col(_REASON_COLUMN).isNotNull()).select(
        F.col(_RAW_COLUMN).alias(RAW_RECORD), F.col(_REASON_COLUMN).alias(REASON)
    )
