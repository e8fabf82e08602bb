"""A reviewed `sources:` entry from an inferred schema: SQL-friendly names, file names kept."""

from __future__ import annotations

from transforms.ingestion.infer import (
    CANDIDATE_NULL_TOKENS,
    CANDIDATE_TYPES,
    InferredSchema,
    inferred_schema,
    source_entry,
    sql_name,
)


def test_awkward_file_names_are_declared_sql_friendly_and_kept_as_file_names() -> None:
    schema = InferredSchema({"id": "int", "home.dest": "string", "age (years)": "double"}, ["NA"],
                            ["id", "home.dest"], ["home.dest"], 3)

    entry = source_entry("people", "people.csv", "csv", {"sep": ";"}, schema)

    assert entry == {
        "name": "people", "path": "people.csv", "format": "csv", "options": {"sep": ";"},
        "null_tokens": ["NA"], "table": "people_bronze", "silver_table": "people_silver",
        "key": ["home_dest"], "expectations": {"not_null": ["id", "home_dest"]},
        "file_names": {"home_dest": "home.dest", "age__years_": "age (years)"},
        "columns": {"id": "int", "home_dest": "string", "age__years_": "double"},
    }
    assert list(entry) == ["name", "path", "format", "options", "null_tokens", "table", "silver_table",
                           "key", "expectations", "file_names", "columns"]  # the order a person reads


def test_a_schema_without_tokens_keys_or_renames_has_no_such_entries() -> None:
    entry = source_entry("t", "t.csv", "csv", {}, InferredSchema({"a": "int"}, [], [], [], 0))

    assert entry["key"] == [] and entry["expectations"] == {"not_null": []}
    assert "null_tokens" not in entry and "file_names" not in entry
    assert sql_name("a-b.c") == "a_b_c"


def test_a_comma_space_header_gives_names_without_a_leading_underscore() -> None:
    # `_workclass` would be a bookkeeping column, dropped from the model's inputs.
    assert [sql_name(n) for n in ["age", " workclass", " _x", "  "]] == ["age", "workclass", "x", "column"]


def test_a_question_mark_in_a_text_column_is_a_null_token_and_a_dash_is_not() -> None:
    tokens = CANDIDATE_NULL_TOKENS
    profile = {"rows": 3, **{f"c0_fail_{t}": 1 for t in CANDIDATE_TYPES}, "c0_nulls": 1, "c0_distinct": 3,
               **{f"c0_token_{j}": int(tok in ("?", "-")) for j, tok in enumerate(tokens)}}

    assert inferred_schema(["workclass"], profile).null_tokens == ["?"]
