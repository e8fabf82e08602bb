"""Tuning the whole model pipeline: raw columns -> feature stages -> selectors -> estimator.

Cross-validation refits every stage that reads the label (supervised encoders, selectors) and
everything after it on each fold's training part only, so no fold's labels reach the encoding
or the selection it is validated with. Stages before the first one that reads the label
(imputers, rare-label grouping, one-hot indexing, ...) see feature values only: they are fitted
once on all training rows and their output is cached, which is what makes tuning cheap. Within a
fold the refitted stages are shared by every candidate and grid point, so a grid costs one
preprocessing fit per fold, not one per grid point.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.pool import ThreadPool
from typing import Any

import numpy as np
from pyspark import inheritable_thread_target
from pyspark.ml import Model, Pipeline, PipelineModel
from pyspark.ml.base import Estimator, Transformer
from pyspark.ml.evaluation import Evaluator
from pyspark.ml.param import Param

# Spark's own task for fitting one training set with many parameter maps in parallel threads
# (what CrossValidator and TrainValidationSplit use), reused rather than rewritten.
from pyspark.ml.tuning import _parallelFitTasks
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.modeling.candidates import Candidate

# Their home is `metrics` and `split`; jobs/train.py, jobs/promote.py and bench/bench_tuning.py
# still import them from here.
from transforms.modeling.scores import ScoreBin, merge_histograms, score_histogram
from transforms.modeling.split import FOLDS, hashed_sample, key_hash

log = logging.getLogger(__name__)

FOLD_COLUMN = "_fold"
PipelineStage = Estimator | Transformer


def with_folds(rows: DataFrame, key: list[str], folds: int, seed: int) -> DataFrame:
    """Add `FOLD_COLUMN`: a cross-validation fold 0..folds-1 from a hash of the key and seed.

    CrossValidator's own folds come from rand(seed), which numbers rows by their position in
    their partition: the same table written with another layout put other rows in each fold.
    A hash of the key gives every row the same fold whatever the layout.
    """
    return rows.withColumn(FOLD_COLUMN, F.pmod(key_hash(key, seed, FOLDS), F.lit(folds)).cast("int"))


def with_holdout(rows: DataFrame, key: list[str], train_ratio: float, seed: int) -> DataFrame:
    """Add `FOLD_COLUMN` for a train/validation split: 0 marks the validation rows, 1 the rest.

    Read as one fold (validate on fold 0, train on the others), it is the same loop as k-fold CV.
    """
    return rows.withColumn(FOLD_COLUMN, hashed_sample(key, seed, train_ratio, FOLDS).cast("int"))


def assign_folds(rows: DataFrame, key: list[str], method: str, folds: int, train_ratio: float,
                 seed: int) -> DataFrame:
    """The rows with `FOLD_COLUMN` for `method`; `fold_count` says how many folds to validate on."""
    if method == "cross_validation":
        return with_folds(rows, key, folds, seed)
    if method == "train_validation_split":
        return with_holdout(rows, key, train_ratio, seed)
    raise ValueError(f"unknown tuning method {method!r}")


def fold_count(method: str, folds: int) -> int:
    """Validation folds of `method`: k for k-fold CV, one for a train/validation split."""
    return folds if method == "cross_validation" else 1


def stable_layout(rows: DataFrame, key: list[str], partitions: int) -> DataFrame:
    """The same rows in a layout that depends on the data only: hashed by key, sorted by key.

    Estimators are not invariant to row order: xgboost's row subsampling draws by row index
    and a train/validation split samples within partitions; so the input's partitioning and
    order (which follow how the table happened to be written) must not reach them.
    """
    return rows.repartition(partitions, *key).sortWithinPartitions(*key)


def reads_label(stage: PipelineStage) -> bool:
    """Whether fitting `stage` may read the label: every stage with a label column param does."""
    return stage.hasParam("labelCol")


@dataclass(frozen=True)
class Preprocessing:
    """The stages between the raw columns and the estimator, cut where the label first matters.

    `shared` never read the label: fitted once on all training rows. `per_fold` starts at the
    first stage that reads it (a supervised encoder or a selector) and is refitted per fold.
    """

    shared: list[PipelineStage]
    per_fold: list[PipelineStage]

    @classmethod
    def of(cls, stages: Sequence[PipelineStage]) -> Preprocessing:
        first = next((i for i, stage in enumerate(stages) if reads_label(stage)), len(stages))
        return cls(list(stages[:first]), list(stages[first:]))


@dataclass(frozen=True)
class TuningResult:
    """One candidate: its whole fitted pipeline (refitted on all training rows with the best grid
    point) and every grid point's validation scores."""

    candidate: Candidate
    model: PipelineModel
    estimator: Model  # the fitted estimator stage (its importances, coefficients)
    best_params: dict[str, Any]
    rows: list[dict[str, Any]]  # {"params", "mean", "std"} per grid point
    best_mean: float
    best_std: float
    tuned: bool
    # Classification: out-of-fold score histogram of the best grid point (None when not kept).
    validation_histogram: list[ScoreBin] | None = field(default=None, compare=False)


