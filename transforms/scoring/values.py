"""Scoring input values checked against the model's declared input types: data, or a reason.

A value the model cannot take as data goes to quarantine with a reason naming the column and
the value, instead of reaching an imputer that would score a made-up value in its place: text
that does not parse as the declared type, NaN or an infinity in a numeric column, a date
outside the years a model can have learnt from. A null stays a null: imputing nulls is what
the pipeline's imputers are for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    StringType,
    StructType,
    TimestampType,
)

# MLflow signature types (`mlflow.types.DataType` names) a text column is parsed into.
_PARSED_TYPES: dict[str, DataType] = {
    "boolean": BooleanType(), "integer": IntegerType(), "long": LongType(), "float": FloatType(),
    "double": DoubleType(), "datetime": TimestampType(),
}
_NUMBER_TYPES = (FloatType, DoubleType)
_DATE_TYPES = (DateType, TimestampType)


def literal_column(name: str) -> Column:
    """The column called `name`, read literally (a dot is not a struct field)."""
    return F.col("`" + name.replace("`", "``") + "`")


@dataclass(frozen=True)
class ValueChecks:
    """Per-row reasons (null where the value is data) and the parsed form of text columns."""

    reasons: list[Column] = field(default_factory=list)
    parsed: dict[str, Column] = field(default_factory=dict)


def value_checks(schema: StructType, declared: Mapping[str, str | None], years: tuple[int, int]) -> ValueChecks:
    """Checks of the model's input columns in `schema`; `declared` maps them to MLflow type names.

    A text column declared as another type is parsed with `try_cast` (ANSI casts raise, and
    a failed parse must be a reason, not a crash); the parsed value is then checked as if
    the column had that type.
    """
    checks = ValueChecks()
    for name, declared_type in declared.items():
        if name not in schema.names:
            continue  # a missing column quarantines every row before any value is looked at
        value, value_type = literal_column(name), schema[name].dataType
        if isinstance(value_type, StringType) and declared_type in _PARSED_TYPES:
            target = _PARSED_TYPES[declared_type]
            parsed = value.try_cast(target)
            reason = F.format_string(f"{name}: %s is not a valid {target.simpleString()}", value)
            checks.reasons.append(F.when(value.isNotNull() & parsed.isNull(), reason))
            checks.parsed[name] = parsed.alias(name)
            value, value_type = parsed, target
        checks.reasons.extend(_range_reasons(name, value, value_type, years))
    return checks


def _range_reasons(name: str, value: Column, value_type: DataType, years: tuple[int, int]) -> list[Column]:
    if isinstance(value_type, _NUMBER_TYPES):
        infinite = value.isin(float("inf"), float("-inf"))
        return [F.when(F.isnan(value) | infinite, F.format_string(f"{name}: %s is not a number", value.cast("string")))]
    if isinstance(value_type, _DATE_TYPES):
        low, high = years
        outside = ~F.year(value).between(low, high)
        return [F.when(outside, F.format_string(f"{name}: %s outside the years {low}-{high}", value.cast("string")))]
    return []


def joined_reasons(reasons: list[Column]) -> Column:
    """Every non-null reason of a row, joined by '; '; null when there is none."""
    if not reasons:
        return F.lit(None).cast("string")
    joined = F.concat_ws("; ", *reasons)
    return F.when(joined != "", joined)
