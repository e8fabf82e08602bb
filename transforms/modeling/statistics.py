"""Test statistics of a scored frame by task, and what a fitted model says about its features."""

from __future__ import annotations

from typing import Any

from pyspark.ml import Model
from pyspark.sql import DataFrame

from transforms.modeling.metrics import binary_metrics, regression_metrics

# What a slot without a name in the vector's metadata is called: the prefix of its index.
UNNAMED_SLOT = "slot_"


def test_metrics(scored: DataFrame, task: str, label: str, threshold: float = 0.5) -> dict[str, float]:
    """The metrics the gate compares: regression errors, or ranking + threshold metrics."""
    if task == "regression":
        return regression_metrics(scored, label)
    return binary_metrics(scored, label, threshold)


def vector_slot_names(df: DataFrame, column: str, unnamed: str = UNNAMED_SLOT) -> list[str]:
    """Names of the slots of an assembled vector column, from its ML attribute metadata
    (VectorAssembler and VectorSlicer write it); a slot without a name is `unnamed` + its index.
    A vector without metadata has no names here (an empty list): its size is in the data only."""
    attrs = df.schema[column].metadata.get("ml_attr", {})
    slots = {attr["idx"]: attr.get("name") for group in attrs.get("attrs", {}).values() for attr in group}
    size = attrs.get("num_attrs", max(slots, default=-1) + 1)
    return [slots.get(i) or f"{unnamed}{i}" for i in range(size)]


def feature_importance(stage: Model, names: list[str]) -> list[tuple[str, float]]:
    """Importance per feature of a fitted estimator, largest first: tree importances,
    |coefficients|, or xgboost gain."""
    values: list[float]
    if hasattr(stage, "featureImportances"):
        values = list(stage.featureImportances.toArray())
    elif hasattr(stage, "coefficients"):
        values = [abs(v) for v in stage.coefficients.toArray()]
    elif hasattr(stage, "get_feature_importances"):
        gains: dict[str, Any] = stage.get_feature_importances(importance_type="gain")
        values = [float(gains.get(f"f{i}", 0.0)) for i in range(len(names))]
    else:
        return []
    named = [(names[i] if i < len(names) else f"{UNNAMED_SLOT}{i}", float(v)) for i, v in enumerate(values)]
    return sorted(named, key=lambda item: -item[1])
