"""Ingestion of the real reference files: `NA` and `?` null tokens, names that differ in files."""

from __future__ import annotations

import pytest
import yaml

from jobs.common.cli import JobContext, job_parser
from jobs.common.tables import TableStore
from jobs.infer_schema import _arguments, infer_schema
from jobs.ingest import ingest
from tests.settings import make_settings

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


def _ingest(spark, tmp_path, use_case: str, shared_data):
    settings = make_settings(tmp_path, use_case, f"lakehouse.landing={shared_data}")
    context = JobContext(settings, spark, TableStore(spark, settings))
    return context, ingest(context)


def test_titanic_reads_question_marks_as_null_and_keys_every_passenger(spark, tmp_path, shared_data) -> None:
    context, results = _ingest(spark, tmp_path, "titanic", shared_data)
    assert results["passengers"]["rows_read"] == results["passengers"]["rows_silver"] == 1309
    assert results["passengers"]["rows_quarantined"] == 0
    silver = context.tables.read("passengers_silver")
    assert silver.where("age IS NULL").count() == 263
    assert silver.where("home_dest IS NOT NULL").count() == 745
    assert context.tables.read("passengers_bronze").where("age = '?'").count() == 263


def test_house_prices_read_na_as_null_in_train_and_test(spark, tmp_path, shared_data) -> None:
    context, results = _ingest(spark, tmp_path, "house_prices", shared_data)
    assert {s: (c["rows_silver"], c["rows_quarantined"]) for s, c in results.items()} == {
        "train": (1460, 0), "test": (1459, 0), "course_split": (1460, 0)}
    train = context.tables.read("train_silver")
    assert train.where("LotFrontage IS NULL").count() == 259
    assert dict(train.dtypes)["SalePrice"] == "int"
    assert context.tables.read("course_split").where("split = 'test'").count() == 146


def test_inferred_titanic_schema_finds_types_null_token_key_and_file_names(spark, tmp_path, shared_data) -> None:
    # Inference needs only a landing root, not the titanic use case.
    settings = make_settings(tmp_path, "house_sales", f"lakehouse.landing={shared_data}")
    context = JobContext(settings, spark, TableStore(spark, settings))
    parser = job_parser("infer")
    _arguments(parser)
    output = tmp_path / "titanic_source.yml"
    args = parser.parse_args(["--path", "titanic/titanic.csv", "--name", "passengers", "--output", str(output)])

    entry = infer_schema(context, args)

    assert yaml.safe_load(output.read_text())["sources"] == [entry]
    assert entry["null_tokens"] == ["?"]
    assert {c: entry["columns"][c] for c in ("pclass", "age", "name", "body", "home_dest")} == {
        "pclass": "int", "age": "double", "name": "string", "body": "int", "home_dest": "string"}
    assert entry["file_names"] == {"home_dest": "home.dest"}
    assert entry["key"] == []  # no column is unique: two passengers are called "Kelly, Mr. James"
    assert "age" not in entry["expectations"]["not_null"] and "pclass" in entry["expectations"]["not_null"]
