"""Building the use case's stages at config load, before (and without) a JVM."""

from __future__ import annotations

import os

from pyspark.ml.feature import Imputer

from jobs.common.config_pipeline import without_jvm


def test_without_jvm_builds_spark_stages_as_params_and_restores_the_environment() -> None:
    with without_jvm():
        imputer = Imputer(inputCols=["a"], outputCols=["a"], strategy="median")
    assert "SPARK_CONNECT_MODE_ENABLED" not in os.environ
    assert isinstance(imputer._java_obj, str)  # a class name, not a JVM object
    assert imputer.getStrategy() == "median"
