"""The session's task slots size xgboost's workers and the tuning's parallelism; a configured
`num_workers` above them is refused before any data is read (it would hang ~10 minutes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.common.cli import JobContext
from jobs.common.config import ConfigError
from jobs.common.model_setup import build_candidates
from jobs.common.tables import TableStore
from jobs.common.task_slots import session_task_slots, training_sizes
from jobs.train import train
from tests.settings import make_settings
from tests.spark_processes import ROOT, spark_env

XGBOOST = "{name: xgb, algorithm: xgboost_regressor, params: {n_estimators: 5%s}%s}"

# Other masters need their own SparkContext, so their own process: one JVM, one context after
# the other (a stopped context frees the JVM for the next).
SLOTS_OF_MASTERS = """
import json, sys
from pyspark.sql import SparkSession
from jobs.common.task_slots import session_task_slots
found = {}
for master, cpus in json.loads(sys.argv[1]):
    spark = SparkSession.builder.master(master).config("spark.task.cpus", cpus).config(
        "spark.ui.enabled", "false").getOrCreate()
    found[f"{master} {cpus}"] = session_task_slots(spark)
    spark.stop()
print(json.dumps(found))
"""


def _settings(tmp_path: Path, *overrides: str):
    return make_settings(tmp_path, "house_sales", *overrides)


def test_the_test_session_has_two_slots(spark) -> None:
    assert session_task_slots(spark) == 2  # tests/conftest.py: local[2]


@pytest.mark.slow  # a JVM of its own: ~20 s on a busy machine
def test_slots_follow_the_master_and_spark_task_cpus() -> None:
    masters = [["local[1]", "1"], ["local[3]", "1"], ["local[4]", "2"]]
    run = subprocess.run([sys.executable, "-c", SLOTS_OF_MASTERS, json.dumps(masters)], cwd=ROOT,
                         env=spark_env(), capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {
        "local[1] 1": 1, "local[3] 1": 3, "local[4] 2": 2}


def test_default_workers_and_parallelism_are_the_slots(spark, tmp_path: Path) -> None:
    settings = _settings(tmp_path, f"model.candidates=[{XGBOOST % ('', '')}]")
    sizes = training_sizes(settings, spark)
    assert (sizes.slots, sizes.parallelism) == (2, 2)
    [candidate] = build_candidates(settings, sizes.slots)
    assert candidate.model_stage.getOrDefault("num_workers") == 2


def test_configured_values_win(spark, tmp_path: Path) -> None:
    settings = _settings(tmp_path, f"model.candidates=[{XGBOOST % (', num_workers: 1', '')}]",
                         "train.parallelism=3")
    sizes = training_sizes(settings, spark)
    assert (sizes.slots, sizes.parallelism) == (2, 3)
    [candidate] = build_candidates(settings, sizes.slots)
    assert candidate.model_stage.getOrDefault("num_workers") == 1


@pytest.mark.parametrize(("params", "grid", "key"), [
    (", num_workers: 3", "", "model.candidates[0].params.num_workers: 3 xgboost workers"),
    ("", ", grid: {num_workers: [1, 4.0]}", "model.candidates[0].grid.num_workers: 4 xgboost workers"),
])
def test_more_workers_than_slots_is_refused(spark, tmp_path: Path, params: str, grid: str, key: str) -> None:
    settings = _settings(tmp_path, f"model.candidates=[{XGBOOST % (params, grid)}]")
    with pytest.raises(ConfigError) as refused:
        training_sizes(settings, spark)
    message = str(refused.value)
    assert message.startswith(key) and "2 task slot(s) (local[2], spark.task.cpus=1)" in message
    assert "\n" not in message


def test_train_refuses_before_reading_any_table(spark, tmp_path: Path) -> None:
    # No table exists under tmp_path: reaching the data would fail differently.
    settings = _settings(tmp_path, f"model.candidates=[{XGBOOST % (', num_workers: 3', '')}]")
    with pytest.raises(ConfigError, match=r"^model\.candidates\[0\]\.params\.num_workers: 3 xgboost workers"):
        train(JobContext(settings, spark, TableStore(spark, settings)))
