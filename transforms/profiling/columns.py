"""Which statistics a column gets, by its Spark type; and the frame every pass scans.

Passes read a *prepared* projection of the source: column i becomes ``c<i>`` (so any column
name works in generated expressions), floating NaN becomes null (pandas counts NaN as
missing) and -0.0 becomes 0.0, decimals become doubles, booleans become strings, and the
target becomes ``__target``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

NUMERIC, CATEGORICAL, TEMPORAL, OTHER = "numeric", "categorical", "temporal", "other"
TARGET = "__target"

_NUMERIC_TYPES = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType,
                  T.DoubleType, T.DecimalType)
_TEMPORAL_TYPES = (T.DateType, T.TimestampType, T.TimestampNTZType)


@dataclass(frozen=True)
class ProfiledColumn:
    """A source column and the name (``c<i>``) and kind it has in the prepared frame."""

    index: int
    name: str
    data_type: str
    kind: str

    @property
    def ref(self) -> Column:
        return F.col(self.alias)

    @property
    def alias(self) -> str:
        return f"c{self.index}"


def column_kind(data_type: T.DataType) -> str:
    if isinstance(data_type, _NUMERIC_TYPES):
        return NUMERIC
    if isinstance(data_type, (T.StringType, T.BooleanType)):
        return CATEGORICAL
    if isinstance(data_type, _TEMPORAL_TYPES):
        return TEMPORAL
    return OTHER


def profiled_columns(df: DataFrame, names: list[str]) -> list[ProfiledColumn]:
    fields = {f.name: f.dataType for f in df.schema.fields}
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise ValueError(f"columns not in the table: {', '.join(unknown)}; it has: {', '.join(fields)}")
    return [
        ProfiledColumn(i, name, fields[name].simpleString(), column_kind(fields[name]))
        for i, name in enumerate(names)
    ]


def _prepared(source: Column, data_type: T.DataType, kind: str) -> Column:
    if isinstance(data_type, (T.FloatType, T.DoubleType)):
        # + 0.0 turns -0.0 into 0.0, which then falls in the zero bin of the distribution pass.
        return F.when(F.isnan(source), F.lit(None)).otherwise(source.cast("double") + F.lit(0.0))
    if kind == NUMERIC:
        return source.cast("double") if isinstance(data_type, T.DecimalType) else source
    if isinstance(data_type, T.BooleanType):
        return source.cast("string")
    return source


def prepare(df: DataFrame, columns: list[ProfiledColumn], target: str | None) -> DataFrame:
    """The projection every pass scans: ``c<i>`` per profiled column, plus ``__target``."""
    fields = {f.name: f.dataType for f in df.schema.fields}
    selected = [
        _prepared(df[f"`{c.name}`"], fields[c.name], c.kind).alias(c.alias) for c in columns
    ]
    if target is not None:
        selected.append(df[f"`{target}`"].cast("double").alias(TARGET))
    return df.select(*selected)
