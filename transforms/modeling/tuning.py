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
from pyspark.sql import functions as F

from transforms.modeling.candidates import Candidate

LOWER_IS_BETTER = frozenset({"mse", "rmse", "mae", "mape", "log_loss"})
DEFAULT_METRIC = {"regression": "rmse", "classification": "roc_auc"}
_REGRESSION = {"rmse": "rmse", "mse": "mse", "mae": "mae", "r2": "r2"}
_BINARY = {"roc_auc": "areaUnderROC", "pr_auc": "areaUnderPR"}
_MULTICLASS = {"accuracy": "accuracy", "f1": "f1", "log_loss": "logLoss"}
FOLD_COLUMN = "_fold"


def with_folds(rows: DataFrame, key: list[str], folds: int, seed: int) -> DataFrame:
    """Add `FOLD_COLUMN`: a cross-validation fold 0..folds-1 from a hash of the key and seed.

    CrossValidator's own folds come from rand(seed), which numbers rows by their position in
    their partition: the same table written with another layout put other rows in each fold.
    A hash of the key gives every row the same fold whatever the layout.
    """
    return rows.withColumn(FOLD_COLUMN, F.pmod(F.xxhash64(*[F.col(c) for c in key], F.lit(seed)), F.lit(folds)).cast("int"))


def stable_layout(rows: DataFrame, key: list[str], partitions: int) -> DataFrame:
    """The same rows in a layout that depends on the data only: hashed by key, sorted by key.

    Estimators are not invariant to row order: xgboost's row subsampling draws by row index
    and a train/validation split samples within partitions; so the input's partitioning and
    order (which follow how the table happened to be written) must not reach them.
    """
    return rows.repartition(partitions, *key).sortWithinPartitions(*key)


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
    """Search the candidate's grid on `train_rows` only; refit the best point on all of them.

    Cross-validation uses the folds of `FOLD_COLUMN` when `train_rows` has it (see `with_folds`).
    """
    common = dict(estimator=candidate.estimator, estimatorParamMaps=candidate.param_maps,
                  evaluator=evaluator, seed=seed, parallelism=parallelism)
    if method == "cross_validation":
        fold_col = FOLD_COLUMN if FOLD_COLUMN in train_rows.columns else ""
        tuner = CrossValidator(numFolds=folds, foldCol=fold_col, **common)
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
