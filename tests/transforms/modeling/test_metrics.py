from __future__ import annotations

import math

import pytest
from pyspark.ml.evaluation import MulticlassClassificationEvaluator
from pyspark.ml.functions import array_to_vector, vector_to_array
from pyspark.sql import functions as F

from transforms.modeling.metrics import (
    LOG_PREDICTION_FLOOR,
    SPARK_METRICS,
    TEST_METRICS,
    TUNING_METRICS,
    LogErrorEvaluator,
    baseline_metrics,
    baseline_prediction,
    binary_metrics,
    build_evaluator,
    classification_metrics,
    higher_is_better,
    metric_of_spark_name,
    regression_metrics,
)
from transforms.modeling.scores import PROBABILITY, RAW_PREDICTION


def test_regression_metrics_by_hand(spark) -> None:
    scored = spark.createDataFrame([(1.0, 2.0), (3.0, 3.0), (5.0, 4.0)], "y double, prediction double")
    metrics = regression_metrics(scored, "y")
    # errors 1, 0, -1: MSE 2/3, MAE 2/3; variance of y (population) 8/3, so R² = 1 - (2/3)/(8/3)
    assert metrics["mse"] == pytest.approx(2 / 3)
    assert metrics["rmse"] == pytest.approx((2 / 3) ** 0.5)
    assert metrics["mae"] == pytest.approx(2 / 3)
    assert metrics["r2"] == pytest.approx(0.75)


# log(110 / 100) = 0.0953102, log(900 / 1000) = -0.1053605: RMSLE = sqrt((0.0090840 + 0.0111008) / 2).
RMSLE_BY_HAND = ((0.0953102**2 + 0.1053605**2) / 2) ** 0.5  # 0.100461


def test_rmsle_by_hand_in_tuning_and_test_metrics(spark) -> None:
    scored = spark.createDataFrame([(100.0, 110.0), (1000.0, 900.0)], "y double, prediction double")

    evaluator = build_evaluator("regression", "rmsle", "y")

    assert evaluator.evaluate(scored) == pytest.approx(RMSLE_BY_HAND, rel=1e-5)
    assert not evaluator.isLargerBetter() and not higher_is_better("rmsle")
    assert regression_metrics(scored, "y")["rmsle"] == pytest.approx(RMSLE_BY_HAND, rel=1e-5)
    # Dollar RMSE of the same errors (10 and 100) is set by the larger sale alone.
    assert regression_metrics(scored, "y")["rmse"] == pytest.approx((10_100 / 2) ** 0.5)


def test_rmsle_clips_a_non_positive_prediction_to_a_large_finite_error(spark) -> None:
    scored = spark.createDataFrame([(1.0, -5.0), (1.0, 0.0)], "y double, prediction double")

    expected = abs(math.log(LOG_PREDICTION_FLOOR))  # 13.8: both rows clipped to the floor
    assert LogErrorEvaluator(labelCol="y").evaluate(scored) == pytest.approx(expected)
    assert regression_metrics(scored, "y")["rmsle"] == pytest.approx(expected)


@pytest.mark.parametrize("label", [0.0, -3.0, None])
def test_rmsle_fails_on_a_non_positive_label_naming_it_and_test_metrics_report_nan(spark, label) -> None:
    scored = spark.createDataFrame([(100.0, 110.0), (label, 5.0)], "y double, prediction double")

    with pytest.raises(Exception, match=r"rmsle needs labels > 0: y is"):
        build_evaluator("regression", "rmsle", "y").evaluate(scored)
    if label is not None:
        assert math.isnan(regression_metrics(scored, "y")["rmsle"])


def test_rmsle_is_a_regression_metric_only() -> None:
    assert "rmsle" in TUNING_METRICS["regression"] and "rmsle" in TEST_METRICS["regression"]
    with pytest.raises(ValueError, match="cannot tune a classification model on 'rmsle'"):
        build_evaluator("classification", "rmsle", "y")


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


# Eight rows scored by hand: at the 0.5 threshold tp 3, fp 1, fn 1, tn 3.
SCORED = [(1.0, 0.9), (1.0, 0.8), (1.0, 0.6), (1.0, 0.3), (0.0, 0.7), (0.0, 0.4), (0.0, 0.2), (0.0, 0.1)]


