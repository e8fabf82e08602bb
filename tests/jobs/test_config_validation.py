"""Hostile configuration values are refused at load, naming the file and the dotted key."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from jobs.common import bounded_yaml
from jobs.common.config import ConfigError, load_settings
from tests.config_fixtures import conf_copy, house_sales_text


def _refused(conf: Path) -> str:
    with pytest.raises(ConfigError) as error:
        load_settings("mine", conf_dir=conf)
    return str(error.value)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("  schema: house_sales", "  schema: ../../escape", "use_case.schema"),
        ("  schema: house_sales", "  schema: 'x; DROP TABLE t'", "use_case.schema"),
        ("  output_table: predictions", "  output_table: ../../escape", "score.output_table"),
        ("  output_table: sales_features", "  output_table: 'a;b'", "features.output_table"),
        ("    table: sales_bronze", "    table: ../sales", "sources.0.table"),
        ("  - name: sales", "  - name: ../sales", "sources.0.name"),
        ("  key: [sale_id]", "  key: ['sale_id; --']", "use_case.key.0"),
        ("  pass_through: [neighborhood, living_area]", "  pass_through: ['a`b']", "score.pass_through.0"),
        ("    path: house_sales/sales", "    path: ../../../etc", "sources.0.path"),
        ("    path: house_sales/sales", "    path: /etc", "sources.0.path"),
        ("  label_column: sale_price", "  label_column: \"sale_price'\"", "monitoring.label_column"),
    ],
)
def test_unsafe_names_and_paths_are_refused_with_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = house_sales_text()
    assert old in text
    message = _refused(conf_copy(tmp_path, text.replace(old, new, 1)))
    assert f"mine.yml: key '{key}'" in message


def test_a_column_that_is_not_a_name_is_refused_as_a_mapping_key(tmp_path: Path) -> None:
    text = house_sales_text().replace("      sale_id: bigint", "      'sale_id, 1 AS x': bigint", 1)
    assert "mine.yml: key 'sources.0.columns" in _refused(conf_copy(tmp_path, text))


def test_a_file_column_name_may_hold_dots_but_no_backquote() -> None:
    titanic = load_settings("titanic").source("passengers")
    assert titanic.file_names == {"home_dest": "home.dest"}
    with pytest.raises(ConfigError, match=r"--set sources: key 'sources.0.file_names.a'"):
        load_settings("house_sales", overrides=[
            "sources=[{name: s, path: s, format: csv, table: t, columns: {a: int}, file_names: {a: 'x`y'}}]"])


def test_catalog_name_is_an_identifier() -> None:
    with pytest.raises(ConfigError, match=r"--set lakehouse.catalog: key 'lakehouse.catalog'"):
        load_settings("house_sales", overrides=["lakehouse.catalog=main.x"])


def test_column_names_may_start_with_a_digit() -> None:
    # Ames' 1stFlrSF: Spark reads it as a name, so the packaged house_prices must keep loading.
    settings = load_settings("house_sales", overrides=["score.pass_through=[1stFlrSF]"])
    assert settings.score.pass_through == ["1stFlrSF"]


def test_a_quote_in_the_lakehouse_root_is_kept(tmp_path: Path) -> None:
    # Accepted: the table store quotes paths in SQL (tests/test_tables_quoting.py runs it).
    settings = load_settings("house_sales", overrides=[f"lakehouse.root={tmp_path}/it's"])
    assert settings.lakehouse.root == f"{tmp_path}/it's"


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("train.folds=99999999999999999999", "train.folds"),
        ("train.folds=101", "train.folds"),
        ("train.seed=99999999999999999999", "train.seed"),
        ("split.seed=-1", "split.seed"),
        ("generator.partitions=10000000", "generator.partitions"),
        ("generator.rows=1000000000000000", "generator.rows"),
        ("train.parallelism=100000", "train.parallelism"),
        ("monitoring.bins=1000000", "monitoring.bins"),
        ("assessment.value_within_tolerance=.nan", "assessment.value_within_tolerance"),
        ("gate.margin=.inf", "gate.margin"),
        ("score.version=latest", "score.version"),
        ("model.params={numTrees: 99999999999999999999}", "model.params"),
        ("model.params={numTrees: .inf}", "model.params"),
    ],
)
def test_numbers_out_of_range_are_refused(override: str, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"--set {key}: key '{key}"):
        load_settings("house_sales", overrides=[override])


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    # Nine levels of nine aliases: 9**9 strings once expanded, in an otherwise valid use case
    # (free-form model params), where it used to pass validation and hang whatever walked it.
    levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        levels.append(f"{level}: &{level} [{', '.join([f'*{previous}'] * 9)}]")
    bomb = "\n".join(f"    {line}" for line in levels)
    text = house_sales_text().replace("model:\n  name: house_sales_price\n",
                                      f"model:\n  name: house_sales_price\n  params:\n{bomb}\n")
    assert bomb in text
    started = time.monotonic()
    message = _refused(conf_copy(tmp_path, text))
    assert time.monotonic() - started < 5
    assert "mine.yml: refused: the YAML expands to more than" in message


def test_shipped_anchors_and_merge_keys_still_load() -> None:
    listings = load_settings("house_sales").source("listings")
    assert listings.expectations == load_settings("house_sales").source("sales").expectations


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a: &a [*a]\n", "refers to a node that contains it"),
        ("a: " + "[" * 2_000 + "]" * 2_000 + "\n", "nested too deeply"),
        ("a: '" + "x" * (bounded_yaml.MAX_BYTES + 10) + "'\n", "larger than"),
    ],
)
def test_self_reference_depth_and_size_are_refused(tmp_path: Path, text: str, reason: str) -> None:
    assert reason in _refused(conf_copy(tmp_path, text))


def test_override_values_go_through_the_same_limits() -> None:
    with pytest.raises(ConfigError, match=r"--set model.params: refused: the YAML .*contains it"):
        load_settings("house_sales", overrides=["model.params=&a {x: *a}"])


def test_bounded_loader_reads_what_safe_load_reads() -> None:
    text = "a: &x {b: 1, c: [1, 2.5, null, 'NA']}\nd:\n  <<: *x\n  b: 2\n"
    assert bounded_yaml.load(text) == yaml.safe_load(text)


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ("      params: {strategy: median}", "      params: {strategy: median, strategi: mean}",
         "features.steps.1", "step 'impute_numeric': unknown parameter 'strategi'; valid: "),
        ("    - stage: assemble", "    - stage: mean_encode\n      columns: [neighborhood]\n"
         "      params: {unseen: encodee}\n    - stage: assemble",
         "features.steps.3", "step 'mean_encode': unseen must be one of 'encode', 'ignore', 'raise', not 'encodee'"),
        ("    - stage: assemble", "    - stage: teleport\n    - stage: assemble",
         "features.steps.3", "unknown stage 'teleport'"),
        ("      params: {selectionMode: fpr, selectionThreshold: 0.01}",
         "      params: {selectionMode: foo, selectionThreshold: 0.01}",
         "selection.steps.3", "selector 'univariate': selectionMode must be one of"),
        ("      params: {tol: 0.995}", "      params: {tolerance: 0.995}",
         "selection.steps.0", "selector 'constant': unknown parameter 'tolerance'"),
        ("      params: {numTrees: 40, maxDepth: 10, seed: 42}", "      params: {numTrees: 40, maxDepht: 10, seed: 42}",
         "model.candidates.1", "random_forest_regressor: unknown parameter 'maxDepht'"),
        ("      grid: {regParam: [0.01, 100.0]}", "      grid: {regParam: [0.01, high]}",
         "model.candidates.0", "linear_regression: parameter 'regParam'"),
        # Metrics are checked with the stages: tuning's for train, the test metrics for the gate.
        ("  folds: 3", "  folds: 3\n  metric: auc", "train.metric",
         "unknown metric 'auc' for a regression model; known: rmse, mse, mae, r2, rmsle\n"),
        ("  folds: 3", "  folds: 3\n  metric: mape", "train.metric",
         "unknown metric 'mape' for a regression model; known: rmse, mse, mae, r2, rmsle\n"),
        ("  folds: 3", "  folds: 3\n\ngate:\n  metric: rsme", "gate.metric",
         "unknown metric 'rsme' for a regression model; known: mse, rmse, mae, r2, mape, rmsle\n"),
        ("  folds: 3", "  folds: 3\n\ngate:\n  thresholds: {R2: {min: 0.5}}", "gate.thresholds.R2",
         "unknown metric 'R2' for a regression model; known: mse, rmse, mae, r2, mape, rmsle\n"),
    ],
)
def test_a_bad_stage_parameter_or_metric_stops_the_load_naming_file_and_key(
    tmp_path: Path, old: str, new: str, key: str, reason: str
) -> None:
    text = house_sales_text()
    assert old in text
    message = _refused(conf_copy(tmp_path, text.replace(old, new, 1)))
    assert f"mine.yml: key '{key}': {reason}" in message + "\n"


def test_a_bad_stage_parameter_from_an_override_names_the_override() -> None:
    with pytest.raises(ConfigError, match=r"--set model.params: key 'model.params': linear_regression: unknown parameter"):
        load_settings("house_sales", overrides=["model.candidates=[]", "model.algorithm=linear_regression",
                                                "model.params={numTrees: 3}"])


def test_a_metric_from_an_override_names_the_override_and_both_f1s_load() -> None:
    with pytest.raises(ConfigError, match=r"--set train.metric: key 'train.metric': unknown metric 'f2' for a "
                                          r"classification model; known: .*\bf1, weighted_f1\b"):
        load_settings("titanic", overrides=["train.metric=f2"])
    for name in ("f1", "weighted_f1"):
        settings = load_settings("titanic", overrides=[f"train.metric={name}", f"gate.metric={name}"])
        assert (settings.train.metric, settings.gate.metric) == (name, name)


def test_rmsle_loads_for_a_regression_and_is_refused_for_a_classification_in_one_line() -> None:
    settings = load_settings("house_sales", overrides=["train.metric=rmsle", "gate.metric=rmsle"])
    assert (settings.train.metric, settings.gate.metric) == ("rmsle", "rmsle")
    with pytest.raises(ConfigError) as refused:
        load_settings("titanic", overrides=["train.metric=rmsle"])
    # The loader's header line, then one line for the one problem.
    assert str(refused.value).splitlines()[1:] == [
        "  --set train.metric: key 'train.metric': unknown metric 'rmsle' for a classification model; "
        "known: roc_auc, pr_auc, accuracy, f1, weighted_f1, log_loss"]
