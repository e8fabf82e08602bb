"""Infer a source's declared schema from sample files, for a person to review.

Values are read as strings and, per column, the narrowest type that every value casts to is
chosen, not counting null tokens (`NA`, `?`, ...), which are reported instead of making the
column a string. One aggregation pass measures everything: failed casts per candidate type,
token counts, nulls and distinct values (a column that is never null and never repeats is a
candidate key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

CANDIDATE_TYPES = ("int", "bigint", "double", "date", "timestamp", "boolean")
CANDIDATE_NULL_TOKENS = ("NA", "N/A", "?", "null", "NULL", "-", "")


@dataclass(frozen=True)
class InferredSchema:
    columns: dict[str, str]
    null_tokens: list[str]
    not_null: list[str]
    key_candidates: list[str]
    rows: int


def _measure(name: str, index: int, types: Sequence[str], tokens: Sequence[str]) -> list[Column]:
    raw = F.trim(F.col(f"`{name}`"))
    value = F.when(~raw.isin(*tokens), raw)
    counts = [
        F.sum((value.isNotNull() & value.try_cast(t).isNull()).cast("long")).alias(f"c{index}_fail_{t}")
        for t in types
    ]
    counts += [F.sum((raw == F.lit(tok)).cast("long")).alias(f"c{index}_token_{j}") for j, tok in enumerate(tokens)]
    counts += [
        F.sum(value.isNull().cast("long")).alias(f"c{index}_nulls"),
        F.countDistinct(raw).alias(f"c{index}_distinct"),
    ]
    return counts


def inference_profile(
    raw: DataFrame, types: Sequence[str] = CANDIDATE_TYPES, tokens: Sequence[str] = CANDIDATE_NULL_TOKENS
) -> DataFrame:
    """One row of measurements over string columns `raw` (see module docstring)."""
    measures = [m for i, c in enumerate(raw.columns) for m in _measure(c, i, types, tokens)]
    return raw.agg(F.count(F.lit(1)).alias("rows"), *measures)


def inferred_schema(
    columns: Sequence[str],
    profile: Mapping[str, int | None],
    types: Sequence[str] = CANDIDATE_TYPES,
    tokens: Sequence[str] = CANDIDATE_NULL_TOKENS,
) -> InferredSchema:
    """Read the profile: first type with no failed cast, tokens seen in typed columns, keys."""
    rows = int(profile["rows"] or 0)
    chosen: dict[str, str] = {}
    seen_tokens: list[str] = []
    not_null, keys = [], []
    for i, name in enumerate(columns):
        nulls = int(profile[f"c{i}_nulls"] or 0)
        type_ = next((t for t in types if nulls < rows and not profile[f"c{i}_fail_{t}"]), "string")
        chosen[name] = type_
        if type_ != "string":
            seen_tokens += [tok for j, tok in enumerate(tokens) if profile[f"c{i}_token_{j}"]]
        if nulls == 0 and rows:
            not_null.append(name)
            if profile[f"c{i}_distinct"] == rows:
                keys.append(name)
    return InferredSchema(chosen, list(dict.fromkeys(seen_tokens)), not_null, keys, rows)
