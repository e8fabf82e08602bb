"""Spark ML estimators by name, with parameters from config."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from pyspark.ml import Estimator

from transforms.params import ParamConfigError, set_params

# name -> (task, class). By path: xgboost (and the scikit-learn it loads) is imported only for a
# use case that configures it, not by every job that loads a configuration.
ALGORITHMS: dict[str, tuple[str, str]] = {
    "linear_regression": ("regression", "pyspark.ml.regression.LinearRegression"),
    "decision_tree_regressor": ("regression", "pyspark.ml.regression.DecisionTreeRegressor"),
    "random_forest_regressor": ("regression", "pyspark.ml.regression.RandomForestRegressor"),
    "gbt_regressor": ("regression", "pyspark.ml.regression.GBTRegressor"),
    "logistic_regression": ("classification", "pyspark.ml.classification.LogisticRegression"),
    "random_forest_classifier": ("classification", "pyspark.ml.classification.RandomForestClassifier"),
    "gbt_classifier": ("classification", "pyspark.ml.classification.GBTClassifier"),
    "linear_svc": ("classification", "pyspark.ml.classification.LinearSVC"),
    "xgboost_regressor": ("regression", "xgboost.spark.SparkXGBRegressor"),
    "xgboost_classifier": ("classification", "xgboost.spark.SparkXGBClassifier"),
}

# xgboost.spark trains with `num_workers` barrier tasks; more than the free task slots hangs
# for minutes before failing, so one worker unless the config asks for more. `verbose` is
# xgboost's `verbose_eval`: True prints one line per boosting round when early stopping
# evaluates; `verbose: true` in a candidate's params asks for them.
XGBOOST_DEFAULTS: dict[str, Any] = {"num_workers": 1, "verbose": False}


class ModelConfigError(ParamConfigError):
    """The configured algorithm or one of its parameters does not exist or does not fit the task."""


def build_estimator(
    algorithm: str, task: str, params: Mapping[str, Any], features_col: str, label_col: str
) -> Estimator:
    """An unfitted estimator of `algorithm` for `task`, with `params` set by their Spark names."""
    if algorithm not in ALGORITHMS:
        raise ModelConfigError(f"unknown algorithm {algorithm!r}; known: {', '.join(sorted(ALGORITHMS))}")
    algorithm_task, class_path = ALGORITHMS[algorithm]
    if algorithm_task != task:
        raise ModelConfigError(f"algorithm {algorithm!r} is for {algorithm_task}, the use case is {task}")
    xgboost = algorithm.startswith("xgboost")
    # xgboost.spark's constructor refuses Spark's camelCase column params and wants its own names.
    columns = {"features_col": features_col, "label_col": label_col} if xgboost else {
        "featuresCol": features_col, "labelCol": label_col}
    module, _, name = class_path.rpartition(".")
    estimator_class: type[Estimator] = getattr(importlib.import_module(module), name)
    defaults = XGBOOST_DEFAULTS if xgboost else {}
    return set_params(estimator_class(**columns), {**defaults, **params}, algorithm, ModelConfigError)
