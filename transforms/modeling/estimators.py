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

# `verbose` is xgboost's `verbose_eval`: True prints one line per boosting round when early
# stopping evaluates; `verbose: true` in a candidate's params asks for them. `num_workers` comes
# from the caller (`workers`): the session's task slots, which only jobs/ can ask Spark for.
XGBOOST_DEFAULTS: dict[str, Any] = {"verbose": False}
# xgboost.spark has no such Params: each worker runs `spark.task.cpus` threads (its `_fit`).
XGBOOST_THREAD_PARAMS = ("nthread", "n_jobs")


class ModelConfigError(ParamConfigError):
    """The configured algorithm or one of its parameters does not exist or does not fit the task."""


def build_estimator(
    algorithm: str, task: str, params: Mapping[str, Any], features_col: str, label_col: str,
    workers: int = 1,
) -> Estimator:
    """An unfitted estimator of `algorithm` for `task`, with `params` set by their Spark names.

    xgboost.spark trains in `num_workers` barrier tasks that must all hold a task slot at once:
    `workers` (the session's task slots) unless `params` sets it. More than the slots waits
    ~10 minutes before failing, so the default 1 is for callers that do not know the slots.
    """
    if algorithm not in ALGORITHMS:
        raise ModelConfigError(f"unknown algorithm {algorithm!r}; known: {', '.join(sorted(ALGORITHMS))}")
    algorithm_task, class_path = ALGORITHMS[algorithm]
    if algorithm_task != task:
        raise ModelConfigError(f"algorithm {algorithm!r} is for {algorithm_task}, the use case is {task}")
    xgboost = algorithm.startswith("xgboost")
    threads = [name for name in XGBOOST_THREAD_PARAMS if xgboost and name in params]
    if threads:
        raise ModelConfigError(f"{algorithm}: parameter {threads[0]!r} is not xgboost.spark's: each worker "
                               "runs spark.task.cpus threads; set that Spark conf instead")
    # xgboost.spark's constructor refuses Spark's camelCase column params and wants its own names.
    columns = {"features_col": features_col, "label_col": label_col} if xgboost else {
        "featuresCol": features_col, "labelCol": label_col}
    module, _, name = class_path.rpartition(".")
    estimator_class: type[Estimator] = getattr(importlib.import_module(module), name)
    defaults = {**XGBOOST_DEFAULTS, "num_workers": workers} if xgboost else {}
    return set_params(estimator_class(**columns), {**defaults, **params}, algorithm, ModelConfigError)
