"""Selectors refuse a bad parameter value when built, with the selector named; no Spark needed."""

from __future__ import annotations

import inspect

import pytest

from transforms.selection import (
    SELECTORS,
    DropConstantFeatures,
    DropCorrelatedFeatures,
    DropHighPSIFeatures,
    RecursiveFeatureElimination,
    SelectByInformationValue,
    SelectByShuffling,
    SelectFromLasso,
    SelectFromTreeImportance,
    SelectionError,
    SelectionStep,
    SmartCorrelatedSelection,
    UnivariateSelector,
)
from transforms.selection.pipeline import build_selector


@pytest.mark.parametrize(
    ("selector", "params", "message"),
    [
        (DropConstantFeatures, {"tol": 0.0}, r"tol must be in \(0, 1\], got 0.0"),
        (DropCorrelatedFeatures, {"threshold": 1.0}, r"threshold must be in \(0, 1\), got 1.0"),
        (SmartCorrelatedSelection, {"selectionMethod": "foo"}, "selectionMethod must be one of 'variance'"),
        (SmartCorrelatedSelection, {"task": "ranking"}, "task must be one of 'classification', 'regression'"),
        (SelectByShuffling, {"modelType": "xgboost"}, "modelType must be one of 'linear', 'random_forest'"),
        (RecursiveFeatureElimination, {"numFolds": 1}, "numFolds must be at least 2, got 1"),
        (RecursiveFeatureElimination, {"threshold": -0.1}, "threshold must be at least 0"),
        (SelectFromTreeImportance, {"threshold": -1.0}, "threshold must be at least 0"),
        (SelectFromLasso, {"task": "clustering"}, "task must be one of"),
        (UnivariateSelector, {"featureType": "ordinal"}, "featureType must be one of 'continuous', 'categorical'"),
        (UnivariateSelector, {"labelType": "binary"}, "labelType must be one of"),
        (UnivariateSelector, {"selectionMode": "foo"}, "selectionMode must be one of 'numTopFeatures'"),
        (DropHighPSIFeatures, {"bins": 1}, "bins must be at least 2, got 1"),
        (SelectByInformationValue, {"bins": 0}, "bins must be at least 2, got 0"),
    ],
)
def test_a_refused_value_fails_at_construction(selector, params, message) -> None:
    with pytest.raises(SelectionError, match=f"{selector.__name__}: {message}"):
        selector(**params)


def test_build_selector_names_the_selector_for_a_refused_value_or_name() -> None:
    with pytest.raises(SelectionError, match="selector 'univariate': selectionMode must be one of"):
        build_selector(SelectionStep("univariate", {"selectionMode": "foo"}), "features", "y", "regression")
    with pytest.raises(SelectionError, match=r"selector 'constant': unknown parameter 'tolerance'; valid: .*tol"):
        build_selector(SelectionStep("constant", {"tolerance": 0.9}), "features", "y", "regression")
    # The use case's task reaches the selectors that have one: a task they refuse fails too.
    with pytest.raises(SelectionError, match="selector 'lasso': task must be one of"):
        build_selector(SelectionStep("lasso"), "features", "y", "forecasting")


def test_unset_optional_threshold_stays_unset() -> None:
    selector = SelectFromTreeImportance(threshold=None, numTrees=5)
    assert not selector.isDefined(selector.threshold) and selector.getOrDefault(selector.numTrees) == 5


def test_every_selector_constructor_takes_exactly_its_params() -> None:
    for selector in SELECTORS.values():
        arguments = set(inspect.signature(selector.__init__).parameters) - {"self"}
        assert arguments == {p.name for p in selector().params}, selector.__name__
