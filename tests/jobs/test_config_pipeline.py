"""Building the use case's stages at config load, before (and without) a JVM."""

from __future__ import annotations

import os

from pyspark.ml.feature import Imputer

from jobs.common import config_pipeline, model_setup
from jobs.common.config import load_settings
from jobs.common.config_pipeline import configured_candidate, pipeline_problems, without_jvm


def test_without_jvm_builds_spark_stages_as_params_and_restores_the_environment() -> None:
    with without_jvm():
        imputer = Imputer(inputCols=["a"], outputCols=["a"], strategy="median")
    assert "SPARK_CONNECT_MODE_ENABLED" not in os.environ
    assert isinstance(imputer._java_obj, str)  # a class name, not a JVM object
    assert imputer.getStrategy() == "median"


def test_train_builds_its_candidates_with_the_load_time_builder(monkeypatch) -> None:
    # One way to build a candidate from settings: what load_settings checked is what train fits.
    settings = load_settings("titanic")
    built: list[tuple[str, str]] = []

    def spy(owner):
        def build(settings, candidate, workers=1):
            built.append((owner, candidate.label))
            return configured_candidate(settings, candidate, workers)
        return build

    monkeypatch.setattr(config_pipeline, "configured_candidate", spy("load"))
    monkeypatch.setattr(model_setup, "configured_candidate", spy("train"))
    assert pipeline_problems(settings) == []
    with without_jvm():  # train builds them with a JVM; the builder is the point here
        candidates = model_setup.build_candidates(settings, 2)
    names = [c.label for c in settings.model.candidate_list()]
    assert built == [("load", n) for n in names] + [("train", n) for n in names]
    assert [c.name for c in candidates] == names
