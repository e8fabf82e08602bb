"""Spark ML estimators by name, with parameters from config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.ml import Estimator
from pyspark.ml.classification import (
    GBTClassifier,
    LinearSVC,
    LogisticRegression,
    RandomForestClassifier,
)
from pyspark.ml.regression import (
    DecisionTreeRegressor,
    GBTRegressor,
    LinearRegression,
    RandomForestRegressor,
)
from xgboost.spark import SparkXGBClassifier, SparkXGBRegressor

ALGORITHMS: dict[str, tuple[str, type[Estimator]]] = {
    "linear_regression": ("regression", LinearRegression),
    "decision_tree_regressor": ("regression", DecisionTreeRegressor),
    "random_forest_regressor": ("regression", RandomForestRegressor),
    "gbt_regressor": ("regression", GBTRegressor),
    "logistic_regression": ("classification", LogisticRegression),
    "random_forest_classifier": ("classification", RandomForestClassifier),
    "gbt_classifier": ("classification", GBTClassifier),
    "linear_svc": ("classification", LinearSVC),
    "xgboost_regressor": ("regression", SparkXGBRegressor),
    "xgboost_classifier": ("classification", SparkXGBClassifier),
}

# xgboost.spark trains with `num_workers` barrier tasks; more than the free task slots hangs
# for minutes before failing, so one worker unless the config asks for more.
XGBOOST_DEFAULTS: dict[str, Any] = {"num_workers": 1}


class ModelConfigError(ValueError):
    """The configured algorithm or one of its parameters does not exist or does not fit the task."""


def build_estimator(
    algorithm: str, task: str, params: Mapping[str, Any], features_col: str, label_col: str
) -> Estimator:
    """An unfitted estimator of `algorithm` for `task`, with `params` set by their Spark names."""
    if algorithm not in ALGORITHMS:
        raise ModelConfigError(f"unknown algorithm {algorithm!r}; known: {', '.join(sorted(ALGORITHMS))}")
    algorithm_task, cls = ALGORITHMS[algorithm]
    if algorithm_task != task:
        raise ModelConfigError(f"algorithm {algorithm!r} is for {algorithm_task}, the use case is {task}")
    xgboost = algorithm.startswith("xgboost")
    # xgboost.spark's constructor refuses Spark's camelCase column params and wants its own names.
    columns = {"features_col": features_col, "label_col": label_col} if xgboost else {
        "featuresCol": features_col, "labelCol": label_col}
    estimator = cls(**columns)
    defaults = XGBOOST_DEFAULTS if xgboost else {}
    for name, value in {**defaults, **params}.items():
        if not estimator.hasParam(name):
            valid = ", ".join(sorted(p.name for p in estimator.params))
            raise ModelConfigError(f"{algorithm}: unknown parameter {name!r}; valid: {valid}")
        estimator.set(estimator.getParam(name), value)
    return estimator
