"""Selectors read slot names and score models with the modelling definitions."""

from __future__ import annotations

import pytest
from pyspark.ml.linalg import Vectors
from pyspark.sql import functions as F

from transforms.modeling.statistics import vector_slot_names
from transforms.selection import feature_names
from transforms.selection._evaluation import METRICS, Performance

# ML attribute metadata naming slots 0 and 2 of a three-slot vector; slot 1 has no name.
PARTLY_NAMED = {"ml_attr": {"num_attrs": 3, "attrs": {"numeric": [{"idx": 0, "name": "a"}, {"idx": 2, "name": "c"}]}}}


def test_selectors_and_models_read_the_same_slot_names(spark) -> None:
    frame = spark.createDataFrame([(Vectors.dense([1.0, 2.0, 3.0]),)], ["features"])
    named = frame.withColumn("features", F.col("features").alias("features", metadata=PARTLY_NAMED))
    assert vector_slot_names(named, "features") == ["a", "slot_1", "c"]
    assert feature_names(named, "features") == ["a", "features_1", "c"]
    # Without metadata the models know no names; the selectors number the slots of the data.
    assert vector_slot_names(frame, "features") == []
    assert feature_names(frame, "features") == ["features_0", "features_1", "features_2"]


@pytest.mark.parametrize(("task", "metric"), [(t, m) for t, names in METRICS.items() for m in names])
def test_selector_metric_is_sparks_with_its_direction(spark, task, metric) -> None:
    performance = Performance(task, "linear", metric, 2, "y", "features", 0)
    evaluator = performance.evaluator()
    assert evaluator.getMetricName() == metric
    assert performance.larger_is_better == evaluator.isLargerBetter()
