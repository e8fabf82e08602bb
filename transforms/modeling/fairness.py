"""The main metric per group of each protected attribute (the attribute is not a feature)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.modeling.metrics import build_evaluator

MAX_GROUPS = 50


def metric_by_group(scored: DataFrame, attributes: list[str], task: str, metric: str,
                    label: str) -> list[dict[str, object]]:
    """Rows, metric and mean prediction per value of each attribute in `attributes`.

    A group holding one class only has no ROC-AUC: its metric is None. Attributes with more
    than MAX_GROUPS values are refused (bin them first), as a report of them is unreadable.
    """
    evaluator = build_evaluator(task, metric, label)
    out: list[dict[str, object]] = []
    for attribute in attributes:
        groups = (scored.groupBy(F.col(attribute).cast("string").alias("group"))
                  .agg(F.count(F.lit(1)).alias("rows"), F.avg(label).alias("label_mean"),
                       F.avg("prediction").alias("prediction_mean"),
                       F.countDistinct(label).alias("classes"))
                  .orderBy("group").limit(MAX_GROUPS + 1).collect())
        if len(groups) > MAX_GROUPS:
            raise ValueError(f"protected attribute {attribute!r} has more than {MAX_GROUPS} values")
        for group in groups:
            value = group["group"]
            subset = scored.where(F.col(attribute).cast("string").eqNullSafe(F.lit(value)))
            defined = task == "regression" or group["classes"] == 2
            out.append({"attribute": attribute, "group": value, "rows": group["rows"],
                        "label_mean": group["label_mean"], "prediction_mean": group["prediction_mean"],
                        metric: evaluator.evaluate(subset) if defined else None})
    return out
