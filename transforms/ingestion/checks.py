"""Typing and expectation checks that decide which bronze rows reach silver.

Each check adds, per row, a failure (rule, column, reason) to the `_failures` array; a row
with no failure goes to silver with typed values, any other row to quarantine under its first
failure with every reason listed. A value that is present but does not cast to its declared
type is a `type` failure: a silent null would hide the problem from every later step. So is
a value that casts to something that is not data: a non-finite number (`NaN`, `-Infinity`,
`1e400`, which overflows to infinity) is `non_finite`, a date outside its column's range (the
date `12345` is year 12345, which no Python reader can load) is `date_range`, and a value with
bytes the declared encoding cannot decode (read as U+FFFD) is `encoding`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from functools import reduce
from operator import or_
from typing import NamedTuple

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    DataType,
    DateType,
    DoubleType,
    FloatType,
    TimestampNTZType,
    TimestampType,
)

from transforms.ingestion.bronze import (
    CORRUPT_RECORD,
    MALFORMED,
    SOURCE_FILE,
    quarantine_rows,
    raw_record,
)

FAILURES = "_failures"
FAILURE_TYPE = "array<struct<rule:string,column:string,reason:string>>"
TYPE = "type"
NOT_NULL = "not_null"
RANGE = "range"
ALLOWED_VALUES = "allowed_values"
PATTERN = "regex"
MISSING_COLUMN = "missing_column"
NON_FINITE = "non_finite"
DATE_RANGE = "date_range"
ENCODING = "encoding"
# What a decoder puts in place of bytes that are not valid in the declared encoding.
REPLACEMENT_CHARACTER = "\ufffd"
DEFAULT_DATE_RANGE = (date(1900, 1, 1), date(2100, 12, 31))
# What `\s` matches in a Java regular expression: a value made only of these is blank.
WHITESPACE = " \t\n\u000b\f\r"


class _Check(NamedTuple):
    """A row fails `rule` on `column` where `condition` is true (a null condition is no failure)."""

    condition: Column
    rule: str
    column: str
    reason: Column

    def failure(self) -> Column:
        """The failure struct where the condition holds, else null."""
        detail = F.struct(F.lit(self.rule).alias("rule"), F.lit(self.column).alias("column"),
                          self.reason.alias("reason"))
        return F.when(self.condition, detail)


def _with_failures(df: DataFrame, checks: Sequence[_Check]) -> DataFrame:
    """Append the failures of `checks` to each row's `_failures` array.

    The array is built only for rows where some check fails. Spark runs higher-order functions
    such as `filter` without generated code, so building it for every row made the checks cost
    as much as the CSV parse (bench/RESULTS.md); the conditions alone are compiled, and almost
    every row passes them all.
    """
    existing = F.col(FAILURES) if FAILURES in df.columns else F.array().cast(FAILURE_TYPE)
    if not checks:
        return df.withColumn(FAILURES, existing)
    any_failed = reduce(or_, [F.coalesce(check.condition, F.lit(False)) for check in checks])
    found = F.filter(F.array(*[check.failure() for check in checks]), lambda failure: failure.isNotNull())
    return df.withColumn(FAILURES, F.when(any_failed, F.concat(existing, found)).otherwise(existing))


def cleaned(df: DataFrame, columns: Sequence[str], null_tokens: Sequence[str], trim: bool) -> DataFrame:
    """Raw strings with surrounding blanks trimmed and null tokens (`NA`, `?`) made null.

    A blank token (`""`, `" "`, any whitespace only) stands for every blank value: each empty or
    whitespace-only value is null, trimmed or not. Matched as written, `" "` would never meet
    a value trimmed to `""`, and `""` never a `"  "` kept untrimmed. Other tokens match the
    value as trimmed (or not).
    """
    blank = any(not token.strip() for token in null_tokens)
    tokens = [token for token in null_tokens if token.strip()]

    def clean(name: str) -> Column:
        raw = F.col(name)
        value = F.trim(raw) if trim else raw
        if tokens:
            value = F.when(value.isin(*tokens), F.lit(None)).otherwise(value)
        if blank:  # a trim of every blank, compiled, not a regular expression per value
            value = F.when(F.trim(raw, F.lit(WHITESPACE)) == "", F.lit(None)).otherwise(value)
        return value.alias(name)

    wanted = set(columns)
    return df.select(*[clean(c) if c in wanted else F.col(c) for c in df.columns])


def typed(
    df: DataFrame,
    columns: Mapping[str, str],
    date_ranges: Mapping[str, tuple[date, date]] | None = None,
    default_date_range: tuple[date, date] = DEFAULT_DATE_RANGE,
) -> DataFrame:
    """Cast declared columns to their types; a present value that does not cast, or casts to
    no data (a non-finite number, a date outside its range), is a failure naming the raw value."""
    casts = {name: F.col(name).try_cast(type_) for name, type_ in columns.items()}
    types = dict(zip(casts, (f.dataType for f in df.select(*casts.values()).schema.fields), strict=True))
    checks = []
    for name, type_ in columns.items():
        raw, value = F.col(name), casts[name]
        checks.append(_Check(raw.isNotNull() & value.isNull(), TYPE, name,
                             F.format_string(f"{name}: %s is not a valid {type_}", raw)))
        checks += _not_data(name, raw, value, types[name], (date_ranges or {}).get(name, default_date_range))
    df = _with_failures(df, checks)
    return df.select(*[casts[c].alias(c) if c in casts else F.col(c) for c in df.columns])


def _not_data(name: str, raw: Column, value: Column, type_: DataType, date_range: tuple[date, date]) -> list[_Check]:
    """Failures for a cast value that is not data: non-finite, or a date outside `date_range`."""
    if isinstance(type_, (FloatType, DoubleType)):
        infinite = value.isin(float("inf"), float("-inf"))
        reason = F.format_string(f"{name}: %s is not a finite number", raw)
        return [_Check(F.isnan(value) | infinite, NON_FINITE, name, reason)]
    if isinstance(type_, (DateType, TimestampType, TimestampNTZType)):
        low, high = date_range
        day = value.cast("date")
        outside = (day < F.lit(low)) | (day > F.lit(high))
        reason = F.format_string(f"{name}: %s outside [{low}, {high}]", raw)
        return [_Check(outside, DATE_RANGE, name, reason)]
    return []


def decodable(df: DataFrame, columns: Sequence[str], encoding: str) -> DataFrame:
    """A failure for each raw string value holding bytes `encoding` could not decode.

    The reader puts U+FFFD in their place, so the value in silver would not be the one sent.
    """
    checks = [
        _Check(F.col(c).contains(REPLACEMENT_CHARACTER), ENCODING, c,
               F.format_string(f"{c}: %s has bytes that are not valid {encoding}", F.col(c)))
        for c in columns
    ]
    return _with_failures(df, checks)


def expected(
    df: DataFrame,
    not_null: Sequence[str] = (),
    ranges: Mapping[str, tuple[float | None, float | None]] | None = None,
    allowed_values: Mapping[str, Sequence[str]] | None = None,
    patterns: Mapping[str, str] | None = None,
) -> DataFrame:
    """Add a failure for every declared expectation a typed row breaks (nulls pass all but not_null)."""
    checks = [
        _Check(F.col(c).isNull(), NOT_NULL, c, F.lit(f"{c} is null")) for c in dict.fromkeys(not_null)
    ]
    for c, (low, high) in (ranges or {}).items():
        outside = F.lit(False)
        if low is not None:
            outside = outside | (F.col(c) < F.lit(low))
        if high is not None:
            outside = outside | (F.col(c) > F.lit(high))
        reason = F.format_string(f"{c}: %s outside [{low}, {high}]", F.col(c).cast("string"))
        checks.append(_Check(outside, RANGE, c, reason))
    for c, values in (allowed_values or {}).items():
        reason = F.format_string(f"{c}: %s not in {list(values)}", F.col(c).cast("string"))
        checks.append(_Check(~F.col(c).cast("string").isin(*values), ALLOWED_VALUES, c, reason))
    for c, pattern in (patterns or {}).items():
        reason = F.format_string(f"{c}: %s does not match {pattern}", F.col(c).cast("string"))
        checks.append(_Check(~F.col(c).cast("string").rlike(pattern), PATTERN, c, reason))
    return _with_failures(df, checks)


def missing_columns(df: DataFrame, missing_by_file: Mapping[str, Sequence[str]]) -> DataFrame:
    """A failure for every row of a file that lacks declared columns (their values are unknown)."""
    checks = [
        _Check(
            F.col(SOURCE_FILE) == F.lit(path),
            MISSING_COLUMN,
            ", ".join(names),
            F.lit(f"file has no column {', '.join(names)}"),
        )
        for path, names in missing_by_file.items()
        if names
    ]
    return _with_failures(df, checks)


def malformed(df: DataFrame, source_format: str) -> DataFrame:
    """A row the parser could not read as a record fails as `malformed` alone: its values are fragments."""
    if CORRUPT_RECORD not in df.columns:
        return df
    reason = f"does not parse as a record of the declared {source_format} columns"
    only = F.array(F.struct(F.lit(MALFORMED).alias("rule"), F.lit(None).cast("string").alias("column"),
                            F.lit(reason).alias("reason")))
    return df.withColumn(FAILURES, F.when(F.col(CORRUPT_RECORD).isNotNull(), only).otherwise(F.col(FAILURES)))


RAW_RECORD = "_raw_record"
RAW_PREFIX = "__raw__"


def with_raw_record(df: DataFrame, raw_columns: Sequence[str]) -> DataFrame:
    """Keep the untyped values beside the row (as ``__raw__<name>``), for quarantine if a check fails."""
    return df.select("*", *[F.col(c).alias(RAW_PREFIX + c) for c in raw_columns])


def raw_values(checked: DataFrame, columns: Sequence[str]) -> DataFrame:
    """`columns` of checked rows, each kept raw value (``__raw__<name>``) under its own name: the
    rows as parsed, before cleaning and typing, which is what bronze keeps."""
    kept = set(checked.columns)
    return checked.select(*[F.col(RAW_PREFIX + c).alias(c) if RAW_PREFIX + c in kept else F.col(c) for c in columns])


def recorded(checked: DataFrame) -> DataFrame:
    """Checked rows with the kept raw values as one JSON `_raw_record` where a check failed.

    Rows that pass get null: the JSON is built for the few rows quarantine needs, not for all.
    A row that did not parse keeps its line as the parser read it.
    """
    copies = [c for c in checked.columns if c.startswith(RAW_PREFIX)]
    if not copies:
        return checked
    record = raw_record([F.col(c).alias(c.removeprefix(RAW_PREFIX)) for c in copies])
    if CORRUPT_RECORD in checked.columns:
        record = F.coalesce(F.col(CORRUPT_RECORD), record)
    return checked.withColumn(RAW_RECORD, F.when(F.size(FAILURES) > 0, record)).drop(*copies)


def passed(checked: DataFrame) -> DataFrame:
    """Checked rows without failures, typed, without the bookkeeping columns."""
    bookkeeping = [c for c in checked.columns if c.startswith(RAW_PREFIX)]
    return checked.where(F.size(FAILURES) == 0).drop(FAILURES, RAW_RECORD, CORRUPT_RECORD, *bookkeeping)


def failed(checked: DataFrame) -> DataFrame:
    """Quarantine rows for checked rows with failures: raw values, first rule, every reason."""
    checked = recorded(checked)
    first = F.col(FAILURES)[0]
    reasons = F.concat_ws("; ", F.transform(F.col(FAILURES), lambda failure: failure["reason"]))
    return checked.where(F.size(FAILURES) > 0).select(
        *quarantine_rows(F.col(RAW_RECORD), first["rule"], first["column"], reasons)
    )
