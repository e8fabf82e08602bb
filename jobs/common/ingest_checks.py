"""A source's checks and limits applied to an ingest batch: what passes, and whether it may land."""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.config import DateRange, SourceSettings
from jobs.common.errors import UserError
from jobs.common.landing import declared_encoding
from transforms.ingestion import checks as ingestion_checks
from transforms.ingestion.bronze import RESCUED_DATA, SOURCE_FILE

# The first failure's reason of an example row, to name in an error.
EXAMPLE_REASON = "reason"
# How many of the most frequent failures (rule and column) a quarantine-limit error names.
TOP_REASONS = 3


class IngestError(UserError):
    """A batch broke a configured limit; nothing of it was written, so a rerun replays it whole."""


def _date_ranges(source: SourceSettings) -> dict[str, tuple[date, date]]:
    unknown = [c for c in source.expectations.date_ranges if c not in source.declared_columns]
    if unknown:
        raise IngestError(f"source {source.name}: expectations.date_ranges names undeclared columns {unknown}")
    return {c: (r.min, r.max) for c, r in source.expectations.date_ranges.items()}


def checked(parsed: DataFrame, source: SourceSettings, missing: dict[str, list[str]]) -> DataFrame:
    """A batch's raw rows cleaned, typed and checked; each carries its failures (see ingestion_checks)
    and its values as parsed (`ingestion_checks.raw_values` selects them back for bronze; quarantine
    turns them into a JSON record for the rows that fail, silver drops them)."""
    names = list(source.declared_columns)
    expectations = source.expectations
    raw_columns = [*names, RESCUED_DATA]
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
    return ingestion_checks.malformed(rows, source.format)


def batch_counts(source: SourceSettings, read: int, quarantined: int, kept: int) -> dict[str, int]:
    """A batch's row counts for the audit; they must add up to the rows read."""
    counts = {
        "rows_read": read,
        "rows_bronze": read,
        "rows_silver": kept,
        "rows_quarantined": quarantined,
        "duplicates_merged": read - quarantined - kept,
    }
    if counts["duplicates_merged"] < 0:
        raise IngestError(f"source {source.name}: batch counts do not reconcile: {counts}")
    return counts


def _example(rows: DataFrame) -> str | None:
    """`file: reason` of the first of `rows`, or None if there are none."""
    first = rows.select(SOURCE_FILE, F.col(ingestion_checks.FAILURES)[0]["reason"].alias(EXAMPLE_REASON)).first()
    return None if first is None else f"{first[SOURCE_FILE]}: {first[EXAMPLE_REASON]}"


def top_reasons(rows: DataFrame, limit: int = TOP_REASONS) -> str:
    """The most frequent failures of `rows` as `rule on column: rows`, most frequent first."""
    failures = rows.select(F.explode(ingestion_checks.FAILURES).alias("f")).select("f.rule", "f.column")
    top = failures.groupBy("rule", "column").count().orderBy(F.desc("count"), "rule", "column").limit(limit)
    return ", ".join(f"{r['rule']} on {r['column']}: {r['count']:,}" for r in top.collect())


def check_limits(source: SourceSettings, read: int, quarantined: int, rows: DataFrame, batch_id: int) -> None:
    """Fail a batch that breaks a limit, before any of it is written, naming an example."""
    failures = ingestion_checks.FAILURES
    not_written = f"nothing of batch {batch_id} was written: fix or remove the file and rerun"
    if source.drift.type_change == "fail":
        example = _example(rows.where(F.exists(failures, lambda f: f["rule"] == ingestion_checks.TYPE)))
        if example is not None:
            raise IngestError(
                f"source {source.name} batch {batch_id}: values do not cast to their declared "
                f"types (drift.type_change=fail), e.g. {example}; {not_written}"
            )
    share = quarantined / read if read else 0.0
    if share > source.max_quarantined_fraction:
        failed = rows.where(F.size(failures) > 0)
        raise IngestError(
            f"source {source.name} batch {batch_id}: {quarantined:,} of "
            f"{read:,} rows ({share:.1%}) quarantined, more than the allowed "
            f"{source.max_quarantined_fraction:.1%} (max_quarantined_fraction), e.g. "
            f"{_example(failed)}; top reasons: {top_reasons(failed)}; {not_written}"
        )
