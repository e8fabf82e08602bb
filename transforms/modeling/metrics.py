"""Every model metric, defined once: its name per task, which way is better, how it is computed.

Regression metrics come from one aggregation of the errors. A binary classifier's ranking
metrics (ROC-AUC, PR-AUC) and log loss are computed over every row; its threshold metrics
(accuracy, precision, recall and F1 of the positive class, F1 weighted over both classes) from
the confusion counts of its score histogram. Tuning, fairness and the selectors score with Spark's evaluators, named here.
"""

from __future__ import annotations

from pyspark.ml.evaluation import (
    BinaryClassificationEvaluator,
    Evaluator,
    JavaEvaluator,
    MulticlassClassificationEvaluator,
    RegressionEvaluator,
)
from pyspark.ml.functions import array_to_vector
from pyspark.ml.param.shared import HasLabelCol, HasPredictionCol
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.modeling.scores import (
    PREDICTION,
    PROBABILITY,
    RAW_PREDICTION,
    SCORE,
    confusion,
    positive_probability,
    score_histogram,
)

# Metrics of which the smaller value is the better model; every other metric is better larger.
LOWER_IS_BETTER = frozenset({"mse", "rmse", "rmsle", "mae", "mape", "log_loss"})
DEFAULT_METRIC = {"regression": "rmse", "classification": "roc_auc"}
# The metrics Spark's evaluators compute, by our name (as in the metrics tables): the evaluator
# and Spark's name. Spark's accuracy and F1 read the model's `prediction`. Our `f1` is the F1 of
# the positive class everywhere: in tuning (Spark's fMeasureByLabel of label 1), in the test
# metrics, the gate and the threshold (`threshold_metrics`). Spark's own "f1", the mean over both
# classes weighted by their rows, is `weighted_f1` (before 2026-11-29, tuning's `f1` was that).
SPARK_METRICS: dict[str, dict[str, tuple[type[JavaEvaluator], str]]] = {
    "regression": {name: (RegressionEvaluator, name) for name in ("rmse", "mse", "mae", "r2")},
    "classification": {
        "roc_auc": (BinaryClassificationEvaluator, "areaUnderROC"),
        "pr_auc": (BinaryClassificationEvaluator, "areaUnderPR"),
        "accuracy": (MulticlassClassificationEvaluator, "accuracy"),
        "f1": (MulticlassClassificationEvaluator, "fMeasureByLabel"),
        "weighted_f1": (MulticlassClassificationEvaluator, "f1"),
        "log_loss": (MulticlassClassificationEvaluator, "logLoss"),
    },
}
# The metrics tuning (`train.metric`) can compare candidates on: Spark's, and the root mean squared
# log error, ours (`LogErrorEvaluator`): a model fitted on log(label) minimises log errors, so it
# is compared on them rather than on dollar errors, which one or two extreme rows dominate.
TUNING_METRICS: dict[str, tuple[str, ...]] = {
    "regression": (*SPARK_METRICS["regression"], "rmsle"),
    "classification": tuple(SPARK_METRICS["classification"]),
}
# Spark's per-class metrics (fMeasureByLabel, ...) are taken of this class: the positive one.
POSITIVE_CLASS = 1.0
# The metrics a model is assessed, gated and thresholded on (`test_metrics`: `regression_metrics`,
# `binary_metrics`): every name tuning knows, and a few no evaluator computes.
TEST_METRICS: dict[str, tuple[str, ...]] = {
    "regression": ("mse", "rmse", "mae", "r2", "mape", "rmsle"),
    "classification": ("roc_auc", "pr_auc", "log_loss", "accuracy", "precision", "recall", "f1", "weighted_f1"),
}
# Log loss clips probabilities to [EPSILON, 1 - EPSILON]: a confident miss costs a lot, not infinity.
EPSILON = 1e-15
# RMSLE clips predictions up to this: a model that predicts a price <= 0 gets a large, finite log
# error (log(1e-6) is -13.8), so it loses the comparison; an infinite or NaN mean would not
# (numpy's argmin picks a NaN), and failing would stop a whole tuning run for one grid point.
LOG_PREDICTION_FLOOR = 1e-6


