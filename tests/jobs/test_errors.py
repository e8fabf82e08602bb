"""Foreseeable failures end a job with one line on stderr and a documented exit code (2 for the
configuration, 3 for the data, the landing files, the registry or a table name); the traceback
shows only with --debug / -v, and an unexpected error keeps its full traceback."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from jobs import features, ingest, monitor, promote, score, sql, train
from jobs.common.cli import run_job
from jobs.common.config import Settings, load_settings
from jobs.common.errors import CONFIG_ERROR, DATA_ERROR
from jobs.common.tables import TableStore
from jobs.common.tracking import client, configure_mlflow, registered_model_name
from tests.ingest_fixtures import land, write_use_case

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


def _options(tmp_path: Path, use_case: str = "house_sales") -> list[str]:
    return ["--use-case", use_case,
            "--set", f"lakehouse.root={tmp_path}/lakehouse", "--set", f"lakehouse.landing={tmp_path}/landing",
            "--set", f"mlflow.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
            "--set", f"mlflow.artifact_location={tmp_path}/mlartifacts"]


def _failure(capsys, main: Callable[[list[str]], None], argv: list[str]) -> tuple[int, list[str]]:
    """The exit code and the stderr lines of a job run that fails (not of the test's set-up: MLflow
    logs creating a store at INFO until a job has set its loggers to WARNING)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    return exit_.value.code, capsys.readouterr().err.strip().splitlines()


def test_an_unknown_use_case_lists_the_known_ones(capsys) -> None:
    code, lines = _failure(capsys, sql.main, ["--use-case", "house_sale", "SELECT 1"])
    assert code == CONFIG_ERROR == 2
    assert lines == ["error: unknown use case 'house_sale'; known: house_prices, house_sales, titanic "
                     "(or pass the path of a YAML file of your own)"]


def test_the_traceback_shows_only_with_debug(capsys) -> None:
    argv = ["--use-case", "house_sale", "SELECT 1"]
    _, quiet = _failure(capsys, sql.main, argv)
    assert not any("Traceback" in line for line in quiet)
    for flag in ("--debug", "-v"):
        code, lines = _failure(capsys, sql.main, [*argv, flag])
        assert code == CONFIG_ERROR
        assert lines[0] == "Traceback (most recent call last):"
        assert lines[-1] == quiet[0]


def test_an_unexpected_error_keeps_its_traceback(spark, tmp_path) -> None:
    def broken(context, args):
        raise KeyError("a bug")

    with pytest.raises(KeyError, match="a bug"):
        run_job("a job with a bug", broken, _options(tmp_path))


def _ingest_options(tmp_path: Path, **source) -> list[str]:
    return [*_options(tmp_path), "--use-case", str(write_use_case(tmp_path, **source))]


def test_a_missing_landing_folder_is_one_line(spark, tmp_path, capsys) -> None:
    code, lines = _failure(capsys, ingest.main, _ingest_options(tmp_path))
    assert code == DATA_ERROR == 3
    assert lines == [f"error: source things: landing folder {tmp_path}/landing/things does not exist; "
                     "put the source's files there, or fix lakehouse.landing / the source's path"]


def test_an_empty_landing_folder_is_one_line(spark, tmp_path, capsys) -> None:
    (tmp_path / "landing" / "things").mkdir(parents=True)
    code, lines = _failure(capsys, ingest.main, _ingest_options(tmp_path))
    assert code == DATA_ERROR
    assert lines == [f"error: source things: landing folder {tmp_path}/landing/things has no files to ingest "
                     "(names starting with '_' or '.' are hidden); put the source's files there, or fix "
                     "lakehouse.landing / the source's path"]


def test_too_many_quarantined_rows_name_the_top_reasons(spark, tmp_path, capsys) -> None:
    land(tmp_path, "a.csv", "id,updated,city,price\n1,2024-01-01,Oslo,x\n2,2024-01-01,Oslo,y\n"
                            "3,bad-date,Oslo,z\n4,2024-01-01,Oslo,100\n")
    code, lines = _failure(capsys, ingest.main, _ingest_options(tmp_path, max_quarantined_fraction=0.25))
    assert code == DATA_ERROR
    (line,) = lines
    assert line.startswith("error: source things batch 0: 3 of 4 rows (75.0%) quarantined, more than the "
                           "allowed 25.0% (max_quarantined_fraction), e.g. ")
    assert line.endswith("; top reasons: type on price: 3, type on updated: 1; nothing of batch 0 was "
                         "written: fix or remove the file and rerun")


def _settings(tmp_path: Path) -> Settings:
    return load_settings("house_sales", "local", overrides=_options(tmp_path)[3::2])


def _registry(tmp_path: Path) -> str:
    """An empty MLflow store (the train job creates it); the use case's registered model name."""
    settings = _settings(tmp_path)
    configure_mlflow(settings)
    return registered_model_name(settings)


@pytest.mark.parametrize(("main", "alias", "advice"), [
    (score.main, "champion", "run lakehouse-train and lakehouse-promote first"),
    (promote.main, "challenger", "run lakehouse-train first"),
], ids=["score", "promote"])
def test_scoring_or_promoting_before_any_model_is_registered(spark, tmp_path, capsys, main, alias, advice) -> None:
    name = _registry(tmp_path)
    code, lines = _failure(capsys, main, _options(tmp_path))
    assert code == DATA_ERROR
    assert lines == [f"error: model '{name}' has no @{alias} (nothing is registered under that name yet); {advice}"]


