"""Scoring input that the model cannot score goes to quarantine with a reason, never lost.

What the fitted stages already define is left to them: an unseen category falls into the
encoders' `keep` bucket, a new null into the imputer, an extra column is ignored. What they
cannot handle is set aside row by row: a missing input column (every row), a null key, and a
row the model returned no prediction for (null or NaN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.ingestion import raw_record

REASON = "reason"
RAW_RECORD = "raw_record"
_REASON_COLUMN = "_quarantine_reason"
_RAW_COLUMN = "_raw_record"


@dataclass(frozen=True)
class ScreenedInput:
    """Rows fit to score (None when a required column is missing) and rows rejected before scoring."""

    scorable: DataFrame | None
    rejected: DataFrame


def quarantine_records(rows: DataFrame, reason: Column, columns: Sequence[str] | None = None) -> DataFrame:
    return rows.select(raw_record(columns or rows.columns).alias(RAW_RECORD), reason.alias(REASON))


def screen_input(rows: DataFrame, required: Sequence[str], key: Sequence[str]) -> ScreenedInput:
    """Split `rows` into scorable rows and rows quarantined before scoring, with their reason."""
    missing = [c for c in dict.fromkeys([*key, *required]) if c not in rows.columns]
    if missing:
        reason = F.lit(f"missing input column(s): {', '.join(missing)}")
        return ScreenedInput(None, quarantine_records(rows, reason))
    null_key = F.lit(False)
    for column in key:
        null_key = null_key | F.col(column).isNull()
    reason = F.when(null_key, F.lit(f"null key ({', '.join(key)})"))
    return ScreenedInput(rows.where(~null_key), quarantine_records(rows.where(null_key), reason))


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