def higher_is_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def squared_log_error(label: str, prediction: str) -> Column:
    """(log(prediction) - log(label))², the prediction clipped up to `LOG_PREDICTION_FLOOR`; null
    where the label is <= 0 (log has no value there: callers refuse or report such rows)."""
    error = F.log(F.greatest(F.col(prediction), F.lit(LOG_PREDICTION_FLOOR))) - F.log(F.col(label))
    return F.when(F.col(label) > 0, error * error)


class LogErrorEvaluator(Evaluator, HasLabelCol, HasPredictionCol):
    """Root mean squared log error, sqrt(mean((log(prediction) - log(label))²)): the error on the
    scale a log-target model is fitted on. Labels must be positive; one that is not fails the
    evaluation with a line naming the label column and value."""

    def __init__(self, labelCol: str = "label", predictionCol: str = PREDICTION) -> None:
        super().__init__()
        self._set(labelCol=labelCol, predictionCol=predictionCol)

    def _evaluate(self, dataset: DataFrame) -> float:
        label, prediction = self.getLabelCol(), self.getPredictionCol()
        checked = F.when(F.col(label) > 0, squared_log_error(label, prediction)).otherwise(F.raise_error(
            F.concat(F.lit(f"rmsle needs labels > 0: {label} is "), F.coalesce(F.col(label).cast("string"),
                                                                               F.lit("null")))))
        mean = dataset.agg(F.avg(checked)).first()[0]
        if mean is None:
            raise ValueError("cannot evaluate rmsle on an empty frame")
        return float(mean) ** 0.5

    def isLargerBetter(self) -> bool:
        return False


def build_evaluator(task: str, metric: str, label: str) -> Evaluator:
    """The evaluator of `metric` (our names, as in the metrics tables) on the label's scale:
    Spark's, or `LogErrorEvaluator` for rmsle."""
    known = TUNING_METRICS.get(task, ())
    if metric not in known:
        raise ValueError(f"cannot tune a {task} model on {metric!r}; known: {', '.join(known)}")
    if metric == "rmsle":
        return LogErrorEvaluator(labelCol=label)
    evaluator, spark_name = SPARK_METRICS[task][metric]
    by_class = {"metricLabel": POSITIVE_CLASS} if spark_name.endswith("ByLabel") else {}
    return evaluator(labelCol=label, metricName=spark_name, **by_class)


def metric_of_spark_name(task: str, spark_name: str) -> str:
    """Our name of the metric that Spark's evaluators call `spark_name` (areaUnderROC: roc_auc)."""
    for name, (_, spark) in SPARK_METRICS.get(task, {}).items():
        if spark == spark_name:
            return name
    raise ValueError(f"no {task} metric is called {spark_name!r} by Spark's evaluators")


def regression_metrics(scored: DataFrame, label: str, prediction: str = PREDICTION) -> dict[str, float]:
    """MSE, RMSE, MAE, R², MAPE (rows whose label is 0 left out) and RMSLE (NaN when a label is
    <= 0: it has no log) in one pass over `scored`."""
    error = F.col(prediction) - F.col(label)
    row = scored.agg(
        F.avg(error * error).alias("mse"),
        F.avg(F.abs(error)).alias("mae"),
        F.avg(F.abs(error) / F.nullif(F.abs(F.col(label)), F.lit(0))).alias("mape"),
        F.avg(squared_log_error(label, prediction)).alias("msle"),
        F.min(label).alias("lowest"),
        F.var_pop(label).alias("variance"),
        F.count(F.lit(1)).alias("rows"),
    ).first()
    if not row["rows"]:
        raise ValueError("cannot evaluate a model on an empty frame")
    mse = float(row["mse"])
    variance = float(row["variance"] or 0.0)
    return {
        "mse": mse,
        "rmse": mse**0.5,
        "mae": float(row["mae"]),
        "r2": 1.0 - mse / variance if variance > 0 else 0.0,
        "mape": float(row["mape"]) if row["mape"] is not None else float("nan"),
        "rmsle": float(row["msle"]) ** 0.5 if row["lowest"] is not None and row["lowest"] > 0 else float("nan"),
    }


