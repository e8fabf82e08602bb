"""Training's choices: the metric by task, whether to search, the best candidate, the threshold."""

from __future__ import annotations

import math

from transforms.modeling.business import ValueMatrix
from transforms.modeling.candidates import Candidate
from transforms.modeling.choice import (
    DEFAULT_THRESHOLD,
    candidate_threshold,
    needs_search,
    pick_best,
    training_metric,
)
from transforms.modeling.classification import ScoreBin
from transforms.modeling.tuning import TuningResult

MATRIX = ValueMatrix(true_positive=100, false_positive=-20, false_negative=0, true_negative=0)


def _candidate(name: str, grid_points: int = 1) -> Candidate:
    return Candidate(name, "linear_regression", None, None, [{} for _ in range(grid_points)])


def _result(name: str, mean: float, histogram: list[ScoreBin] | None = None) -> TuningResult:
    return TuningResult(_candidate(name), None, None, {}, [], mean, 0.0, not math.isnan(mean), histogram)


def test_the_metric_is_the_configured_one_else_the_task_default() -> None:
    assert training_metric("regression") == "rmse"
    assert training_metric("classification") == "roc_auc"
    assert training_metric("regression", "mae") == "mae"


def test_a_search_needs_a_second_candidate_a_grid_or_a_value_matrix() -> None:
    assert not needs_search([_candidate("a")], None)
    assert needs_search([_candidate("a"), _candidate("b")], None)
    assert needs_search([_candidate("a", grid_points=2)], None)
    assert needs_search([_candidate("a")], MATRIX)


def test_the_best_follows_the_metric_direction_and_ties_go_to_the_first_listed() -> None:
    results = [_result("a", 3.0), _result("b", 2.0), _result("c", 2.0)]
    assert pick_best(results, "rmse").candidate.name == "b"
    assert pick_best(results, "r2").candidate.name == "a"


def test_unscored_candidates_are_skipped_and_none_scored_gives_the_first() -> None:
    assert pick_best([_result("a", float("nan")), _result("b", 0.7)], "roc_auc").candidate.name == "b"
    assert pick_best([_result("a", float("nan")), _result("b", float("nan"))], "roc_auc").candidate.name == "a"


def test_the_threshold_maximises_value_on_out_of_fold_scores_else_the_default() -> None:
    # Positives score 0.8, negatives 0.3: any threshold between them keeps every positive and
    # no negative; the lowest such bin edge wins.
    histogram = [ScoreBin(0.8, 10, 0, 8.0), ScoreBin(0.3, 0, 10, 3.0)]
    assert candidate_threshold(_result("a", 0.9), MATRIX) == DEFAULT_THRESHOLD
    assert candidate_threshold(_result("a", 0.9, histogram), None) == DEFAULT_THRESHOLD
    assert 0.3 < candidate_threshold(_result("a", 0.9, histogram), MATRIX) <= 0.8
