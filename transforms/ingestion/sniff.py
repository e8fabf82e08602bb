"""What a CSV sample says about its file: dialect, clean column names, null tokens and types.

Pure analysis of the first lines of a file (read, bounded, by jobs.common.landing_sample), so a
use case can be proposed in seconds without Spark. Types follow the ingest's `try_cast`: the
narrowest of int, bigint, double, date, timestamp, boolean that every non-null value of the
sample casts to, else string. Values are trimmed first, as ingest does (`trim_whitespace`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise

DELIMITERS = (",", ";", "\t", "|")
# Whole values that mean "no value" in files seen in the wild; "" covers blank and
# whitespace-only values, which ingest trims to "" before it matches tokens.
NULL_TOKENS = ("", "?", "NA", "N/A", "null", "NULL")
INT_RANGE, BIGINT_RANGE = 2**31, 2**63
# Spark's cast to boolean accepts more (yes/no, y/n, 1/0); words stay text so a Yes/No label
# is mapped by positive_label, and 0/1 are int.
BOOLEAN_VALUES = {"true", "false"}
MAX_NAME_LENGTH = 128
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIMESTAMP = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})[ T](\d{1,2}):(\d{2})(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class SniffError(ValueError):
    """The sample is not a CSV file with a header and at least one row."""


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    # Every delimiter in the header is followed by a space (", "): names and values are trimmed.
    space_after_delimiter: bool
    line_ending: str
    # Values quoted with doubled quotes inside ("a ""b"""): the reader needs escape = quote.
    doubled_quotes: bool
    # A quoted value holds a line break: the reader needs multiLine.
    multiline: bool


@dataclass(frozen=True)
class Column:
    """One column of the sample: its clean and raw names and what its values are."""

    name: str
    raw_name: str
    type: str
    distinct: int
    nulls: int
    rows: int
    # The distinct non-null values with their counts, kept only for few-valued columns.
    counts: dict[str, int]
    # Integers that grow by at least 1 from each row to the next (a row number).
    increasing: bool

    @property
    def null_fraction(self) -> float:
        return self.nulls / self.rows if self.rows else 0.0

    @property
    def unique(self) -> bool:
        return self.rows > 0 and self.nulls == 0 and self.distinct == self.rows


@dataclass(frozen=True)
class Sample:
    dialect: Dialect
    columns: list[Column]
    null_tokens: list[str]
    rows: int
    numbers: dict[str, list[float]]
    # The parsed rows, values as written (a key of two columns is looked for in them).
    records: list[list[str]]

    def column(self, name: str) -> Column:
        """A column by clean or raw name (as a user types it on the command line)."""
        for column in self.columns:
            if name in (column.name, column.raw_name, column.raw_name.strip()):
                return column
        raise SniffError(f"no column {name!r}; the file has {', '.join(c.raw_name.strip() for c in self.columns)}")


def sniff_dialect(text: str) -> Dialect:
    """The delimiter whose field count is the same on most of the first lines (ties: the most fields)."""
    lines = [line.rstrip("\r") for line in text.split("\n")[:50] if line.strip()]
    if not lines or not lines[0].strip():
        raise SniffError("the file is empty or its first line is blank: expected a header line")
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        if counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts) / len(counts), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    header = lines[0]
    spaced = best in header and all(part.startswith(" ") for part in header.split(best)[1:])
    return Dialect(best, spaced, "\r\n" if "\r\n" in text[:len(header) + 2] else "\n", False, False)


def clean_name(raw: str) -> str:
    """A snake_case column name of ASCII letters, digits and _, never starting with `_`."""
    ascii_name = unicodedata.normalize("NFKD", raw.strip()).encode("ascii", "ignore").decode()
    words = _CAMEL.sub("_", ascii_name)
    name = re.sub(r"[^A-Za-z0-9]+", "_", words).strip("_").lower()
    if not name or name.isdigit():
        name = f"column_{name}".rstrip("_")
    return name[:MAX_NAME_LENGTH]


def clean_names(raw_names: list[str]) -> list[str]:
    """Clean names, made distinct by a numbered suffix where two raw names clean alike."""
    seen: Counter[str] = Counter()
    names = []
    for raw in raw_names:
        name = clean_name(raw)
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names


def value_type(value: str) -> str:
    """The narrowest candidate type `value` casts to (see module docstring)."""
    if _INTEGER.fullmatch(value):
        number = int(value)
        return "int" if -INT_RANGE <= number < INT_RANGE else "bigint" if -BIGINT_RANGE <= number < BIGINT_RANGE else "double"
    if _DECIMAL.fullmatch(value):
        return "double"
    if (match := _DATE.fullmatch(value)) and _valid_date(*match.groups()):
        return "date"
    if (match := _TIMESTAMP.fullmatch(value)) and _valid_date(*match.group(1).split("-")):
        return "timestamp"
    return "boolean" if value.lower() in BOOLEAN_VALUES else "string"


def _valid_date(year: str, month: str, day: str) -> bool:
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


# Which type holds values of two types: a column of ints and doubles is double.
_WIDER = {frozenset({"int", "bigint"}): "bigint", frozenset({"int", "double"}): "double",
          frozenset({"bigint", "double"}): "double", frozenset({"date", "timestamp"}): "timestamp"}


def column_type(values: list[str]) -> str:
    """The narrowest type every value casts to; string when none, or when there is no value."""
    found = {value_type(v) for v in set(values)}
    if not found:
        return "string"
    chosen = found.pop()
    for other in found:
        chosen = _WIDER.get(frozenset({chosen, other}), "string")
    return chosen


def parse(text: str, dialect: Dialect, complete: bool, max_rows: int) -> tuple[list[str], list[list[str]]]:
    """Header and rows; the last row is dropped when the sample was cut inside the file."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter,
                        skipinitialspace=False, strict=False)
    records = list(reader)
    if not complete:
        records = records[:-1]
    records = [r for r in records if any(v.strip() for v in r)]
    if len(records) < 2:
        raise SniffError("expected a header line and at least one row of values")
    header, rows = records[0], records[1:max_rows + 1]
    return header, [r for r in rows if len(r) == len(header)]


def sniff(text: str, complete: bool = True, max_rows: int = 20_000) -> Sample:
    """Everything a use case needs from the sampled text of one CSV file (see module docstring)."""
    dialect = sniff_dialect(text)
    header, rows = parse(text, dialect, complete, max_rows)
    if not rows:
        raise SniffError(f"no line has the header's {len(header)} fields (delimiter {dialect.delimiter!r})")
    multiline = any("\n" in v or "\r" in v for r in rows for v in r)
    quoted = any('"' in v for r in rows for v in r)
    dialect = replace(dialect, doubled_quotes=quoted, multiline=multiline)
    tokens_seen: set[str] = set()
    columns, numbers = [], {}
    for index, (name, raw) in enumerate(zip(clean_names(header), header, strict=True)):
        trimmed = [r[index].strip() for r in rows]
        tokens_seen |= set(trimmed) & set(NULL_TOKENS)
        values = [v for v in trimmed if v not in NULL_TOKENS]
        type_ = column_type(values)
        counts = Counter(values)
        if type_ in ("int", "bigint", "double"):
            numbers[name] = [float(v) for v in values]
        increasing = type_ in ("int", "bigint") and len(values) == len(rows) and all(
            int(b) > int(a) for a, b in pairwise(values))
        columns.append(Column(name, raw, type_, len(counts), len(rows) - len(values), len(rows),
                              dict(counts) if len(counts) <= 20 else {}, increasing))
    return Sample(dialect, columns, [t for t in NULL_TOKENS if t in tokens_seen], len(rows), numbers, rows)
