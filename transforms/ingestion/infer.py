"""Infer a source's declared schema from sample files, for a person to review.

Values are read as strings and, per column, the narrowest type that every value casts to is
chosen, not counting null tokens (`NA`, `?`, ...), which are reported instead of making the
column a string. One aggregation pass measures everything: failed casts per candidate type,
token counts, nulls and distinct values (a column that is never null and never repeats is a
candidate key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

CANDIDATE_TYPES = ("int", "bigint", "double", "date", "timestamp", "boolean")
CANDIDATE_NULL_TOKENS = ("NA", "N/A", "?", "null", "NULL", "-", "")
# Tokens that may be real text: counted as nulls only in columns of another type.
TEXT_TOKENS = ("-",)


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
        # A census file writes `?` for a missing job: a token in a text column is a null too.
        seen_tokens += [tok for j, tok in enumerate(tokens)
                        if profile[f"c{i}_token_{j}"] and (type_ != "string" or tok not in TEXT_TOKENS)]
        if nulls == 0 and rows:
            not_null.append(name)
            if profile[f"c{i}_distinct"] == rows:
                keys.append(name)
    return InferredSchema(chosen, list(dict.fromkeys(seen_tokens)), not_null, keys, rows)


def infer_sample(sample: DataFrame, format_: str) -> InferredSchema:
    """The schema of a sample read as strings (Parquet: as stored, its types kept)."""
    if format_ == "parquet":  # the files carry their types; only nullability and keys are measured
        profile = inference_profile(sample.select([sample[c].cast("string").alias(c) for c in sample.columns]))
        inferred = inferred_schema(sample.columns, profile.first().asDict())
        return InferredSchema(dict(sample.dtypes), [], inferred.not_null, inferred.key_candidates, inferred.rows)
    return inferred_schema(sample.columns, inference_profile(sample).first().asDict())


def sql_name(name: str) -> str:
    """A file's column name as a declared one: every character not a letter, digit or `_` becomes
    `_`, surrounding blanks go (a ", "-separated header) and it never starts with `_` (bookkeeping)."""
    return re.sub(r"\W", "_", name.strip()).lstrip("_") or "column"


def source_entry(name: str, path: str, format_: str, options: dict[str, str], schema: InferredSchema) -> dict[str, Any]:
    """A `sources:` list item with SQL-friendly column names."""
    declared = {sql_name(c): t for c, t in schema.columns.items()}
    file_names = {sql_name(c): c for c in schema.columns if sql_name(c) != c}
    entry: dict[str, Any] = {"name": name, "path": path, "format": format_, "options": options}
    if schema.null_tokens:
        entry["null_tokens"] = schema.null_tokens
    entry["table"] = f"{name}_bronze"
    entry["silver_table"] = f"{name}_silver"
    entry["key"] = [sql_name(schema.key_candidates[0])] if schema.key_candidates else []
    entry["expectations"] = {"not_null": [sql_name(c) for c in schema.not_null]}
    if file_names:
        entry["file_names"] = file_names
    entry["columns"] = declared
    return entry
