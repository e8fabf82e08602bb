from __future__ import annotations

import pytest

from transforms.modeling.metrics import baseline_metrics, baseline_prediction, regression_metrics


def test_regression_metrics_by_hand(spark) -> None:
    scored = spark.createDataFrame([(1.0, 2.0), (3.0, 3.0), (5.0, 4.0)], "y double, prediction double")
    metrics = regression_metrics(scored, "y")
    # errors 1, 0, -1: MSE 2/3, MAE 2/3; variance of y (population) 8/3, so R² = 1 - (2/3)/(8/3)
    assert metrics["mse"] == pytest.approx(2 / 3)
    assert metrics["rmse"] == pytest.approx((2 / 3) ** 0.5)
    assert metrics["mae"] == pytest.approx(2 / 3)
    assert metrics["r2"] == pytest.approx(0.75)


def test_regression_metrics_refuse_empty_frames(spark) -> None:
    empty = spark.createDataFrame([], "y double, prediction double")
    with pytest.raises(ValueError, match="empty"):
        regression_metrics(empty, "y")


def test_baselines_are_mean_and_majority(spark) -> None:
    train = spark.createDataFrame([(1.0,), (2.0,), (6.0,)], "y double")
    assert baseline_prediction(train, "regression", "y") == pytest.approx(3.0)
    labels = spark.createDataFrame([(0.0,), (1.0,), (1.0,)], "y double")
    assert baseline_prediction(labels, "classification", "y") == 1.0


def test_classification_baseline_has_chance_auc(spark) -> None:
    train = spark.createDataFrame([(0.0,), (1.0,), (1.0,)], "y double")
    test = spark.createDataFrame([(0.0,), (1.0,), (1.0,), (0.0,)], "y double")
    metrics = baseline_metrics(train, test, "classification", "y")
    assert metrics["accuracy"] == pytest.approx(0.5)
    assert metrics["roc_auc"] == pytest.approx(0.5)
