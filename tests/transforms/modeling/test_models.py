from __future__ import annotations

import pytest
from pyspark.ml.regression import RandomForestRegressor

from transforms.modeling.estimators import ModelConfigError, build_estimator


def test_builds_estimator_with_params() -> None:
    estimator = build_estimator("random_forest_regressor", "regression", {"numTrees": 7}, "f", "y")
    assert isinstance(estimator, RandomForestRegressor)
    assert estimator.getNumTrees() == 7
    assert estimator.getFeaturesCol() == "f" and estimator.getLabelCol() == "y"


@pytest.mark.parametrize(
    ("algorithm", "task", "params", "message"),
    [
        ("deep_magic", "regression", {}, "unknown algorithm 'deep_magic'"),
        ("logistic_regression", "regression", {}, "is for classification"),
        ("linear_regression", "regression", {"numTrees": 3}, "unknown parameter 'numTrees'"),
        ("linear_regression", "regression", {"maxIter": "lots"}, "linear_regression: parameter 'maxIter'"),
    ],
)
def test_config_errors_are_clear(algorithm: str, task: str, params: dict, message: str) -> None:
    with pytest.raises(ModelConfigError, match=message):
        build_estimator(algorithm, task, params, "features", "label")
