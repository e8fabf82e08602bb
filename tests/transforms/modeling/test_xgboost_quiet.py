"""xgboost prints one line per boosting round while early stopping evaluates, unless told not to."""

from __future__ import annotations

import pytest

from transforms.modeling.candidates import build_candidate


@pytest.mark.parametrize(("params", "verbose"), [({}, False), ({"verbose": True}, True)])
def test_xgboost_prints_no_line_per_round_unless_asked(params, verbose) -> None:
    candidate = build_candidate("xgb", "xgboost_regressor", "regression", params, {}, "features", "y", "log", 10)
    assert candidate.model_stage.getOrDefault("verbose") is verbose
