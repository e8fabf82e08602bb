"""Every lifecycle job prints the progress line run_all prints for it (name, rows, seconds), alone
too; a foreseeable error instead is one line and a non-zero exit code."""

from __future__ import annotations

import argparse
import logging
import re
from types import SimpleNamespace

import pytest

from jobs import (
    features,
    generate,
    ingest,
    monitor,
    profile_table,
    promote,
    reference_results,
    run_all,
    score,
    select_features,
    train,
)
from jobs.common import cli
from jobs.common.errors import CONFIG_ERROR, DATA_ERROR
from jobs.common.progress import Stage, summed
from jobs.common.tables import MissingTableError
from transforms.modeling.defaults import DefaultsError
from transforms.modeling.gate import decide

JOBS = (generate, ingest, profile_table, features, select_features, train, promote, score, monitor)


@pytest.mark.parametrize("job", JOBS, ids=lambda job: job.__name__)
def test_each_lifecycle_job_runs_as_its_stage(job, monkeypatch) -> None:
    given = {}

    def run_job(description, body, argv=None, add_arguments=None, stage=None):
        given.update(body=body, stage=stage)
        return {"stale": [], "breaches": 0, "batches": []}

    monkeypatch.setattr(job, "run_job", run_job)
    job.main([])
    assert given["stage"] is job.STAGE
    assert isinstance(job.STAGE, Stage)


def test_the_stages_count_the_rows_of_their_results() -> None:
    by_source = {"a": {"rows": 3, "rows_read": 5}, "b": {"rows": 4, "rows_read": 6}}
    assert generate.STAGE.rows(by_source) == 7
    assert ingest.STAGE.rows(by_source) == 11
    assert profile_table.STAGE.rows(SimpleNamespace(rows=1460)) == 1460
    assert features.STAGE.rows({"train": 1000, "test": 460}) == 1460
    assert train.STAGE.rows({"train_rows": 1047}) == 1047
    assert select_features.STAGE.rows({"rows": 1460, "kept": ["x"]}) == 1460
    assert score.STAGE.rows({"rows_scored": 12}) == 12
    assert promote.STAGE.rows({"promoted": True}) is None
    assert summed("rows")({}) == 0


@pytest.fixture
def no_session(monkeypatch):
    """run_job without Spark: the context is a stand-in, the body is the test's."""
    monkeypatch.setattr(cli, "open_context", lambda args, whole_catalog=True: SimpleNamespace(args=args))
    monkeypatch.setattr(cli, "configure_logging", lambda verbose: None)


def test_a_job_prints_its_stage_line_when_its_body_ends(no_session, capsys) -> None:
    stage = Stage("train", lambda result: result["train_rows"])
    result = cli.run_job("a job", lambda context, args: {"train_rows": 1047}, [], stage=stage)
    assert result == {"train_rows": 1047}
    assert re.fullmatch(r"train: 1,047 rows in \d+\.\d s\n", capsys.readouterr().err)


def test_defaults_that_find_nothing_to_learn_from_are_one_line(no_session, capsys) -> None:
    def body(context: object, args: argparse.Namespace) -> None:
        raise DefaultsError("no column to learn from: country: one value in every row")

    with pytest.raises(SystemExit) as exit_:
        cli.run_job("a job", body, [], stage=Stage("train"))
    assert exit_.value.code == DATA_ERROR
    assert capsys.readouterr().err == "error: no column to learn from: country: one value in every row\n"


def test_a_gate_that_cannot_compare_is_one_line(no_session, capsys) -> None:
    def body(context: object, args: argparse.Namespace) -> None:
        decide({"rmsle": float("nan")}, None, "rmsle", 0.0, {})

    with pytest.raises(SystemExit) as exit_:
        cli.run_job("promote", body, [], stage=promote.STAGE)
    assert exit_.value.code == DATA_ERROR
    assert capsys.readouterr().err.startswith("error: gate: the challenger's rmsle on the test rows is NaN (")


def test_the_reference_run_logs_and_fails_as_every_job(monkeypatch, capsys) -> None:
    levels = []

    def no_basic_config(**kwargs) -> None:
        raise AssertionError("the root logger at INFO lets py4j and every library through")

    def missing_data(root: str, use_cases: list[str]) -> None:
        raise MissingTableError("table house_prices.sales_silver does not exist; run the job that writes it first")

    monkeypatch.setattr(logging, "basicConfig", no_basic_config)
    monkeypatch.setattr(reference_results, "configure_logging", levels.append)
    monkeypatch.setattr(reference_results, "run_reference", missing_data)
    for argv, verbose in (([], False), (["-v"], True)):
        with pytest.raises(SystemExit) as exit_:
            reference_results.main(["--root", "/nowhere", *argv])
        assert exit_.value.code == DATA_ERROR
        assert capsys.readouterr().err.splitlines()[-1] == (
            "error: table house_prices.sales_silver does not exist; run the job that writes it first")
        assert levels.pop() is verbose


def test_the_run_all_summary_names_the_defaults_training_chose() -> None:
    trained = {
        "candidate": "xgboost",
        "candidates": [
            {"candidate": "logistic_regression", "cv_mean": 0.837, "cv_std": 0.0122, "test": {"roc_auc": 0.85},
             "params": {"regParam": 0.001}},
            {"candidate": "xgboost", "cv_mean": 0.8542, "cv_std": 0.0146, "test": {"roc_auc": 0.8978},
             "params": {"max_depth": 5}},
        ],
        "defaults": ["default pipeline: impute_median(age), one_hot(sex), assemble",
                     "default candidates: logistic_regression, xgboost"],
        "selection": {},
    }
    lines = run_all.candidate_lines(trained, "roc_auc")
    assert lines[2].startswith("  logistic_regression") and lines[3].startswith(" *xgboost")
    assert lines[4:] == ["  default pipeline: impute_median(age), one_hot(sex), assemble",
                         "  default candidates: logistic_regression, xgboost"]
    assert run_all.candidate_lines({**trained, "defaults": []}, "roc_auc")[4:] == []


def test_generating_for_a_use_case_without_a_generator_is_a_config_error(no_session, capsys) -> None:
    settings = SimpleNamespace(generator=None, use_case=SimpleNamespace(name="titanic"))
    with pytest.raises(SystemExit) as exit_:
        cli.run_job("generate", lambda context, args: generate.generate(SimpleNamespace(settings=settings)), [])
    assert exit_.value.code == CONFIG_ERROR
    assert capsys.readouterr().err == ("error: use case 'titanic' has no generator section: generate writes demo "
                                       "data only; put your files under lakehouse.landing instead\n")
