"""The monitoring table: one row per check of a scoring batch, flagged when it crosses its threshold.

A check is a drift statistic of a feature or of the predictions (PSI, and KS where defined,
`transforms.monitoring.drift`), or the model's metric on the batch's rows whose labels have
arrived (rmse for a regression, accuracy for a classifier).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.modeling.metrics import evaluate
from transforms.monitoring.drift import Drift

MONITORING_SCHEMA = (
    "batch_id string, model_name string, model_version string, kind string, name string, "
    "statistic string, value double, threshold double, breached boolean, monitored_at timestamp"
)
_LABEL = "_label"


@dataclass(frozen=True)
class CheckedBatch:
    """The scoring batch a check is about, the model version that scored it, and when it was checked."""

    batch_id: str
    model_name: str
    model_version: str
    monitored_at: datetime


@dataclass(frozen=True)
class CheckResult:
    """One row of the monitoring table: the columns of MONITORING_SCHEMA, in its order."""

    batch_id: str
    model_name: str
    model_version: str
    kind: str  # feature, prediction or metric
    name: str  # the feature, the prediction column, or labelled_rows=<count>
    statistic: str  # psi, ks, rmse or accuracy
    value: float
    threshold: float | None
    breached: bool
    monitored_at: datetime


@dataclass(frozen=True)
class LabelledMetric:
    """The model's metric on the predictions whose labels have arrived."""

    statistic: str
    value: float
    labelled_rows: int
    lower_is_better: bool


def drift_results(
    batch: CheckedBatch, kind: str, drift: Drift, psi_threshold: float, ks_threshold: float
) -> list[CheckResult]:
    """One result per statistic (PSI, and KS where defined), breached when it exceeds its threshold."""
    statistics = [("psi", drift.psi, psi_threshold)]
    if drift.ks is not None:
        statistics.append(("ks", drift.ks, ks_threshold))
    return [
        CheckResult(batch.batch_id, batch.model_name, batch.model_version, kind, drift.feature, statistic,
                    float(value), threshold, value > threshold, batch.monitored_at)
        for statistic, value, threshold in statistics
    ]


def labelled_metric(
    predictions: DataFrame, labels: DataFrame, key: Sequence[str], task: str, label_column: str
) -> LabelledMetric | None:
    """The metric on the `predictions` whose key has a non-null label in `labels`; None when none has.

    A classifier is judged by its thresholded `predicted_label` when the table holds one.
    """
    if task == "classification" and "predicted_label" in predictions.columns:
        predictions = predictions.drop("prediction").withColumnRenamed("predicted_label", "prediction")
    arrived = labels.select(*key, F.col(label_column).cast("double").alias(_LABEL)).where(F.col(_LABEL).isNotNull())
    labelled = predictions.withColumn("prediction", F.col("prediction").cast("double")).join(arrived, list(key))
    count = labelled.count()
    if count == 0:
        return None
    statistic = "rmse" if task == "regression" else "accuracy"
    value = evaluate(labelled, task, _LABEL)[statistic]
    return LabelledMetric(statistic, float(value), count, lower_is_better=task == "regression")


def metric_result(batch: CheckedBatch, metric: LabelledMetric, limit: float | None) -> CheckResult:
    """The metric as a check, breached when it is on the wrong side of `limit` (never without one)."""
    breached = limit is not None and (metric.value > limit if metric.lower_is_better else metric.value < limit)
    return CheckResult(batch.batch_id, batch.model_name, batch.model_version, "metric",
                       f"labelled_rows={metric.labelled_rows}", metric.statistic, metric.value, limit, breached,
                       batch.monitored_at)
