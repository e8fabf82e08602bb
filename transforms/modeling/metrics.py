"""Model statistics on a scored frame, and the trivial baselines a model must beat."""

from __future__ import annotations

from pyspark.ml.evaluation import BinaryClassificationEvaluator, MulticlassClassificationEvaluator
from pyspark.ml.functions import array_to_vector
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.modeling.classification import (
    confusion,
    exact_metrics,
    score_histogram,
    threshold_metrics,
)

PREDICTION = "prediction"


def regression_metrics(scored: DataFrame, label: str, prediction: str = PREDICTION) -> dict[str, float]:
    """MSE, RMSE, MAE, R² and MAPE (rows whose label is 0 left out) in one pass over `scored`."""
    error = F.col(prediction) - F.col(label)
    row = scored.agg(
        F.avg(error * error).alias("mse"),
        F.avg(F.abs(error)).alias("mae"),
        F.avg(F.abs(error) / F.nullif(F.abs(F.col(label)), F.lit(0))).alias("mape"),
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
    }


def classification_metrics(scored: DataFrame, label: str) -> dict[str, float]:
    """Accuracy, F1 and (for two classes) ROC-AUC from Spark's evaluators."""
    metrics = {
        name: MulticlassClassificationEvaluator(labelCol=label, metricName=name).evaluate(scored)
        for name in ("accuracy", "f1")
    }
    if "rawPrediction" in scored.columns:
        metrics["roc_auc"] = BinaryClassificationEvaluator(
            labelCol=label, rawPredictionCol="rawPrediction", metricName="areaUnderROC"
        ).evaluate(scored)
    return metrics


def evaluate(scored: DataFrame, task: str, label: str) -> dict[str, float]:
    if task == "regression":
        return regression_metrics(scored, label)
    return classification_metrics(scored, label)


def binary_metrics(scored: DataFrame, label: str, threshold: float = 0.5) -> dict[str, float]:
    """A binary classifier's ranking metrics (ROC-AUC, PR-AUC, log loss) and, at `threshold`,
    accuracy, precision, recall and F1 of the positive class: the definitions every model,
    baseline and gate figure uses."""
    counts = confusion(score_histogram(scored, label), threshold)
    return {**exact_metrics(scored, label), **threshold_metrics(counts)}


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
    scored = test.withColumn("probability", array_to_vector(F.array(F.lit(1.0 - rate), F.lit(rate))))
    return binary_metrics(scored, label)
