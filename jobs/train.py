"""Train the use case's model as one Spark ML pipeline and register it as the challenger.

The model is raw silver columns in, `prediction` (and `probability`) out: the feature stages,
then the selection steps (when `selection:` is declared), then the estimator. Every candidate
is tuned as that whole pipeline (stages that read the label are refitted inside each fold, see
transforms/modeling/tuning.py), assessed on the test split, and the best is registered. A
classifier's decision threshold comes from out-of-fold predictions, never from rows the model
was fitted on. Promotion to the scoring alias is the gate's decision (jobs/promote.py).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import math
import subprocess
from pathlib import Path
from typing import Any

import mlflow
from mlflow.data.delta_dataset_source import DeltaDatasetSource
from mlflow.data.spark_dataset import SparkDataset
from pyspark.errors import AnalysisException
from pyspark.ml.base import Estimator, Transformer
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, run_job
from jobs.common.config import Settings
from jobs.common.model_inputs import LabelledRows, labelled_rows, split_fingerprint
from jobs.common.model_logging import log_pipeline_model
from jobs.common.tracking import client, configure_mlflow, registered_model_name
from transforms.features.pipeline import FEATURES_COLUMN, Step, build_feature_pipeline
from transforms.modeling.business import (
    ValueMatrix,
    best_threshold,
    policy_values,
    regression_value,
)
from transforms.modeling.candidates import FIT_LABEL, VALIDATION_COLUMN, Candidate, build_candidate
from transforms.modeling.classification import classification_statistics
from transforms.modeling.fairness import metric_by_group
from transforms.modeling.metrics import baseline_metrics, regression_metrics
from transforms.modeling.report import Assessment, render_assessment
from transforms.modeling.split import TEST, TRAIN
from transforms.modeling.statistics import feature_importance, vector_slot_names
from transforms.modeling.target import transformed_label
from transforms.modeling.tuning import (
    DEFAULT_METRIC,
    HASH_BUCKETS,
    Preprocessing,
    TuningResult,
    assign_folds,
    build_evaluator,
    fold_count,
    higher_is_better,
    stable_layout,
    tune_pipeline,
)
from transforms.profiling.governance import check_feature_steps
from transforms.selection import SelectionStep, build_selection_pipeline, selection_report

log = logging.getLogger(__name__)
RESIDUAL_SAMPLE = 2000
DEFAULT_THRESHOLD = 0.5


def training_metric(settings: Settings) -> str:
    return settings.train.metric or DEFAULT_METRIC[settings.use_case.task]


def cluster_parallelism(spark: SparkSession) -> int:
    """Task slots of the cluster (Spark Connect has no SparkContext: one at a time there)."""
    try:
        return max(1, spark.sparkContext.defaultParallelism)
    except Exception:  # Spark Connect sessions raise on sparkContext
        return 1


def task_slots(context: JobContext) -> int:
    return context.settings.train.parallelism or cluster_parallelism(context.spark)


def build_candidates(settings: Settings) -> list[Candidate]:
    use_case, model = settings.use_case, settings.model
    return [
        build_candidate(c.label, c.algorithm, use_case.task, c.params, c.grid, FEATURES_COLUMN, use_case.label,
                        model.target_transform,
                        settings.train.early_stopping_rounds if c.early_stopping else None)
        for c in model.candidate_list()
    ]


def model_stages(settings: Settings, inputs: list[str]) -> list[Estimator | Transformer]:
    """The stages between the raw columns and the estimator: features, then selection."""
    use_case = settings.use_case
    # Refuse identifiers, leaks and protected attributes before reading any data.
    check_feature_steps([(s.stage, s.columns, s.params) for s in settings.features.steps],
                        use_case.identifiers, use_case.leaks, use_case.protected)
    steps = [Step(s.stage, s.columns, s.params) for s in settings.features.steps]
    stages = build_feature_pipeline(steps, inputs, label=use_case.label).getStages()
    if settings.selection is not None:
        selectors = [SelectionStep(s.selector, s.params) for s in settings.selection.steps]
        stages += build_selection_pipeline(selectors, settings.selection.features_col, use_case.label,
                                           use_case.task).getStages()
    return stages


def training_rows(settings: Settings, rows: DataFrame, excluded: DataFrame | None = None) -> DataFrame:
    """Training split with the fit label (transformed target), the early-stopping flag and the
    tuning fold (`FOLD_COLUMN`). Rows whose key is in `excluded` are left out (`excluded_keys`)."""
    use_case, train = settings.use_case, settings.train
    rows = rows.where(F.col("split") == TRAIN)
    if excluded is not None:
        rows = rows.join(excluded, use_case.key, "left_anti")
    if settings.model.target_transform != "none":
        rows = rows.withColumn(FIT_LABEL, transformed_label(use_case.label, settings.model.target_transform))
    # Hash of the key, so the same rows stop the boosting on every run.
    bucket = F.pmod(F.xxhash64(*[F.col(c) for c in use_case.key], F.lit(train.seed + 1)), F.lit(HASH_BUCKETS))
    rows = rows.withColumn(VALIDATION_COLUMN, bucket < int(train.validation_fraction * HASH_BUCKETS))
    return assign_folds(rows, use_case.key, train.tuning, train.folds, train.train_ratio, train.seed + 2)


def excluded_keys(context: JobContext, source: DataFrame) -> DataFrame | None:
    """Keys of the rows `train.exclude` keeps out of training, judged on the raw input rows."""
    settings = context.settings
    if not settings.train.exclude:
        return None
    try:
        return source.where(settings.train.exclude).select(*settings.use_case.key)
    except AnalysisException as error:
        raise ValueError(f"train.exclude {settings.train.exclude!r}: {error}") from None


def value_matrix(settings: Settings) -> ValueMatrix | None:
    matrix = settings.assessment.value_matrix
    return ValueMatrix(**matrix.model_dump()) if matrix and settings.use_case.task == "classification" else None


def tune_all(context: JobContext, candidates: list[Candidate], stages: list[Estimator | Transformer],
             rows: DataFrame) -> list[TuningResult]:
    """Every candidate tuned as the whole pipeline, each refitted on all training rows."""
    settings = context.settings
    train, use_case = settings.train, settings.use_case
    metric = training_metric(settings)
    slots = task_slots(context)
    matrix = value_matrix(settings)
    # A search needs something to choose: a second candidate, a grid or a threshold.
    search = len(candidates) > 1 or any(len(c.param_maps) > 1 for c in candidates) or matrix is not None

    def workers(candidate: Candidate) -> int:
        # xgboost.spark holds one task slot per worker for the whole fit.
        xgboost = candidate.algorithm.startswith("xgboost")
        return candidate.model_stage.getOrDefault("num_workers") if xgboost else 1

    def layout(candidate: Candidate, frame: DataFrame) -> DataFrame:
        # xgboost: as many partitions as workers, so xgboost.spark does not repartition (which
        # would deal rows out in whatever order the shuffle delivers them).
        xgboost = candidate.algorithm.startswith("xgboost")
        return stable_layout(frame, use_case.key, workers(candidate) if xgboost else slots)

    results = tune_pipeline(
        Preprocessing.of(stages), candidates, stable_layout(rows, use_case.key, slots),
        build_evaluator(use_case.task, metric, use_case.label),
        fold_count(train.tuning, train.folds) if search else 0, layout,
        lambda candidate: max(1, slots // workers(candidate)),
        histogram_label=use_case.label if matrix is not None else None,
    )
    for result in results:
        log.info("%s: CV %s %.5g ± %.3g with %s", result.candidate.name, metric, result.best_mean,
                 result.best_std, result.best_params)
    return results


def pick_best(results: list[TuningResult], metric: str) -> TuningResult:
    """Best CV mean; ties go to the candidate listed first in config."""
    sign = 1 if higher_is_better(metric) else -1
    scored = [r for r in results if not math.isnan(r.best_mean)]
    if not scored:
        return results[0]
    return max(scored, key=lambda r: (sign * r.best_mean, -results.index(r)))


def git_commit(settings: Settings) -> str:
    """The configured commit (a Databricks job has no .git), else what git says, else "unknown"."""
    if settings.lineage.git_commit:
        return settings.lineage.git_commit
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def lineage_tags(context: JobContext, data: LabelledRows) -> dict[str, str]:
    settings, tables = context.settings, context.tables
    tags = {
        "use_case": settings.use_case.name,
        "config_fingerprint": settings.fingerprint(),
        "git_commit": git_commit(settings),
        "source_table": tables.qualified(data.table),
        "source_table_version": str(data.version),
        "split_config": split_fingerprint(settings),
    }
    if settings.lineage.bundle_target:
        tags["bundle_target"] = settings.lineage.bundle_target
    if settings.split.table:
        tags["split_table"] = tables.qualified(settings.split.table)
        tags["split_table_version"] = str(data.split_version)
    return tags


class DeltaSnapshot(SparkDataset):
    """A Delta table version as an MLflow dataset input. Built here rather than by
    `mlflow.data.from_spark`, which opens a classic session to check the table (a Spark Connect
    client has none) and counts the rows again for its profile."""

    def __init__(self, rows: DataFrame, table: str, version: int, count: int, name: str, digest: str,
                 targets: str) -> None:
        super().__init__(df=rows, source=DeltaDatasetSource(delta_table_name=table, delta_table_version=version),
                         targets=targets, name=name, digest=digest)
        self._count = count

    @property
    def profile(self) -> dict[str, int]:
        return {"num_rows": self._count}


def log_inputs(context: JobContext, data: LabelledRows, train_rows: DataFrame, test_rows: DataFrame) -> dict[str, int]:
    """The training and test rows as MLflow dataset inputs: the Delta table and version they are
    the train / test split of (the split settings are the run's `split_config` tag)."""
    table = context.tables.qualified(data.table)
    # A two-part name reads to MLflow as a Unity Catalog table (schema taken for a catalog),
    # which it then looks up over the network; the session catalog's own name says it is not.
    source = table if context.settings.lakehouse.catalog else f"spark_catalog.{table}"
    counts = {}
    for rows, split in ((train_rows, TRAIN), (test_rows, TEST)):
        counts[split] = rows.count()
        # The identity of the rows, not a pass over them: table, version and split configuration.
        digest = hashlib.sha256(f"{table}@{data.version}/{split}/{context.settings.fingerprint()}".encode()).hexdigest()
        dataset = DeltaSnapshot(rows, source, data.version, counts[split], f"{table}@v{data.version}:{split}",
                                digest[:16], context.settings.use_case.label)
        mlflow.log_input(dataset, context="training" if split == TRAIN else "testing")
    return counts


def candidate_threshold(result: TuningResult, matrix: ValueMatrix | None) -> float:
    """The value-maximising threshold on the candidate's out-of-fold predictions, else 0.5."""
    if matrix is None or not result.validation_histogram:
        return DEFAULT_THRESHOLD
    return best_threshold(result.validation_histogram, matrix)


def assess_candidate(settings: Settings, result: TuningResult, scored: DataFrame,
                     matrix: ValueMatrix | None) -> tuple[dict[str, float], dict[str, float], dict[str, Any]]:
    """Test metrics, business figures and (classification) the statistics behind the plots."""
    task, label, config = settings.use_case.task, settings.use_case.label, settings.assessment
    if task == "regression":
        business = regression_value(scored, label, config.tolerance, config.value_within_tolerance,
                                    config.cost_per_unit_error)
        return regression_metrics(scored, label), business, {}
    threshold = candidate_threshold(result, matrix)
    stats = classification_statistics(scored, label, threshold)
    business = policy_values(stats["histogram"], threshold, matrix) if matrix else {}
    return stats["metrics"], {f"value_{k}": v for k, v in business.items()}, stats


def assess_all(context: JobContext, results: list[TuningResult], best: TuningResult, train_rows: DataFrame,
               test_rows: DataFrame, lineage: dict[str, str]) -> tuple[Assessment, list[dict[str, Any]]]:
    """Every candidate on the test split; the best in full (plots, business value, fairness)."""
    settings = context.settings
    task, label, metric = settings.use_case.task, settings.use_case.label, training_metric(settings)
    matrix = value_matrix(settings)
    candidates: list[dict[str, Any]] = []
    assessment = Assessment(
        title=f"Assessment of {settings.model.name} ({settings.use_case.name})", task=task, metric=metric,
        lineage=sorted(lineage.items()),
        comparison=[{"candidate": r.candidate.name, "params": str(row["params"]), "mean": row["mean"],
                     "std": row["std"], "best": r is best and row["params"] == best.best_params}
                    for r in results for row in r.rows],
        best=best.candidate.name, test_metrics={}, baseline_metrics=baseline_metrics(train_rows, test_rows, task, label),
    )
    for result in results:
        scored = result.model.transform(test_rows).cache()
        metrics, business, stats = assess_candidate(settings, result, scored, matrix)
        candidates.append({"candidate": result.candidate.name, "params": result.best_params,
                           "cv_mean": result.best_mean, "cv_std": result.best_std,
                           "threshold": stats.get("threshold"), "test": metrics, "business": business})
        if result is best:
            _fill_best(context, assessment, result, scored, metrics, business, stats)
        scored.unpersist()
    assessment.candidates = candidates
    return assessment, candidates


def _fill_best(context: JobContext, assessment: Assessment, best: TuningResult, scored: DataFrame,
               metrics: dict[str, float], business: dict[str, float], stats: dict[str, Any]) -> None:
    settings = context.settings
    label = settings.use_case.label
    assessment.test_metrics, assessment.business = metrics, business
    assessment.kept_features = vector_slot_names(scored, FEATURES_COLUMN)
    assessment.importance = feature_importance(best.estimator, assessment.kept_features)
    if stats:
        assessment.threshold, assessment.confusion = stats["threshold"], stats["confusion"]
        assessment.curves, assessment.calibration, assessment.deciles = stats["curves"], stats["calibration"], stats["deciles"]
    else:
        assessment.residuals = [(float(r[0]), float(r[1])) for r in
                                scored.select(label, "prediction").limit(RESIDUAL_SAMPLE).collect()]
    if settings.use_case.protected:
        # The scored frame carries the raw input columns, protected attributes included.
        assessment.fairness = metric_by_group(scored, settings.use_case.protected, settings.use_case.task,
                                              training_metric(settings), label)


def log_and_register(context: JobContext, best: TuningResult, data: LabelledRows, name: str) -> str:
    """Log the whole fitted pipeline (with the project's wheel, signature and example); register it."""
    info = log_pipeline_model(context.spark, best.model, data.rows.select(*data.inputs), name, model_staging(context))
    return str(info.registered_model_version)


def model_staging(context: JobContext) -> str:
    """Where a Spark Connect server writes the fitted pipeline for this client to log."""
    return context.settings.mlflow.model_staging or context.tables.location("_models") + "/staging"


def chosen_params(settings: Settings, result: TuningResult) -> dict[str, Any]:
    """The best candidate's hyperparameters: as configured, with the grid's choice on top."""
    configured = {c.label: c.params for c in settings.model.candidate_list()}
    return {**configured.get(result.candidate.name, {}), **result.best_params}


def log_selection(best: TuningResult) -> dict[str, Any]:
    """The selectors' decisions inside the registered model, as an artifact and two metrics."""
    rows = selection_report(best.model)
    if not rows:
        return {}
    features_in = [r["feature"] for r in rows if r["step"] == 0]
    last_step = max(r["step"] for r in rows)
    kept = [r["feature"] for r in rows if r["step"] == last_step and r["decision"] == "kept"]
    dropped = [name for name in features_in if name not in set(kept)]
    mlflow.log_dict({"kept": kept, "dropped": dropped, "decisions": rows}, "selection/report.json")
    mlflow.log_metrics({"features_in": len(features_in), "features_kept": len(kept)})
    return {"features_in": len(features_in), "features_kept": len(kept), "kept": kept, "dropped": dropped}


def log_run(settings: Settings, results: list[TuningResult], best: TuningResult, assessment: Assessment,
            candidates: list[dict[str, Any]], train_count: int) -> None:
    metric = training_metric(settings)
    searched = best.tuned
    params: dict[str, Any] = {
        "best_candidate": best.candidate.name, "algorithm": best.candidate.algorithm,
        "target_transform": settings.model.target_transform,
        "tuning": settings.train.tuning if searched else "none",
        "seed": settings.train.seed, "train_exclude": settings.train.exclude or "", "train_rows": train_count,
        **{f"param_{k}": v for k, v in chosen_params(settings, best).items()},
    }
    if searched:
        params["folds"] = fold_count(settings.train.tuning, settings.train.folds)
    mlflow.log_params(params)
    mlflow.log_metrics({f"test_{k}": v for k, v in assessment.test_metrics.items() if not math.isnan(v)})
    mlflow.log_metrics({f"baseline_test_{k}": v for k, v in assessment.baseline_metrics.items() if not math.isnan(v)})
    mlflow.log_metrics({f"business_{k}": v for k, v in assessment.business.items()})
    for row in candidates:
        name = row["candidate"]
        figures = {f"test_{k}_{name}": v for k, v in row["test"].items()}
        if not math.isnan(row["cv_mean"]):
            figures |= {f"cv_{metric}_mean_{name}": row["cv_mean"], f"cv_{metric}_std_{name}": row["cv_std"]}
        mlflow.log_metrics({k: v for k, v in figures.items() if not math.isnan(v)})
    table = [{"candidate": row["candidate"], "params": str(row["params"]), "cv_mean": row["cv_mean"],
              "cv_std": row["cv_std"], f"test_{metric}": row["test"].get(metric, float("nan"))}
             for row in candidates]
    mlflow.log_table({k: [row[k] for row in table] for k in table[0]}, "candidates.json")


def train(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings = context.settings
    use_case, model_settings = settings.use_case, settings.model
    metric = training_metric(settings)
    data = labelled_rows(context)
    stages = model_stages(settings, data.inputs)
    candidates = build_candidates(settings)
    train_rows = training_rows(settings, data.rows, excluded_keys(context, data.rows)).cache()
    # Metrics are sums over the test rows: in a fixed layout, they add up in a fixed order.
    test_rows = stable_layout(data.rows.where(F.col("split") == TEST), use_case.key, task_slots(context)).cache()

    configure_mlflow(settings)
    name = registered_model_name(settings)
    lineage = lineage_tags(context, data)
    with mlflow.start_run(run_name=f"{use_case.name}-train") as run:
        mlflow.set_tags(lineage)
        counts = log_inputs(context, data, train_rows, test_rows)
        results = tune_all(context, candidates, stages, train_rows)
        best = pick_best(results, metric)
        assessment, table = assess_all(context, results, best, train_rows, test_rows, lineage)
        log_run(settings, results, best, assessment, table, counts[TRAIN])
        selection = log_selection(best)
        html = render_assessment(assessment)
        mlflow.log_text(html, "assessment.html")
        report_path = _write_report(context, html)
        version = log_and_register(context, best, data, name)
    train_rows.unpersist()
    test_rows.unpersist()
    registry = client()
    registry.set_registered_model_alias(name, model_settings.challenger_alias, version)
    tags = {"candidate": best.candidate.name, "training_metric": metric}
    if assessment.threshold is not None:
        tags["decision_threshold"] = f"{assessment.threshold:.3f}"
    for key, value in tags.items():
        registry.set_model_version_tag(name, version, key, value)
    log.info("registered %s version %s as @%s; test %s; baseline %s; report %s", name, version,
             model_settings.challenger_alias, assessment.test_metrics, assessment.baseline_metrics, report_path)
    return {
        "run_id": run.info.run_id,
        "model_name": name,
        "version": version,
        "alias": model_settings.challenger_alias,
        "candidate": best.candidate.name,
        "candidates": table,
        "metrics": assessment.test_metrics,
        "baseline": assessment.baseline_metrics,
        "business": assessment.business,
        "threshold": assessment.threshold,
        "selection": selection,
        "report": report_path,
    }


def _write_report(context: JobContext, html: str) -> str:
    folder = context.settings.assessment.report_dir or context.tables.location("_reports")
    path = Path(folder.removeprefix("file:")) / f"assessment_{context.settings.model.name}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return str(path)


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, train, argv)


if __name__ == "__main__":
    main()