@pytest.fixture(scope="module")
def scored(spark):
    frame = spark.createDataFrame(SCORED, "y double, p double")
    margin = F.log(F.col("p") / (1 - F.col("p")))
    return frame.select(
        "y",
        array_to_vector(F.array(1 - F.col("p"), F.col("p"))).alias(PROBABILITY),
        array_to_vector(F.array(-margin, margin)).alias(RAW_PREDICTION),
        (F.col("p") >= 0.5).cast("double").alias("prediction"),
    )


def test_histogram_f1_is_sparks_f1_of_the_positive_class(scored) -> None:
    # Our F1 (from the histogram's confusion counts) against Spark's own at the same cut-off.
    metrics = binary_metrics(scored, "y", threshold=0.5)
    spark_f1 = MulticlassClassificationEvaluator(labelCol="y", metricName="fMeasureByLabel", metricLabel=1.0)
    assert metrics["f1"] == pytest.approx(0.75)
    assert metrics["f1"] == pytest.approx(spark_f1.evaluate(scored))
    assert metrics["accuracy"] == pytest.approx(classification_metrics(scored, "y")["accuracy"])


def test_auc_of_the_probability_is_tunings_auc_of_the_margin(scored) -> None:
    # The test metrics rank by probability, tuning's evaluator by rawPrediction: the same order.
    exact = binary_metrics(scored, "y")
    assert exact["roc_auc"] == pytest.approx(13 / 16)
    assert exact["roc_auc"] == pytest.approx(build_evaluator("classification", "roc_auc", "y").evaluate(scored))
    assert exact["pr_auc"] == pytest.approx(build_evaluator("classification", "pr_auc", "y").evaluate(scored))


@pytest.mark.parametrize(("task", "metric"), [(t, m) for t, names in SPARK_METRICS.items() for m in names])
def test_direction_of_each_metric_is_sparks(task, metric, spark) -> None:
    assert higher_is_better(metric) == build_evaluator(task, metric, "y").isLargerBetter()


def test_selectors_name_metrics_as_spark_does() -> None:
    assert metric_of_spark_name("classification", "areaUnderROC") == "roc_auc"
    assert metric_of_spark_name("regression", "rmse") == "rmse"
    with pytest.raises(ValueError, match="areaUnderROC"):
        metric_of_spark_name("regression", "areaUnderROC")


def test_unknown_metric_is_one_line_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"cannot tune a regression model on 'auc'; known: rmse, mse, mae, r2"):
        build_evaluator("regression", "auc", "y")


def test_f1_is_the_positive_class_in_tuning_too_and_weighted_f1_is_sparks(scored) -> None:
    # At 0.5 tp 3, fp 1, fn 1, tn 3: both classes' F1 is 0.75; skew it with a 0.65 threshold
    # (tp 2, fp 1, fn 2, tn 3): positive F1 4/7, negative F1 2/3, weighted (4·4/7 + 4·2/3) / 8.
    at_half = binary_metrics(scored, "y")
    assert at_half["f1"] == pytest.approx(build_evaluator("classification", "f1", "y").evaluate(scored))
    assert at_half["weighted_f1"] == pytest.approx(
        MulticlassClassificationEvaluator(labelCol="y", metricName="f1").evaluate(scored))
    assert build_evaluator("classification", "weighted_f1", "y").getMetricName() == "f1"
    skewed = binary_metrics(scored, "y", threshold=0.65)
    assert skewed["f1"] == pytest.approx(4 / 7)
    assert skewed["weighted_f1"] == pytest.approx((4 * 4 / 7 + 4 * 2 / 3) / 8)
    positive = vector_to_array(PROBABILITY)[1]
    skewed_prediction = scored.withColumn("prediction", (positive >= 0.65).cast("double"))
    assert build_evaluator("classification", "f1", "y").evaluate(skewed_prediction) == pytest.approx(4 / 7)


def test_test_metrics_are_what_the_gate_gets_and_hold_every_tuning_metric(spark, scored) -> None:
    regression = spark.createDataFrame([(1.0, 2.0), (3.0, 3.0)], "y double, prediction double")
    assert set(regression_metrics(regression, "y")) == set(TEST_METRICS["regression"])
    assert set(binary_metrics(scored, "y")) == set(TEST_METRICS["classification"])
    for task, names in SPARK_METRICS.items():
        assert set(names) <= set(TEST_METRICS[task])
