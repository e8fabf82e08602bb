"""The label as a model learns it: a number, with string class labels mapped to 1 / 0.

Users have labels such as ``">50K"``, ``"Yes"`` or ``"yes"``. `use_case.positive_label` names the
value that means 1; the other class is `negative_label`, or when that is not given, any other
value. A label that maps to nothing (null, or a value outside both classes) is counted and named
before a model is fitted, so a wrong mapping stops the job with one line, not with Spark's
"Labels MUST NOT be Null" minutes later.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

SHOWN_VALUES = 5


class LabelError(ValueError):
    """Too many rows whose label is missing or maps to no class."""


@dataclass(frozen=True)
class LabelMapping:
    """How the raw label column becomes the double a model learns."""

    column: str
    positive: str | None = None
    negative: str | None = None

    def mapped(self) -> Column:
        """The label as a double: 1 / 0 for a mapped class label, the number itself otherwise."""
        raw = F.col(self.column)
        if self.positive is None:
            return raw.cast("double")
        text = F.trim(raw.cast("string"))
        negative = text.isNotNull() if self.negative is None else text == F.lit(self.negative)
        return (F.when(text == F.lit(self.positive), F.lit(1.0))
                .when(negative, F.lit(0.0)).otherwise(F.lit(None).cast("double")))


def apply_label(rows: DataFrame, mapping: LabelMapping) -> DataFrame:
    """`rows` with the label column replaced by its mapped double."""
    return rows.withColumn(mapping.column, mapping.mapped())


def check_labels(rows: DataFrame, mapping: LabelMapping, max_unlabelled_fraction: float) -> int:
    """Rows of `rows` (raw labels) whose label maps to nothing; raises `LabelError` when they are
    more than `max_unlabelled_fraction` of all rows, naming the column and the unmapped values."""
    unmapped = mapping.mapped().isNull()
    counts = rows.agg(F.count(F.lit(1)).alias("rows"), F.count(F.when(unmapped, 1)).alias("unmapped")).first()
    total, missing = int(counts["rows"]), int(counts["unmapped"])
    if total == 0:
        raise LabelError(f"label {mapping.column!r}: no rows to learn from")
    if missing / total <= max_unlabelled_fraction:
        return missing
    values = [r[0] for r in rows.where(unmapped).groupBy(F.col(mapping.column).cast("string"))
              .count().orderBy(F.desc("count")).limit(SHOWN_VALUES).collect()]
    shown = ", ".join("null" if v is None else repr(v) for v in values)
    hint = ("" if mapping.positive is not None
            else "; a class label given as text needs use_case.positive_label (and negative_label)")
    raise LabelError(
        f"label {mapping.column!r}: {missing} of {total} rows have no usable label "
        f"(values such as {shown}), more than use_case.max_unlabelled_fraction={max_unlabelled_fraction}{hint}"
    )
