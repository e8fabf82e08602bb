"""Layered YAML config: merging, overrides and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.common.config import ConfigError, load_settings
from tests.config_fixtures import conf_copy, house_sales_text


def test_packaged_use_cases_load() -> None:
    for name in ("house_sales", "house_prices", "titanic"):
        settings = load_settings(name)
        assert settings.use_case.name == name
        assert settings.runtime == "local"


def test_layers_merge_key_by_key() -> None:
    settings = load_settings("house_sales")
    # base.yml sets the time zone, env/local.yml adds the in-memory catalog: both survive.
    assert settings.spark.conf["spark.sql.session.timeZone"] == "UTC"
    assert settings.spark.conf["spark.sql.catalogImplementation"] == "in-memory"


def test_databricks_overlay_switches_names_and_mlflow() -> None:
    settings = load_settings("house_sales", env="databricks")
    assert settings.runtime == "databricks"
    assert settings.lakehouse.catalog == "main"
    assert settings.mlflow.registry_uri == "databricks-uc"
    assert settings.lakehouse.root.startswith("/Volumes/")


def test_relative_local_paths_become_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings("house_sales")
    assert settings.lakehouse.root == str(tmp_path / "lakehouse")
    assert settings.mlflow.tracking_uri == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert settings.mlflow.artifact_location == (tmp_path / "mlartifacts").as_uri()


def test_set_overrides_with_dotted_and_bracketed_keys() -> None:
    settings = load_settings(
        "house_sales",
        overrides=["generator.rows=123", "spark.conf[spark.sql.shuffle.partitions]=3", "score.incremental={mode: none}"],
    )
    assert settings.generator.rows == 123
    assert settings.spark.conf["spark.sql.shuffle.partitions"] == "3"
    # Mappings merge key by key, as the YAML layers do.
    assert settings.score.incremental.model_dump() == {"mode": "none", "watermark_column": "_ingested_at"}


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    conf = conf_copy(tmp_path, house_sales_text().replace("  alias: champion", "  alais: champion"))
    with pytest.raises(ConfigError) as error:
        load_settings("mine", conf_dir=conf)
    message = str(error.value)
    assert "mine.yml" in message
    assert "unknown key 'model.alais'" in message


def test_missing_key_says_what_is_expected(tmp_path: Path) -> None:
    conf = conf_copy(tmp_path, house_sales_text().replace("  label: sale_price\n", ""))
    with pytest.raises(ConfigError, match=r"missing key 'use_case.label'"):
        load_settings("mine", conf_dir=conf)


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    conf = conf_copy(tmp_path, house_sales_text().replace("rows: 20000", "rows: many"))
    with pytest.raises(ConfigError) as error:
        load_settings("mine", conf_dir=conf)
    assert "generator.rows" in str(error.value)
    assert "'many'" in str(error.value)


def test_bad_override_value_is_attributed_to_the_override() -> None:
    with pytest.raises(ConfigError, match=r"--set split.test_fraction: key 'split.test_fraction'"):
        load_settings("house_sales", overrides=["split.test_fraction=1.5"])


def test_missing_file_and_malformed_override() -> None:
    with pytest.raises(ConfigError, match=r"unknown use case 'no_such_use_case'; known: .*house_sales"):
        load_settings("no_such_use_case")
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings("no_such_use_case.yml")
    with pytest.raises(ConfigError, match=r"expected dotted\.key=value"):
        load_settings("house_sales", overrides=["generator.rows"])


def test_fingerprint_changes_with_config() -> None:
    assert load_settings("house_sales").fingerprint() == load_settings("house_sales").fingerprint()
    assert load_settings("house_sales").fingerprint() != load_settings(
        "house_sales", overrides=["split.seed=8"]
    ).fingerprint()


def test_null_column_type_removes_an_inherited_column() -> None:
    listings = load_settings("house_sales").source("listings")
    assert "sale_price" not in listings.declared_columns
    assert "sale_id" in listings.declared_columns


SHORT_USE_CASE = """
use_case: {name: churn, schema: churn, key: [cid], label: churned}
sources:
  - {name: customers, path: customers, format: csv, table: customers_bronze,
     columns: {cid: int, tenure: double, churned: LABEL_TYPE}}
split: SPLIT
"""


def _short(tmp_path: Path, label_type: str = "string", split: str = "{test_fraction: 0.2}", *overrides: str):
    text = SHORT_USE_CASE.replace("LABEL_TYPE", label_type).replace("SPLIT", split)
    return load_settings("mine", conf_dir=conf_copy(tmp_path, text), overrides=list(overrides))


def test_a_short_use_case_loads_with_derived_keys(tmp_path: Path) -> None:
    settings = _short(tmp_path)
    assert settings.use_case.task == "classification"
    assert (settings.features.input_table, settings.features.output_table) == ("customers_silver", "customers_features")
    assert settings.features.steps == [] and settings.model.candidate_list() == []
    assert settings.model.name == "churn_model" and settings.selection is None
    assert (settings.score.input_table, settings.score.output_table) == ("customers_silver", "predictions")
    assert (settings.split.test_fraction, settings.split.seed, settings.split.table) == (0.2, 0, None)


@pytest.mark.parametrize(("label_type", "task"), [("string", "classification"), ("boolean", "classification"),
                                                  ("double", "regression"), ("float", "regression"),
                                                  ('"decimal(10, 2)"', "regression")])
def test_the_label_type_decides_the_task(tmp_path: Path, label_type: str, task: str) -> None:
    assert _short(tmp_path, label_type).use_case.task == task


@pytest.mark.parametrize("label_type", ["int", "bigint", "date"])
def test_a_label_type_that_does_not_decide_asks_for_the_task_in_one_line(tmp_path: Path, label_type: str) -> None:
    with pytest.raises(ConfigError) as error:
        _short(tmp_path, label_type)
    message = str(error.value)
    assert "\n" not in message
    assert message.endswith(f"mine.yml: key 'use_case.task': not set, and the label 'churned' is declared {label_type}, "
                            "which may hold class codes or quantities: set use_case.task: classification or regression")


def test_a_set_task_or_derived_key_is_kept(tmp_path: Path) -> None:
    settings = _short(tmp_path, "int", "{test_fraction: 0.2}", "use_case.task=regression",
                      "features.input_table=mine", "model.name=churn")
    assert settings.use_case.task == "regression"
    assert (settings.features.input_table, settings.features.output_table) == ("mine", "mine_features")
    assert settings.model.name == "churn"


def test_a_label_no_source_declares_asks_for_the_task(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"key 'use_case.task': not set, and no source declares the label 'other'"):
        _short(tmp_path, "string", "{test_fraction: 0.2}", "use_case.label=other")


def test_a_split_table_needs_no_fraction_or_seed(tmp_path: Path) -> None:
    split = _short(tmp_path, split="{table: course_split}").split
    assert (split.table, split.test_fraction) == ("course_split", None)


def test_a_split_with_neither_table_nor_fraction_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"key 'split': .*set split.table .* or split.test_fraction"):
        _short(tmp_path, split="{seed: 3}")
