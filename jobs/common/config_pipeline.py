"""The use case's model pipeline built once from its configuration, without data and without Spark.

Feature steps, selectors and candidates (with their grids) are constructed as they will be in
training, so an unknown stage parameter or a value its Param refuses stops ``load_settings``
instead of failing minutes into ``Pipeline.fit``. Spark's own JVM-backed stages are built as a
Spark Connect client builds them (:func:`without_jvm`): their names and types
are checked here, the values only Spark's JVM knows (e.g. ``Imputer``'s strategies) at fit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from transforms.features.pipeline import FEATURES_COLUMN, FeatureConfigError, Step, build_steps
from transforms.modeling.candidates import Candidate, build_candidate
from transforms.modeling.metrics import TEST_METRICS, TUNING_METRICS
from transforms.params import ParamConfigError
from transforms.selection import SelectionStep
from transforms.selection.pipeline import build_selector

if TYPE_CHECKING:
    from jobs.common.config import CandidateSettings, Settings

# Builders read config values of any shape: a malformed one (a list where a mapping belongs)
# surfaces as one of these, and is reported like a refused parameter.
_BUILD_ERRORS = (ParamConfigError, TypeError, ValueError, AttributeError)


@contextmanager
def without_jvm() -> Iterator[None]:
    """Build Spark's JVM-backed stages (Imputer, StringIndexer, LinearRegression…) without a JVM.

    A Spark Connect client constructs them as plain Params (the server gets them at ``fit``);
    pyspark takes that path while ``SPARK_CONNECT_MODE_ENABLED`` is set. Only for checking
    parameters before any Spark starts: stages built here cannot be fitted by a classic
    session. Not thread-safe: the variable is process-wide while the block runs.
    """
    if "SPARK_CONNECT_MODE_ENABLED" in os.environ:
        yield
        return
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    try:
        yield
    finally:
        del os.environ["SPARK_CONNECT_MODE_ENABLED"]


@dataclass(frozen=True)
class PipelineProblem:
    """What refused to build, at which configuration key."""

    key: tuple[str, ...]
    message: str


def pipeline_problems(settings: Settings) -> list[PipelineProblem]:
    """Every feature step, selector and candidate that cannot be built from `settings`, and every
    metric they would be tuned, gated or thresholded on that no evaluator knows."""
    with without_jvm():
        return [*_feature_problems(settings), *_selection_problems(settings), *_candidate_problems(settings),
                *_metric_problems(settings), *_outlier_problems(settings)]


def _step_columns(settings: Settings) -> list[str]:
    """Stand-ins for the input table's columns, unknown until it is read: every name a step uses.

    So this check is about stages and parameters; a column missing from the table still
    fails when the job reads it.
    """
    names = {settings.use_case.label}
    for step in settings.features.steps:
        names.update(step.columns)
        if isinstance(reference := step.params.get("referenceCol"), str):
            names.add(reference)
    return sorted(names)


def _feature_problems(settings: Settings) -> Iterator[PipelineProblem]:
    steps = [Step(s.stage, s.columns, s.params) for s in settings.features.steps]
    try:
        build_steps(steps, _step_columns(settings), settings.use_case.label)
    except _BUILD_ERRORS as error:
        index = error.step_index if isinstance(error, FeatureConfigError) else None
        yield PipelineProblem(("features", "steps", *([] if index is None else [str(index)])), str(error))


def _selection_problems(settings: Settings) -> Iterator[PipelineProblem]:
    if settings.selection is None:
        return
    use_case, selection = settings.use_case, settings.selection
    for index, step in enumerate(selection.steps):
        try:
            build_selector(SelectionStep(step.selector, step.params), selection.features_col, use_case.label,
                           use_case.task)
        except _BUILD_ERRORS as error:
            yield PipelineProblem(("selection", "steps", str(index)), str(error))


def configured_candidate(settings: Settings, candidate: CandidateSettings, workers: int = 1) -> Candidate:
    """`candidate` as training fits it, on the use case's task, label and target transform: the
    one builder of the load-time check and of the train job (which builds its own with a JVM,
    and for default candidates chosen from the data)."""
    use_case, model = settings.use_case, settings.model
    return build_candidate(candidate.label, candidate.algorithm, use_case.task, candidate.params, candidate.grid,
                           FEATURES_COLUMN, use_case.label, model.target_transform,
                           settings.train.early_stopping_rounds if candidate.early_stopping else None, workers)


def _candidate_problems(settings: Settings) -> Iterator[PipelineProblem]:
    model = settings.model
    for index, candidate in enumerate(model.candidate_list()):
        # A lone `model.algorithm` is one candidate; its params are what is most often wrong.
        lone = ("model", "params" if model.params else "algorithm")
        key = ("model", "candidates", str(index)) if model.candidates else lone
        try:
            configured_candidate(settings, candidate)
        except _BUILD_ERRORS as error:
            yield PipelineProblem(key, str(error))


def _metric_problems(settings: Settings) -> Iterator[PipelineProblem]:
    """`train.metric` is one tuning's evaluators compute (`TUNING_METRICS`); `gate.metric` and the threshold names
    are test metrics (`TEST_METRICS`, which hold every tuning metric, so the gate's default is one)."""
    task, gate = settings.use_case.task, settings.gate
    named = [(("train", "metric"), settings.train.metric, TUNING_METRICS[task]),
             (("gate", "metric"), gate.metric, TEST_METRICS[task]),
             *((("gate", "thresholds", name), name, TEST_METRICS[task]) for name in gate.thresholds)]
    for key, name, known in named:
        if name is not None and name not in known:
            yield PipelineProblem(key, f"unknown metric {name!r} for a {task} model; known: {', '.join(known)}")


def _outlier_problems(settings: Settings) -> Iterator[PipelineProblem]:
    """`train.outliers` judges rows by their residual: a classifier's label has none."""
    if settings.train.outliers is not None and settings.use_case.task != "regression":
        yield PipelineProblem(("train", "outliers"), f"is for regression, not a {settings.use_case.task} model; "
                              "remove it")
