"""The promotion gate's decision rule, checked by hand (the job on a registry: tests/jobs/test_promote.py)."""

from __future__ import annotations

from transforms.modeling.gate import Bound, decide

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
