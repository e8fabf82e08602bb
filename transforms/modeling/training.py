"""The training split made ready for tuning, and every candidate tuned on it as the whole pipeline.

Row order must not reach an estimator (see `stable_layout`), so every frame a candidate is
fitted on is laid out by key; the early-stopping rows and the tuning folds come from hashes
of the key, so the same rows play the same part on every run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyspark.ml.base import Estimator, Transformer
from pyspark.sql import DataFrame

from transforms.modeling.candidates import FIT_LABEL, VALIDATION_COLUMN, Candidate
from transforms.modeling.metrics import build_evaluator
from transforms.modeling.split import VALIDATION, hashed_sample
from transforms.modeling.target import transformed_label
from transforms.modeling.tuning import (
    Preprocessing,
    TuningResult,
    assign_folds,
    fold_count,
    stable_layout,
    tune_pipeline,
)
from transforms.reporting.numbers import format_number

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class TrainingPlan:
    """How the training rows are prepared and tuned (from the use case's `train:` settings)."""

    key: list[str]
    task: str
    label: str
    metric: str
    target_transform: str = "none"
    tuning: str = "cross_validation"
    folds: int = 3
    train_ratio: float = 0.8
    validation_fraction: float = 0.1
    seed: int = 0


def prepared_training_rows(rows: DataFrame, plan: TrainingPlan) -> DataFrame:
    """Training rows with the fit label (transformed target), the early-stopping flag
    (`VALIDATION_COLUMN`) and the tuning fold (`FOLD_COLUMN`)."""
    if plan.target_transform != "none":
        rows = rows.withColumn(FIT_LABEL, transformed_label(plan.label, plan.target_transform))
    # Hash of the key, so the same rows stop the boosting on every run; salted apart from the
    # split's and the folds' hashes (see `split.VALIDATION`), so it is not a sample of either.
    rows = rows.withColumn(VALIDATION_COLUMN,
                           hashed_sample(plan.key, plan.seed, plan.validation_fraction, VALIDATION))
    return assign_folds(rows, plan.key, plan.tuning, plan.folds, plan.train_ratio, plan.seed)


def barrier_workers(candidate: Candidate) -> int | None:
    """Task slots one fit of `candidate` holds at once for its whole run: xgboost.spark's
    `num_workers` barrier tasks (the largest its grid asks for); None for any other estimator."""
    if not _is_xgboost(candidate):
        return None
    stage = candidate.model_stage
    param = stage.getParam("num_workers")
    return max([stage.getOrDefault(param), *(m[param] for m in candidate.param_maps if param in m)])


def concurrent_fits(parallelism: int, slots: int, workers: int | None) -> int:
    """How many grid points of one candidate are fitted at once.

    A barrier fit (`workers` tasks, xgboost.spark) starts only when `workers` slots are free
    together and holds them to the end, so fits beyond `slots // workers` would only wait for
    each other's slots, their trackers timing out: a fit that takes every slot runs alone.
    Other fits share the slots through Spark's scheduler: `parallelism` of them.
    """
    if workers is None:
        return max(1, parallelism)
    return max(1, min(parallelism, slots // workers))


def _is_xgboost(candidate: Candidate) -> bool:
    return candidate.algorithm.startswith("xgboost")


def tune_candidates(plan: TrainingPlan, candidates: list[Candidate], stages: list[Estimator | Transformer],
                    rows: DataFrame, slots: int, parallelism: int, search: bool,
                    histogram: bool) -> list[TuningResult]:
    """Every candidate tuned as the whole pipeline on `rows` (`search`: by fold, else fitted as
    configured), each refitted on all of them. `slots` is the session's task slots (the rows'
    partitions), `parallelism` the fits run at once (bounded by `concurrent_fits`); `histogram`
    keeps out-of-fold score histograms, for choosing a classifier's threshold."""

    def layout(candidate: Candidate, frame: DataFrame) -> DataFrame:
        # xgboost: one partition per worker (a hash of the key, not one partition for all), so
        # xgboost.spark, which repartitions only when partitions != num_workers (and
        # force_repartition is off), does not deal rows out again in shuffle order.
        workers = candidate.model_stage.getOrDefault("num_workers") if _is_xgboost(candidate) else slots
        return stable_layout(frame, plan.key, workers)

    results = tune_pipeline(
        Preprocessing.of(stages), candidates, stable_layout(rows, plan.key, slots),
        build_evaluator(plan.task, plan.metric, plan.label),
        fold_count(plan.tuning, plan.folds) if search else 0, layout,
        lambda candidate: concurrent_fits(parallelism, slots, barrier_workers(candidate)),
        histogram_label=plan.label if histogram else None,
    )
    for result in results:
        log.info("%s: CV %s %s ± %s with %s", result.candidate.name, plan.metric, format_number(result.best_mean),
                 format_number(result.best_std), result.best_params)
    return results