def test_scoring_an_alias_or_version_no_version_carries_lists_the_registered_ones(spark, tmp_path, capsys) -> None:
    name = _registry(tmp_path)
    client().create_registered_model(name)
    version = client().create_model_version(name, source=str(tmp_path), run_id=None)
    client().set_registered_model_alias(name, "challenger", version.version)
    code, lines = _failure(capsys, score.main, _options(tmp_path))
    assert (code, lines) == (DATA_ERROR, [
        f"error: model '{name}' has no @champion (registered versions: 1 @challenger); "
        "run lakehouse-train and lakehouse-promote first"])
    code, lines = _failure(capsys, score.main, [*_options(tmp_path), "--version", "7"])
    assert (code, lines) == (DATA_ERROR, [
        f"error: model '{name}' has no version 7 (registered versions: 1 @challenger); "
        "run lakehouse-train and lakehouse-promote first"])


@pytest.mark.parametrize("trained_by", ["a run without lineage tags", "no run"])
def test_promoting_a_version_whose_run_records_no_lineage_is_one_line(spark, tmp_path, capsys, trained_by) -> None:
    name = _registry(tmp_path)
    client().create_registered_model(name)
    run_id = client().create_run("0").info.run_id if trained_by != "no run" else None
    version = client().create_model_version(name, source=str(tmp_path), run_id=run_id).version
    client().set_registered_model_alias(name, "challenger", version)
    code, lines = _failure(capsys, promote.main, _options(tmp_path))
    assert code == DATA_ERROR
    why = (f": its training run {run_id} records no lineage tag (source_table, source_table_version)" if run_id
           else " names no training run")
    assert lines == [f"error: model '{name}' version 1{why}, so the gate cannot read the rows it was tested on; "
                     "run lakehouse-train again to register a challenger that records them, then lakehouse-promote"]


def _lakehouse(spark, tmp_path: Path) -> TableStore:
    return TableStore(spark, _settings(tmp_path))


def test_an_unknown_table_names_the_close_matches(spark, tmp_path, capsys) -> None:
    tables = _lakehouse(spark, tmp_path)
    tables.write(spark.createDataFrame([(1, 10.0)], "sale_id bigint, living_area double"), "listings_silver")
    code, lines = _failure(capsys, sql.main, [*_options(tmp_path), "SELECT * FROM house_sales.listing_silver"])
    assert code == DATA_ERROR
    # The shared session's catalog holds other tests' tables too: the closest match comes first.
    assert len(lines) == 1
    assert lines[0].startswith("error: no table or view 'house_sales.listing_silver'; "
                               "did you mean house_sales.listings_silver")


def test_label_values_that_do_not_map_are_one_line(spark, tmp_path, capsys) -> None:
    tables = _lakehouse(spark, tmp_path)
    tables.write(spark.createDataFrame([(1, "cheap"), (2, "dear")], "sale_id bigint, sale_price string"),
                 "sales_silver")
    code, lines = _failure(capsys, features.main, _options(tmp_path))
    assert code == DATA_ERROR
    assert lines == ["error: label 'sale_price': 2 of 2 rows have no usable label (values such as 'cheap', "
                     "'dear'), more than use_case.max_unlabelled_fraction=0.0; a class label given as text "
                     "needs use_case.positive_label (and negative_label)"]


def _own_schema(tmp_path: Path) -> list[str]:
    """house_sales in a schema of this test's own: the shared session's catalog holds other tests' tables."""
    return [*_options(tmp_path), "--set", "use_case.schema=errors_" + re.sub(r"\W", "_", tmp_path.name)]


@pytest.mark.parametrize(("job", "message"), [
    (train.main, "error: table {schema}.{settings.features.input_table} does not exist; "
                 "run the job that writes it first"),
    (monitor.main, "error: no scoring batch to monitor in {schema}.{settings.score.audit_table}; "
                   "run lakehouse-score first"),
], ids=["training before ingest", "monitoring before scoring"])
def test_a_job_run_before_the_one_it_needs_is_one_line(spark, tmp_path, capsys, job, message) -> None:
    settings = load_settings("house_sales", "local", overrides=_own_schema(tmp_path)[3::2])
    code, lines = _failure(capsys, job, _own_schema(tmp_path))
    assert code == DATA_ERROR
    assert lines == [message.format(schema=settings.use_case.schema_, settings=settings)]


def test_default_steps_with_no_column_to_learn_from_are_one_line(spark, tmp_path, capsys) -> None:
    use_case = {
        "use_case": {"name": "constant", "schema": "errors_" + re.sub(r"\W", "_", tmp_path.name), "key": ["cid"],
                     "label": "churned", "positive_label": "Yes"},
        "sources": [{"name": "customers", "path": "customers", "format": "csv", "table": "customers_bronze",
                     "key": ["cid"], "columns": {"cid": "int", "country": "string", "churned": "string"}}],
        "split": {"test_fraction": 0.5},
    }
    path = tmp_path / "constant.yml"
    path.write_text(yaml.safe_dump(use_case))
    options = [*_options(tmp_path), "--use-case", str(path)]
    settings = load_settings(str(path), "local", overrides=_options(tmp_path)[3::2])
    TableStore(spark, settings).write(spark.createDataFrame(
        [(i, "NL", "Yes" if i % 2 else "No") for i in range(8)], "cid int, country string, churned string"),
        settings.features.input_table)
    code, lines = _failure(capsys, features.main, options)
    assert (code, lines) == (DATA_ERROR, ["error: no column to learn from: country: one value in every row"])
