"""Schema drift: landing files whose columns differ from the declared ones.

CSV binds columns by position, so a file whose header is not the declared one is re-read by
its own header and mapped by name: declared columns it lacks become null (and are reported),
columns nobody declared are kept, never dropped, either packed as JSON into the rescued-data
column or, when additive evolution is allowed, as new string columns. JSON lines are parsed
to a name -> value map, which gives the same by-name mapping row by row. Parquet files are read
by their own schema and their values turned into strings, then mapped by name as CSV is.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, MapType, StructType

from transforms.ingestion.bronze import CORRUPT_RECORD, RESCUED_DATA, SOURCE_FILE, source_file


@dataclass(frozen=True)
class HeaderDrift:
    """How a file's header differs from the declared column names (as spelled in files)."""

    extra: tuple[str, ...]
    missing: tuple[str, ...]
    reordered: bool

    @property
    def drifted(self) -> bool:
        return bool(self.extra or self.missing or self.reordered)


def header_fields(line: str, delimiter: str = ",", quote: str = '"', escape: str = "\\") -> list[str]:
    """The column names of a CSV header line, unquoted as the CSV reader would."""
    line = line.lstrip("\ufeff")  # a UTF-8 byte-order mark is not part of the first name
    # An escape equal to the quote is a doubled quote, which csv reads as such without an escape
    # character (with one it would end every quoted name at its closing quote).
    escape_char = None if not escape or escape == quote else escape
    return next(csv.reader([line], delimiter=delimiter, quotechar=quote, escapechar=escape_char), [])


def header_drift(header: Sequence[str], declared: Sequence[str]) -> HeaderDrift:
    """Compare a file's header with the declared names in their declared order."""
    present = set(header)
    expected = set(declared)
    return HeaderDrift(
        extra=tuple(c for c in header if c not in expected),
        missing=tuple(c for c in declared if c not in present),
        reordered=[c for c in header if c in expected] != [c for c in declared if c in present],
    )


def _extras(values: Mapping[str, Column], new_columns: Sequence[str]) -> list[Column]:
    """Undeclared values: listed `new_columns` as columns, the rest as one JSON rescued column."""
    rescued = [name for name in values if name not in new_columns]
    rescued_column = F.lit(None).cast("string")
    if rescued:
        packed = F.to_json(F.struct(*[values[n].alias(n) for n in rescued]))
        rescued_column = F.when(F.coalesce(*[values[n] for n in rescued]).isNotNull(), packed)
    added = [values[n].alias(n) if n in values else F.lit(None).cast("string").alias(n) for n in new_columns]
    return [*added, rescued_column.alias(RESCUED_DATA)]


def conform_by_name(
    by_header: DataFrame, file_names: Mapping[str, str], new_columns: Sequence[str] = ()
) -> DataFrame:
    """Rows read by a file's own header, as the declared columns (by name) plus extras.

    `file_names` maps each declared column to its name in files; `by_header` holds the file's
    columns as strings plus the corrupt-record and source-file columns.
    """
    present = set(by_header.columns)
    declared = [
        (F.col(f"`{name}`") if name in present else F.lit(None).cast("string")).alias(column)
        for column, name in file_names.items()
    ]
    known = {*file_names.values(), CORRUPT_RECORD, SOURCE_FILE}
    extras = {c: F.col(f"`{c}`") for c in by_header.columns if c not in known}
    return by_header.select(*declared, *_extras(extras, new_columns), CORRUPT_RECORD, SOURCE_FILE)


def parquet_as_strings(frame: DataFrame) -> DataFrame:
    """A typed file's columns as raw strings (nested values as JSON), plus corrupt-record and source file."""
    values = [
        (F.to_json(F.col(f"`{f.name}`")) if isinstance(f.dataType, (ArrayType, MapType, StructType))
         else F.col(f"`{f.name}`").cast("string")).alias(f.name)
        for f in frame.schema.fields
    ]
    return frame.select(*values, F.lit(None).cast("string").alias(CORRUPT_RECORD), source_file())


JSON_MAP = "map<string,string>"


def json_records(lines: DataFrame, file_names: Mapping[str, str], new_columns: Sequence[str] = ()) -> DataFrame:
    """JSON lines (`value`, `_source_file`) as declared string columns plus extras.

    A line that is not a JSON object keeps its text in the corrupt-record column; blank lines
    are not records. Nested values arrive as their JSON text.
    """
    values = F.from_json(F.col("value"), JSON_MAP)
    parsed = lines.where(F.trim("value") != "").select(
        "value", SOURCE_FILE, values.alias("_values")
    )
    declared = [F.col("_values")[name].alias(column) for column, name in file_names.items()]
    undeclared = F.map_filter("_values", lambda k, _: ~k.isin(*file_names.values(), *new_columns))
    rescued = F.when(F.size(undeclared) > 0, F.to_json(undeclared)).alias(RESCUED_DATA)
    added = [F.col("_values")[n].alias(n) for n in new_columns]
    return parsed.select(
        *declared,
        *added,
        rescued,
        F.when(F.col("_values").isNull(), F.col("value")).alias(CORRUPT_RECORD),
        SOURCE_FILE,
    )


def json_keys(lines: DataFrame) -> DataFrame:
    """The distinct keys of JSON object lines (one `key` column), to find new columns."""
    values = F.from_json(F.col("value"), JSON_MAP)
    return lines.select(F.explode(F.map_keys(values)).alias("key")).distinct()
