"""Tuning: k-fold cross-validation or a train/validation split over a candidate's grid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.ml import Model
from pyspark.ml.evaluation import (
    BinaryClassificationEvaluator,
    Evaluator,
    MulticlassClassificationEvaluator,
    RegressionEvaluator,
)
from pyspark.ml.tuning import CrossValidator, CrossValidatorModel, TrainValidationSplit
from pyspark.sql import DataFrame

from transforms.modeling.candidates import Candidate

LOWER_IS_BETTER = frozenset({"mse", "rmse", "mae", "mape", "log_loss"})
DEFAULT_METRIC = {"regression": "rmse", "classification": "roc_auc"}
_REGRESSION = {"rmse": "rmse", "mse": "mse", "mae": "mae", "r2": "r2"}
_BINARY = {"roc_auc": "areaUnderROC", "pr_auc": "areaUnderPR"}
_MULTICLASS = {"accuracy": "accuracy", "f1": "f1", "log_loss": "logLoss"}


def higher_is_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def build_evaluator(task: str, metric: str, label: str) -> Evaluator:
    """Spark's evaluator of `metric` (our names, as in the metrics tables) on the label's scale."""
    if task == "regression" and metric in _REGRESSION:
        return RegressionEvaluator(labelCol=label, predictionCol="prediction", metricName=_REGRESSION[metric])
    if task == "classification" and metric in _BINARY:
        return BinaryClassificationEvaluator(labelCol=label, rawPredictionCol="rawPrediction",
                                             metricName=_BINARY[metric])
    if task == "classification" and metric in _MULTICLASS:
        return MulticlassClassificationEvaluator(labelCol=label, metricName=_MULTICLASS[metric])
    known = _REGRESSION if task == "regression" else {**_BINARY, **_MULTICLASS}
    raise ValueError(f"cannot tune a {task} model on {metric!r}; known: {', '.join(known)}")


@dataclass(frozen=True)
class TuningResult:
    """The refitted best model of one candidate and every grid point's validation scores."""

    candidate: Candidate
    model: Model
    best_params: dict[str, Any]
    rows: list[dict[str, Any]]  # {"params", "mean", "std"} per grid point
    best_mean: float
    best_std: float


def tune(
    candidate: Candidate,
    train_rows: DataFrame,
    evaluator: Evaluator,
    method: str,
    folds: int,
    train_ratio: float,
    seed: int,
    parallelism: int,
) -> TuningResult:
    """Search the candidate's grid on `train_rows` only; refit the best point on all of them."""
    common = dict(estimator=candidate.estimator, estimatorParamMaps=candidate.param_maps,
                  evaluator=evaluator, seed=seed, parallelism=parallelism)
    if method == "cross_validation":
        tuner = CrossValidator(numFolds=folds, **common)
    elif method == "train_validation_split":
        tuner = TrainValidationSplit(trainRatio=train_ratio, **common)
    else:
        raise ValueError(f"unknown tuning method {method!r}")
    fitted = tuner.fit(train_rows)
    if isinstance(fitted, CrossValidatorModel):
        means, stds = list(fitted.avgMetrics), list(fitted.stdMetrics)
    else:
        means = list(fitted.validationMetrics)
        stds = [0.0] * len(means)
    rows = [{"params": candidate.describe(pm), "mean": m, "std": s}
            for pm, m, s in zip(candidate.param_maps, means, stds, strict=True)]
    pick = max if evaluator.isLargerBetter() else min
    best = pick(range(len(means)), key=lambda i: means[i])
    return TuningResult(candidate, fitted.bestModel, rows[best]["params"], rows, means[best], stds[best])


def fit_untuned(candidate: Candidate, train_rows: DataFrame) -> TuningResult:
    """A candidate with nothing to choose (one grid point): fit it once, no folds."""
    model = candidate.estimator.fit(train_rows)
    return TuningResult(candidate, model, {}, [{"params": {}, "mean": float("nan"), "std": float("nan")}],
                        float("nan"), float("nan"))
