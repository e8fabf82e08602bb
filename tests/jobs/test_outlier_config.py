"""`train.outliers`: validated at load, the default rule goes with the default regression
candidates, and the hand-written use cases keep every training row."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.common.config import ConfigError, OutlierSettings, load_settings
from tests.config_fixtures import conf_copy

SHORT = """
use_case: {name: sales, schema: sales, key: [sid], label: price}
sources:
  - {name: sales, path: sales, format: csv, table: sales_bronze,
     columns: {sid: int, area: double, price: LABEL_TYPE}}
split: {test_fraction: 0.2}
"""


def _load(tmp_path: Path, *overrides: str, label_type: str = "double"):
    # A folder of its own per load: a test may load twice.
    conf = conf_copy(tmp_path / str(len(list(tmp_path.iterdir()))), SHORT.replace("LABEL_TYPE", label_type))
    return load_settings("mine", conf_dir=conf, overrides=list(overrides))


def test_a_short_regression_gets_the_default_rule(tmp_path: Path) -> None:
    assert _load(tmp_path).train.outliers == OutlierSettings(max_scales=6.0, max_share=0.01)


@pytest.mark.parametrize("overrides", [
    ["train.outliers=null"],  # turned off
    ["model.candidates=[{algorithm: linear_regression}]"],  # own candidates: the rule is asked for, or not
    ["model.algorithm=linear_regression"],
])
def test_the_rule_is_off_when_turned_off_or_with_configured_candidates(tmp_path: Path, overrides: list[str]) -> None:
    assert _load(tmp_path, *overrides).train.outliers is None


def test_a_set_rule_is_kept(tmp_path: Path) -> None:
    assert _load(tmp_path, "train.outliers={max_scales: 8}").train.outliers == OutlierSettings(max_scales=8,
                                                                                             max_share=0.01)


def test_classification_gets_no_rule_and_refuses_one(tmp_path: Path) -> None:
    assert _load(tmp_path, label_type="string").train.outliers is None
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, "train.outliers={}", label_type="string")
    assert "--set train.outliers: key 'train.outliers': is for regression, not a classification model" in str(error.value)


@pytest.mark.parametrize(("value", "key"), [
    ("{max_scales: 1}", "train.outliers.max_scales"),  # would cut into ordinary rows
    ("{max_share: 0.5}", "train.outliers.max_share"),  # half the rows are no outliers
    ("{max_share: 0}", "train.outliers.max_share"),
    ("{max_scales: .nan}", "train.outliers.max_scales"),
    ("{k: 6}", "train.outliers.k"),
])
def test_a_bad_rule_is_one_line_naming_the_file_and_key(tmp_path: Path, value: str, key: str) -> None:
    conf = conf_copy(tmp_path, SHORT.replace("LABEL_TYPE", "double") + f"train:\n  outliers: {value}\n")
    with pytest.raises(ConfigError) as error:
        load_settings("mine", conf_dir=conf)
    problems = str(error.value).splitlines()[1:]
    assert len(problems) == 1
    assert f"mine.yml: key '{key}'" in problems[0] or f"mine.yml: unknown key '{key}'" in problems[0]


@pytest.mark.parametrize("use_case", ["house_prices", "house_sales", "titanic"])
def test_the_hand_written_use_cases_keep_every_training_row(use_case: str) -> None:
    assert load_settings(use_case).train.outliers is None