def threshold_metrics(counts: dict[str, int]) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of the positive class, and F1 of both classes weighted
    by their rows (Spark's "f1"), from confusion counts."""
    tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
    precision, recall, f1 = _class_scores(tp, fp, fn)
    negative_f1 = _class_scores(tn, fn, fp)[2]
    rows = max(tp + fp + fn + tn, 1)
    return {"accuracy": (tp + tn) / rows, "precision": precision, "recall": recall, "f1": f1,
            "weighted_f1": ((tp + fn) * f1 + (tn + fp) * negative_f1) / rows}


def _class_scores(hits: int, false_alarms: int, misses: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of one class, from its hits, false alarms and misses."""
    precision = hits / (hits + false_alarms) if hits + false_alarms else 0.0
    recall = hits / (hits + misses) if hits + misses else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def exact_metrics(scored: DataFrame, label: str) -> dict[str, float]:
    """ROC-AUC, PR-AUC and log loss of the positive-class probability over every row."""
    with_score = scored.select(F.col(label).cast("double").alias(label), positive_probability(scored).alias(SCORE))
    auc = {
        name: BinaryClassificationEvaluator(labelCol=label, rawPredictionCol=SCORE,
                                            metricName=SPARK_METRICS["classification"][name][1]).evaluate(with_score)
        for name in ("roc_auc", "pr_auc")
    }
    p = F.least(F.greatest(F.col(SCORE), F.lit(EPSILON)), F.lit(1 - EPSILON))
    loss = with_score.agg(F.avg(-(F.col(label) * F.log(p) + (1 - F.col(label)) * F.log(1 - p)))).first()[0]
    return {**auc, "log_loss": float(loss)}


def binary_metrics(scored: DataFrame, label: str, threshold: float = 0.5) -> dict[str, float]:
    """A binary classifier's ranking metrics (ROC-AUC, PR-AUC, log loss) and, at `threshold`,
    accuracy, precision, recall and F1 of the positive class: the definitions every model,
    baseline and gate figure uses."""
    counts = confusion(score_histogram(scored, label), threshold)
    return {**exact_metrics(scored, label), **threshold_metrics(counts)}


def classification_metrics(scored: DataFrame, label: str) -> dict[str, float]:
    """Spark's accuracy and F1 of the `prediction` column and (with `rawPrediction`) ROC-AUC."""
    names = ["accuracy", "f1", *(["roc_auc"] if RAW_PREDICTION in scored.columns else [])]
    return {name: build_evaluator("classification", name, label).evaluate(scored) for name in names}


def evaluate(scored: DataFrame, task: str, label: str) -> dict[str, float]:
    if task == "regression":
        return regression_metrics(scored, label)
    return classification_metrics(scored, label)


def baseline_prediction(train: DataFrame, task: str, label: str) -> float:
    """The best constant guess learnt from training data: the mean, or the majority class."""
    if task == "regression":
        return float(train.agg(F.avg(label)).first()[0])
    return float(train.groupBy(label).count().orderBy(F.desc("count"), label).first()[label])


def baseline_metrics(train: DataFrame, test: DataFrame, task: str, label: str) -> dict[str, float]:
    """Metrics of the constant baseline on `test`, defined as the model's are (`binary_metrics`).

    A classifier's baseline scores every row with the training positive rate: it calls the
    majority class at the 0.5 threshold and ranks no row above another (ROC-AUC 0.5).
    """
    if task == "regression":
        constant = baseline_prediction(train, task, label)
        return regression_metrics(test.withColumn(PREDICTION, F.lit(constant).cast("double")), label)
    rate = float(train.agg(F.avg(F.col(label).cast("double"))).first()[0])
    scored = test.withColumn(PROBABILITY, array_to_vector(F.array(F.lit(1.0 - rate), F.lit(rate))))
    return binary_metrics(scored, label)
