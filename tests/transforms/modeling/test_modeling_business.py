"""Classification curves, deciles and business value on hand-checkable score histograms."""

from __future__ import annotations

import pytest

from transforms.modeling.business import ValueMatrix, best_threshold, policy_values
from transforms.modeling.classification import calibration, curves, lift_by_decile
from transforms.modeling.metrics import threshold_metrics
from transforms.modeling.scores import ScoreBin, confusion

# 10 rows: scores 0.9 (3 positives), 0.7 (1 positive, 1 negative), 0.2 (5 negatives).
HISTOGRAM = [ScoreBin(0.9, 3, 0, 2.7), ScoreBin(0.7, 1, 1, 1.4), ScoreBin(0.2, 0, 5, 1.0)]


def test_confusion_and_threshold_metrics_by_hand() -> None:
    counts = confusion(HISTOGRAM, 0.5)
    assert counts == {"tp": 4, "fp": 1, "fn": 0, "tn": 5}
    metrics = threshold_metrics(counts)
    assert metrics["accuracy"] == pytest.approx(0.9)
    assert metrics["precision"] == pytest.approx(0.8)
    assert metrics["recall"] == pytest.approx(1.0)
    assert confusion(HISTOGRAM, 0.8) == {"tp": 3, "fp": 0, "fn": 1, "tn": 6}


def test_roc_curve_ends_at_one_one_and_calibration_by_bucket() -> None:
    roc = curves(HISTOGRAM)["roc"]
    assert roc[0] == (0.0, 0.0) and roc[-1] == (1.0, 1.0)
    assert roc[1] == (0.0, 0.75)
    buckets = {c["bucket"]: c for c in calibration(HISTOGRAM)}
    assert buckets[9]["observed_rate"] == 1.0 and buckets[9]["mean_predicted"] == pytest.approx(0.9)
    assert buckets[2]["observed_rate"] == 0.0


def test_lift_and_cumulative_gains_by_decile() -> None:
    deciles = lift_by_decile(HISTOGRAM)
    assert len(deciles) == 10
    # Base rate 0.4; the top three rows are all positive: lift 2.5.
    assert deciles[0]["lift"] == pytest.approx(2.5)
    # Rows 4-5 share the 0.7 bin (1 positive of 2): half a positive each.
    assert deciles[3]["positives"] == pytest.approx(0.5)
    assert deciles[-1]["cumulative_gain"] == pytest.approx(1.0)


def test_profit_maximising_threshold_and_policy_uplift() -> None:
    # A positive is worth 10, a wasted action costs 8: acting on the 0.7 bin (1 tp, 1 fp) pays +2.
    matrix = ValueMatrix(true_positive=10, false_positive=-8, false_negative=0, true_negative=0)
    threshold = best_threshold(HISTOGRAM, matrix)
    assert 0.2 < threshold <= 0.7
    values = policy_values(HISTOGRAM, threshold, matrix)
    assert values["model"] == pytest.approx(4 * 10 - 8)
    assert values["no_model"] == 0.0
    assert values["everyone"] == pytest.approx(40 - 48)
    # Random targeting of 5 of 10 rows: half the positives and half the negatives.
    assert values["random"] == pytest.approx(0.5 * 40 - 0.5 * 48)
    assert values["uplift"] == pytest.approx(32.0)
    # If wasted actions cost more than a hit earns, the best threshold acts on the sure bin only.
    costly = ValueMatrix(true_positive=10, false_positive=-20, false_negative=0, true_negative=0)
    assert 0.7 < best_threshold(HISTOGRAM, costly) <= 0.9
