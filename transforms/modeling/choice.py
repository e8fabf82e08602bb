"""Choices training makes from its results: the metric, whether to search, the best candidate,
a classifier's decision threshold."""

from __future__ import annotations

import math

from transforms.modeling.business import ValueMatrix, best_threshold
from transforms.modeling.candidates import Candidate
from transforms.modeling.metrics import DEFAULT_METRIC, higher_is_better
from transforms.modeling.tuning import TuningResult

# The decision threshold of a classifier without a value matrix to choose one.
DEFAULT_THRESHOLD = 0.5


def training_metric(task: str, configured: str | None = None) -> str:
    """The metric candidates are tuned and compared on: the configured one, else the task's default."""
    return configured or DEFAULT_METRIC[task]


def needs_search(candidates: list[Candidate], matrix: ValueMatrix | None) -> bool:
    """Whether tuning has something to choose: a second candidate, a grid or a threshold."""
    return len(candidates) > 1 or any(len(c.param_maps) > 1 for c in candidates) or matrix is not None


def pick_best(results: list[TuningResult], metric: str) -> TuningResult:
    """Best CV mean; ties go to the candidate listed first in config."""
    sign = 1 if higher_is_better(metric) else -1
    scored = [r for r in results if not math.isnan(r.best_mean)]
    if not scored:
        return results[0]
    return max(scored, key=lambda r: (sign * r.best_mean, -results.index(r)))


def candidate_threshold(result: TuningResult, matrix: ValueMatrix | None) -> float:
    """The value-maximising threshold on the candidate's out-of-fold predictions, else 0.5."""
    if matrix is None or not result.validation_histogram:
        return DEFAULT_THRESHOLD
    return best_threshold(result.validation_histogram, matrix)