@dataclass
class _Scores:
    """Validation metrics per fold and grid point, and summed out-of-fold histograms."""

    metrics: list[list[float]]
    histograms: list[list[list[ScoreBin]]]


Layout = Callable[[Candidate, DataFrame], DataFrame]


def tune_pipeline(
    preprocessing: Preprocessing,
    candidates: Sequence[Candidate],
    rows: DataFrame,
    evaluator: Evaluator,
    folds: int,
    layout: Layout,
    parallelism: Callable[[Candidate], int],
    histogram_label: str | None = None,
) -> list[TuningResult]:
    """Search every candidate's grid on `rows` by fold (`FOLD_COLUMN`; `folds` = 0 skips the
    search), then refit each candidate's best point with the whole preprocessing on all rows.

    `layout` lays a candidate's training frame out for its estimator; `parallelism` says how many
    grid points of a candidate are fitted at once. With `histogram_label`, each grid point's
    out-of-fold score histogram is kept (for choosing a classifier's threshold on held-out rows).
    """
    shared = Pipeline(stages=preprocessing.shared).fit(rows)
    prepared = shared.transform(rows).cache()
    scores = [_Scores([[] for _ in range(folds)], [[] for _ in c.param_maps]) for c in candidates]
    fits = sum(len(c.param_maps) for c in candidates)
    for fold in range(folds):
        started = time.perf_counter()
        _score_fold(preprocessing, candidates, prepared, fold, evaluator, layout, parallelism,
                    histogram_label, scores)
        # Tuning is the long part of training: one line a fold says how far it is.
        log.info("tuning: fold %d of %d, %d fits, in %.1f s", fold + 1, folds, fits, time.perf_counter() - started)
    rest = Pipeline(stages=preprocessing.per_fold).fit(prepared)
    ready = rest.transform(prepared)
    results = []
    for candidate, score in zip(candidates, scores, strict=True):
        started = time.perf_counter()
        results.append(_refit(candidate, score, shared, rest, ready, evaluator, layout, folds > 0))
        log.info("tuning: %s refitted on all rows in %.1f s", candidate.name, time.perf_counter() - started)
    prepared.unpersist()
    return results


def _score_fold(preprocessing: Preprocessing, candidates: Sequence[Candidate], prepared: DataFrame, fold: int,
                evaluator: Evaluator, layout: Layout, parallelism: Callable[[Candidate], int],
                histogram_label: str | None, scores: list[_Scores]) -> None:
    training = prepared.where(F.col(FOLD_COLUMN) != fold)
    fitted = Pipeline(stages=preprocessing.per_fold).fit(training)
    validation = fitted.transform(prepared.where(F.col(FOLD_COLUMN) == fold)).cache()
    ready = fitted.transform(training)
    for candidate, score in zip(candidates, scores, strict=True):
        train = layout(candidate, ready).cache()
        keep_models = histogram_label is not None
        tasks = map(inheritable_thread_target(prepared.sparkSession),
                    _parallelFitTasks(candidate.estimator, train, evaluator, validation, candidate.param_maps,
                                      keep_models))
        metrics = [0.0] * len(candidate.param_maps)
        with ThreadPool(processes=max(1, min(parallelism(candidate), len(candidate.param_maps)))) as pool:
            for index, metric, model in pool.imap_unordered(lambda task: task(), tasks):
                metrics[index] = metric
                if keep_models:
                    score.histograms[index].append(score_histogram(model.transform(validation), histogram_label))
        score.metrics[fold] = metrics
        train.unpersist()
    validation.unpersist()


def _refit(candidate: Candidate, score: _Scores, shared: PipelineModel, rest: PipelineModel, ready: DataFrame,
           evaluator: Evaluator, layout: Layout, tuned: bool) -> TuningResult:
    """The candidate's best grid point fitted on all rows, behind the preprocessing fitted on all rows."""
    if tuned:
        means = list(np.mean(score.metrics, axis=0))
        stds = list(np.std(score.metrics, axis=0))
        pick = np.argmax if evaluator.isLargerBetter() else np.argmin
        best = int(pick(means))
    else:
        means, stds, best = [float("nan")] * len(candidate.param_maps), [float("nan")] * len(candidate.param_maps), 0
    param_map: dict[Param, Any] = candidate.param_maps[best]
    train = layout(candidate, ready).cache()
    fitted = candidate.estimator.fit(train, param_map)
    train.unpersist()
    estimator_stages = fitted.stages if isinstance(fitted, PipelineModel) else [fitted]
    model = PipelineModel(stages=[*shared.stages, *rest.stages, *estimator_stages])
    rows = [{"params": candidate.describe(pm), "mean": float(m), "std": float(s)}
            for pm, m, s in zip(candidate.param_maps, means, stds, strict=True)]
    histograms = score.histograms[best]
    return TuningResult(candidate, model, estimator_stages[0], rows[best]["params"], rows, float(means[best]),
                        float(stds[best]), tuned, merge_histograms(histograms) if histograms else None)
