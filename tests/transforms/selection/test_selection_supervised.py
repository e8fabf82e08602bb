"""Selectors that use the label (or two periods) keep x1, x2, x3 and drop the planted noise."""

from __future__ import annotations

import math

import pytest
from pyspark.ml.feature import VectorAssembler

from tests.selection_fixtures import INFORMATIVE, planted_frame
from transforms.selection import (
    DropHighPSIFeatures,
    RecursiveFeatureAddition,
    RecursiveFeatureElimination,
    SelectByInformationValue,
    SelectByShuffling,
    SelectBySingleFeaturePerformance,
    SelectFromLasso,
    SelectFromTreeImportance,
    SelectionError,
    UnivariateSelector,
)
from transforms.selection.drift import population_stability
from transforms.selection.information_value import information_value

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

CANDIDATES = [*INFORMATIVE, "noise1", "noise2"]


@pytest.fixture(scope="module")
def candidates(spark):
    """Informative columns and pure noise (the unsupervised filters have removed the rest)."""
    frame = planted_frame(spark, rows=1500).drop("features")
    return VectorAssembler(inputCols=CANDIDATES, outputCol="features").transform(frame).cache()


def _assert_keeps_informative(model) -> None:
    assert model.selectedFeatures() == INFORMATIVE
    report = model.report()
    assert [d.feature for d in report] == CANDIDATES
    assert all(d.reason for d in report)
    assert {d.feature for d in report if d.decision == "dropped"} == {"noise1", "noise2"}


@pytest.mark.parametrize(
    ("label", "label_type"), [("y", "continuous"), ("label", "categorical")], ids=["f_regression", "anova"]
)
def test_univariate(candidates, label, label_type) -> None:
    model = UnivariateSelector(labelCol=label, labelType=label_type).fit(candidates)
    _assert_keeps_informative(model)
    assert all(d.statistic == "p_value" and d.threshold == 0.05 for d in model.report())


def test_univariate_chi_squared_on_categorical_features(spark, candidates) -> None:
    binned = candidates.selectExpr(
        "label", "CAST(x1 > 0 AS DOUBLE) AS x1_pos", "CAST(noise1 > 0 AS DOUBLE) AS noise1_pos"
    )
    frame = VectorAssembler(inputCols=["x1_pos", "noise1_pos"], outputCol="features").transform(binned)
    model = UnivariateSelector(labelCol="label", featureType="categorical", labelType="categorical").fit(frame)
    assert model.selectedFeatures() == ["x1_pos"]
    assert "chi-squared" in model.report()[0].reason


def test_lasso_regression_and_logistic(candidates) -> None:
    _assert_keeps_informative(SelectFromLasso(labelCol="y", regParam=0.05).fit(candidates))
    _assert_keeps_informative(SelectFromLasso(labelCol="label", task="classification", regParam=0.02).fit(candidates))


def test_lasso_without_penalty_keeps_noise_too(candidates) -> None:
    model = SelectFromLasso(labelCol="y", regParam=0.0).fit(candidates)
    assert model.selectedFeatures() == CANDIDATES


def test_tree_importance(candidates) -> None:
    _assert_keeps_informative(SelectFromTreeImportance(labelCol="y", numTrees=20).fit(candidates))


def test_single_feature_performance(candidates) -> None:
    model = SelectBySingleFeaturePerformance(labelCol="y", numFolds=2).fit(candidates)
    _assert_keeps_informative(model)
    assert all(d.statistic == "r2" for d in model.report())


def test_single_feature_performance_with_an_error_metric(candidates) -> None:
    model = SelectBySingleFeaturePerformance(labelCol="y", numFolds=2, metric="rmse").fit(candidates)
    _assert_keeps_informative(model)


def test_shuffle_importance(candidates) -> None:
    model = SelectByShuffling(labelCol="y", numFolds=2).fit(candidates)
    _assert_keeps_informative(model)
    drops = {d.feature: d.value for d in model.report()}
    # permuting x1 (weight 3) costs about 2 * 9 / 17.25 of R², x2 and x3 (weight 2) 2 * 4 / 17.25
    assert drops["x1"] == pytest.approx(18 / 17.25, rel=0.15)
    assert drops["x2"] == pytest.approx(8 / 17.25, rel=0.2)
    assert abs(drops["noise1"]) < 0.01


def test_shuffle_importance_classification_with_forest(candidates) -> None:
    model = SelectByShuffling(labelCol="label", task="classification", modelType="random_forest", numFolds=2).fit(candidates)
    _assert_keeps_informative(model)


def test_recursive_elimination_and_addition(candidates) -> None:
    _assert_keeps_informative(RecursiveFeatureElimination(labelCol="y", numFolds=2).fit(candidates))
    _assert_keeps_informative(RecursiveFeatureAddition(labelCol="y", numFolds=2).fit(candidates))


def test_information_value(candidates) -> None:
    model = SelectByInformationValue(labelCol="label").fit(candidates)
    _assert_keeps_informative(model)
    with pytest.raises(SelectionError, match="0/1 label"):
        SelectByInformationValue(labelCol="y").fit(candidates)


def test_information_value_by_hand() -> None:
    # bins: events 30/70, non-events 70/30 -> 2 * (0.4 * ln(7/3)) = 0.8 ln(7/3)
    assert information_value({0: 30, 1: 70}, {0: 70, 1: 30}) == pytest.approx(0.8 * math.log(7 / 3))
    assert information_value({0: 50, 1: 50}, {0: 5, 1: 5}) == pytest.approx(0.0)


def test_drift_drops_the_shifted_feature(candidates) -> None:
    frame = VectorAssembler(inputCols=["x1", "noise1", "shifted"], outputCol="features").transform(
        candidates.drop("features")
    )
    model = DropHighPSIFeatures(referenceCondition="period = 0").fit(frame)
    assert model.selectedFeatures() == ["x1", "noise1"]
    shifted = model.report()[2]
    assert shifted.statistic == "psi" and shifted.value > 1 and "drifts" in shifted.reason
    with pytest.raises(SelectionError, match="referenceCondition"):
        DropHighPSIFeatures().fit(frame)


def test_population_stability_by_hand() -> None:
    # 50/50 -> 20/80: 0.3 ln(0.8/0.5) + (-0.3) ln(0.2/0.5)
    expected = 0.3 * math.log(1.6) - 0.3 * math.log(0.4)
    assert population_stability({0: 50, 1: 50}, {0: 20, 1: 80}) == pytest.approx(expected)


def test_bad_performance_params(candidates) -> None:
    with pytest.raises(SelectionError, match="metric"):
        SelectByShuffling(labelCol="y", metric="auc").fit(candidates)
    with pytest.raises(SelectionError, match="numFolds"):
        RecursiveFeatureAddition(labelCol="y", numFolds=1).fit(candidates)
    with pytest.raises(SelectionError, match="no label column"):
        SelectBySingleFeaturePerformance(labelCol="price").fit(candidates)


def test_lasso_on_columns_drops_the_noise_columns(candidates) -> None:
    columns = candidates.drop("features")
    model = SelectFromLasso(inputCols=CANDIDATES, labelCol="y", regParam=0.05).fit(columns)
    out = model.transform(columns)
    assert [c for c in out.columns if c in CANDIDATES] == INFORMATIVE
    assert "features" not in out.columns
