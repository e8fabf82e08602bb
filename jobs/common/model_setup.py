"""The use case's settings as the modeling transforms take them: the feature and selection
stages, the candidates, the value matrix, and the plans of training and assessment. Shared by
the features and train jobs, so both build the same stages from the same config, or the same
defaults where the config has none."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pyspark.ml import Pipeline
from pyspark.ml.base import Estimator, Transformer
from pyspark.sql import DataFrame

from jobs.common.cli import JobContext
from jobs.common.config import CandidateSettings, FeatureStep, Settings
from jobs.common.config_pipeline import configured_candidate
from transforms.features.pipeline import Step, build_feature_pipeline
from transforms.modeling.assessment import AssessmentPlan
from transforms.modeling.business import ValueMatrix
from transforms.modeling.candidates import Candidate
from transforms.modeling.choice import training_metric
from transforms.modeling.defaults import (
    default_candidates,
    default_feature_steps,
    describe_candidates,
    describe_steps,
    unused_columns,
)
from transforms.modeling.input_summary import summarize_columns
from transforms.modeling.training import TrainingPlan
from transforms.modeling.tuning import TuningResult
from transforms.profiling.governance import check_feature_steps
from transforms.selection import SelectionStep, build_selection_pipeline


def configured_metric(settings: Settings) -> str:
    """The metric training tunes and compares candidates on."""
    return training_metric(settings.use_case.task, settings.train.metric)


def check_features(settings: Settings) -> None:
    """Refuse feature steps that read identifiers, leaks or protected attributes (before any data is read)."""
    use_case = settings.use_case
    check_feature_steps([(s.stage, s.columns, s.params) for s in settings.features.steps],
                        use_case.identifiers, use_case.leaks, use_case.protected)


def feature_pipeline(settings: Settings, inputs: list[str]) -> Pipeline:
    """The configured feature stages on the raw columns `inputs`."""
    steps = [Step(s.stage, s.columns, s.params) for s in settings.features.steps]
    return build_feature_pipeline(steps, inputs, label=settings.use_case.label)


def model_stages(settings: Settings, inputs: list[str]) -> list[Estimator | Transformer]:
    """The stages between the raw columns and the estimator: features, then selection."""
    use_case = settings.use_case
    check_features(settings)
    stages = feature_pipeline(settings, inputs).getStages()
    if settings.selection is not None:
        selectors = [SelectionStep(s.selector, s.params) for s in settings.selection.steps]
        stages += build_selection_pipeline(selectors, settings.selection.features_col, use_case.label,
                                           use_case.task).getStages()
    return stages


@dataclass(frozen=True)
class Defaults:
    """What training chose where the use case configures nothing (config-shaped; empty: configured)."""

    steps: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    unused_columns: dict[str, str]

    def summary(self) -> dict[str, str]:
        """{"default pipeline": …, "default candidates": …}: what was chosen, in a line each."""
        summary = {}
        if self.steps:
            unused = "; ".join(f"{name} ({why})" for name, why in self.unused_columns.items())
            summary["default pipeline"] = describe_steps(self.steps) + (f"; left out: {unused}" if unused else "")
        if self.candidates:
            summary["default candidates"] = describe_candidates(self.candidates)
        return summary

    def lines(self) -> list[str]:
        """"default pipeline: …" / "default candidates: …", for the job's log and the report."""
        return [f"{what}: {choice}" for what, choice in self.summary().items()]

    def as_config(self) -> dict[str, Any]:
        """The choices as the use case's YAML would hold them."""
        return {**({"features": {"steps": self.steps}} if self.steps else {}),
                **({"model": {"candidates": self.candidates}} if self.candidates else {}),
                **({"unused_columns": self.unused_columns} if self.unused_columns else {})}


def modelled_columns(settings: Settings, inputs: list[str]) -> list[str]:
    """The raw inputs a default pipeline may read: not the key, identifiers or protected attributes."""
    use_case = settings.use_case
    barred = {*use_case.key, *use_case.identifiers, *use_case.protected}
    return [c for c in inputs if c not in barred]


def with_defaults(context: JobContext, train_rows: DataFrame, inputs: list[str]) -> tuple[JobContext, Defaults | None]:
    """`context` with default feature steps and candidates where its use case sets none, chosen
    from `train_rows` (one aggregation pass), and what was chosen (None: all configured)."""
    settings = context.settings
    task = settings.use_case.task
    steps, unused, candidates = [], {}, []
    if not settings.features.steps:
        summaries = summarize_columns(train_rows, modelled_columns(settings, inputs))
        steps, unused = default_feature_steps(summaries, task), unused_columns(summaries)
    if not settings.model.candidate_list():
        candidates = default_candidates(task)
    if not steps and not candidates:
        return context, None
    features = settings.features.model_copy(update={"steps": [FeatureStep(**s) for s in steps]}) if steps \
        else settings.features
    model = settings.model.model_copy(update={"candidates": [CandidateSettings(**c) for c in candidates]}) \
        if candidates else settings.model
    filled = settings.model_copy(update={"features": features, "model": model})
    return replace(context, settings=filled), Defaults(steps, candidates, unused)


def build_candidates(settings: Settings, workers: int) -> list[Candidate]:
    """The candidates to tune, built as `load_settings` checked them (`configured_candidate`);
    xgboost's with `workers` (the session's task slots) unless configured."""
    return [configured_candidate(settings, c, workers) for c in settings.model.candidate_list()]


def chosen_params(settings: Settings, result: TuningResult) -> dict[str, Any]:
    """The best candidate's hyperparameters: as configured, with the grid's choice on top."""
    configured = {c.label: c.params for c in settings.model.candidate_list()}
    return {**configured.get(result.candidate.name, {}), **result.best_params}


def value_matrix(settings: Settings) -> ValueMatrix | None:
    """The value of a classifier's decisions, when configured (a regressor has none)."""
    matrix = settings.assessment.value_matrix
    return ValueMatrix(**matrix.model_dump()) if matrix and settings.use_case.task == "classification" else None


def training_plan(settings: Settings) -> TrainingPlan:
    use_case, train = settings.use_case, settings.train
    return TrainingPlan(use_case.key, use_case.task, use_case.label, configured_metric(settings),
                        settings.model.target_transform, train.tuning, train.folds, train.train_ratio,
                        train.validation_fraction, train.seed)


def assessment_plan(settings: Settings) -> AssessmentPlan:
    use_case, config = settings.use_case, settings.assessment
    return AssessmentPlan(f"Assessment of {settings.model.name} ({use_case.name})", use_case.task, use_case.label,
                          configured_metric(settings), value_matrix(settings), config.tolerance,
                          config.value_within_tolerance, config.cost_per_unit_error, tuple(use_case.protected))
