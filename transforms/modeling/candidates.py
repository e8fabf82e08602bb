"""Candidate models from config: an estimator (with its target transform) and a parameter grid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.ml import Estimator, Pipeline
from pyspark.ml.param import Param
from pyspark.ml.tuning import ParamGridBuilder

from transforms.modeling.estimators import ModelConfigError, build_estimator
from transforms.modeling.target import InverseLogPrediction
from transforms.params import checked_value, param_named, set_params

FIT_LABEL = "_fit_label"
VALIDATION_COLUMN = "_validation"
LOG_PREDICTION = "log_prediction"
EARLY_STOPPING_ALGORITHMS = ("gbt_regressor", "gbt_classifier", "xgboost_regressor", "xgboost_classifier")


@dataclass(frozen=True)
class Candidate:
    """An estimator to tune: `param_maps` are the grid points (one empty map when no grid)."""

    name: str
    algorithm: str
    estimator: Estimator
    model_stage: Estimator
    param_maps: list[dict[Param, Any]]

    def describe(self, param_map: dict[Param, Any]) -> dict[str, Any]:
        """A grid point by parameter name, for tables and MLflow params."""
        return {param.name: value for param, value in param_map.items()}


def build_candidate(
    name: str,
    algorithm: str,
    task: str,
    params: dict[str, Any],
    grid: dict[str, list[Any]],
    features_col: str,
    label: str,
    target_transform: str = "none",
    early_stopping_rounds: int | None = None,
    workers: int = 1,
) -> Candidate:
    """The estimator of one candidate and its grid.

    With a log target it is a Pipeline (estimator on `FIT_LABEL`, then `InverseLogPrediction`)
    so tuning, test metrics and the registered model all see predictions on the label's scale.
    With `early_stopping_rounds`, boosted trees stop on the rows flagged in `VALIDATION_COLUMN`.
    `workers`: xgboost.spark's `num_workers` where `params` does not set it (see `build_estimator`).
    """
    fit_label = label if target_transform == "none" else FIT_LABEL
    stage = build_estimator(algorithm, task, params, features_col, fit_label, workers)
    if early_stopping_rounds is not None:
        if algorithm not in EARLY_STOPPING_ALGORITHMS:
            raise ModelConfigError(f"{name}: early stopping is for boosted trees, not {algorithm}")
        stopping = {"validationIndicatorCol": VALIDATION_COLUMN}
        if algorithm.startswith("xgboost"):
            stopping["early_stopping_rounds"] = early_stopping_rounds
        set_params(stage, stopping, name, ModelConfigError)
    builder = ParamGridBuilder()
    for param_name, values in grid.items():
        param = param_named(stage, param_name, name, ModelConfigError, what="grid parameter")
        if not values:
            raise ModelConfigError(f"{name}: grid parameter {param_name!r} has no values")
        for value in values:  # a value the Param refuses fails now, not in the middle of tuning
            checked_value(param, value, name, ModelConfigError)
        builder.addGrid(param, values)
    estimator: Estimator = stage
    if target_transform == "log":
        set_params(stage, {"predictionCol": LOG_PREDICTION}, name, ModelConfigError)
        estimator = Pipeline(stages=[stage, InverseLogPrediction(inputCol=LOG_PREDICTION, outputCol="prediction")])
    return Candidate(name, algorithm, estimator, stage, builder.build())
