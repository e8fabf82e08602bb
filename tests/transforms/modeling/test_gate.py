"""The promotion gate's decision rule, checked by hand (the job on a registry: tests/jobs/test_promote.py)."""

from __future__ import annotations

import pytest

from transforms.modeling.gate import Bound, GateError, decide
from transforms.modeling.metrics import regression_metrics

LOOSE = {"rmse": Bound(max=100.0)}


def test_no_champion_yet_promotes_when_thresholds_pass() -> None:
    decision = decide({"rmse": 3.0, "r2": 0.9}, None, "rmse", 0.01, {"rmse": Bound(max=5.0), "r2": Bound(min=0.8)})
    assert decision.promote
    assert decision.reasons[-1] == "no champion yet"


def test_failed_threshold_blocks_even_without_champion() -> None:
    decision = decide({"rmse": 3.0, "r2": 0.5}, None, "rmse", 0.0, {"r2": Bound(min=0.8)})
    assert not decision.promote
    assert "r2 0.5 below the minimum 0.8" in decision.reasons


def test_challenger_must_beat_champion_by_the_margin() -> None:
    # 1% of the champion's rmse 10 is 0.1: 9.95 is better, but not by the margin.
    assert not decide({"rmse": 9.95}, {"rmse": 10.0}, "rmse", 0.01, {}).promote
    assert decide({"rmse": 9.85}, {"rmse": 10.0}, "rmse", 0.01, {}).promote
    # Higher is better for ROC-AUC.
    assert decide({"roc_auc": 0.86}, {"roc_auc": 0.80}, "roc_auc", 0.05, {}).promote
    assert not decide({"roc_auc": 0.83}, {"roc_auc": 0.80}, "roc_auc", 0.05, {}).promote


def test_a_tie_is_not_a_win_even_at_margin_zero() -> None:
    tie = decide({"rmse": 83793.0}, {"rmse": 83793.0}, "rmse", 0.0, {})
    assert not tie.promote
    assert tie.reasons == ["rmse 83793 ties the champion's 83793: a tie does not beat the champion"]
    # The last bits of a sum over the same rows are noise, not a better model.
    assert not decide({"roc_auc": 0.8 + 1e-13}, {"roc_auc": 0.8}, "roc_auc", 0.0, {}).promote
    assert decide({"rmse": 83792.0}, {"rmse": 83793.0}, "rmse", 0.0, {}).promote


def test_unknown_threshold_metric_is_a_reason_not_a_crash() -> None:
    decision = decide({"rmse": 1.0}, None, "rmse", 0.0, {"auc": Bound(min=0.5)})
    assert not decision.promote and decision.reasons[0].startswith("auc: no such test metric")


# --- the job, on 60 rows: y = 3x + noise-free offset, two features ---


RMSLE_NAN = ("the challenger's rmsle on the test rows is NaN (rmsle needs labels > 0: log has no value at 0 or "
             "below), so the gate cannot compare it; use another metric than rmsle in ")


def test_a_nan_metric_is_refused_naming_it_and_why(spark) -> None:
    # A label of 0 has no log: the test metrics report rmsle as NaN rather than failing.
    scored = spark.createDataFrame([(0.0, 1.0), (2.0, 2.5), (4.0, 3.5)], "y double, prediction double")
    challenger = regression_metrics(scored, "y")
    champion = {**challenger, "rmsle": 0.5}
    with pytest.raises(GateError) as no_champion:
        decide(challenger, None, "rmsle", 0.0, {})
    assert str(no_champion.value) == "gate: " + RMSLE_NAN + "gate.metric"
    with pytest.raises(GateError, match=r"in gate\.metric$"):
        decide(challenger, champion, "rmsle", 0.0, {})
    with pytest.raises(GateError) as bounded:
        decide(challenger, None, "rmse", 0.0, {"rmsle": Bound(max=1.0)})
    assert str(bounded.value) == "gate: " + RMSLE_NAN + "gate.thresholds.rmsle"
    with pytest.raises(GateError, match=r"^gate: the champion's mape on the test rows is NaN"):
        decide({"mape": 0.1}, {"mape": float("nan")}, "mape", 0.0, {})
    # A NaN the gate does not compare decides nothing.
    assert decide(challenger, None, "rmse", 0.0, {"rmse": Bound(max=10.0)}).promote
