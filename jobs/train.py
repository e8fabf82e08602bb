"""Tune every configured candidate on the training split, assess the best on the test split,
log it with its lineage and register it as the challenger.

The registered model is the whole fitted pipeline (feature stages + estimator + any target
back-transform), so scoring takes raw rows and needs nothing but the model and this package.
Promotion to the scoring alias is the gate's decision (jobs/promote.py), not training's.
"""

from __future__ import annotations

import argparse
import logging
import math
import subprocess
from pathlib import Path
from typing import Any

import mlflow
from mlflow.models import infer_signature
from pyspark.errors import AnalysisException
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, run_job
from jobs.common.config import Settings
from jobs.common.model_loading import log_spark_model, read_pipeline_model
from jobs.common.tracking import (
    client,
    configure_mlflow,
    model_pip_requirements,
    registered_model_name,
)
from jobs.features import feature_pipeline_path, model_input_columns
from transforms.metrics import baseline_metrics, regression_metrics
from transforms.modeling.business import (
    ValueMatrix,
    best_threshold,
    policy_values,
    regression_value,
)
from transforms.modeling.candidates import FIT_LABEL, VALIDATION_COLUMN, Candidate, build_candidate
from transforms.modeling.classification import classification_statistics, score_histogram
from transforms.modeling.fairness import metric_by_group
from transforms.modeling.report import Assessment, render_assessment
from transforms.modeling.statistics import feature_importance, vector_slot_names
from transforms.modeling.target import transformed_label
from transforms.modeling.tuning import (
    DEFAULT_METRIC,
    TuningResult,
    build_evaluator,
    fit_untuned,
    higher_is_better,
    stable_layout,
    tune,
    with_folds,
)
from transforms.pipeline_builder import FEATURES_COLUMN
from transforms.split import TEST, TRAIN

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


def training_rows(settings: Settings, features: DataFrame, excluded: DataFrame | None = None) -> DataFrame:
    """Training split with the fit label (transformed target), the early-stopping flag and the CV fold.

    Rows whose key is in `excluded` are left out (see `excluded_keys`).
    """
    use_case, train = settings.use_case, settings.train
    rows = features.where(F.col("split") == TRAIN)
    if excluded is not None:
        rows = rows.join(excluded, use_case.key, "left_anti")
    if settings.model.target_transform != "none":
        rows = rows.withColumn(FIT_LABEL, transformed_label(use_case.label, settings.model.target_transform))
    # Hash of the key, so the same rows stop the boosting on every run.
    bucket = F.pmod(F.xxhash64(*[F.col(c) for c in use_case.key], F.lit(train.seed + 1)), F.lit(10_000))
    rows = rows.withColumn(VALIDATION_COLUMN, bucket < int(train.validation_fraction * 10_000))
    return with_folds(rows, use_case.key, train.folds, train.seed + 2)


def excluded_keys(context: JobContext) -> DataFrame | None:
    """Keys of the rows `train.exclude` keeps out of training, judged on the raw input table."""
    settings = context.settings
    if not settings.train.exclude:
        return None
    source = context.tables.read(settings.features.input_table)
    try:
        return source.where(settings.train.exclude).select(*settings.use_case.key)
    except AnalysisException as error:
        raise ValueError(f"train.exclude {settings.train.exclude!r}: {error}") from None


def tune_all(context: JobContext, candidates: list[Candidate], rows: DataFrame) -> list[TuningResult]:
    settings = context.settings
    train, task, label = settings.train, settings.use_case.task, settings.use_case.label
    metric = training_metric(settings)
    evaluator = build_evaluator(task, metric, label)
    slots = task_slots(context)
    results = []
    for candidate in candidates:
        xgboost = candidate.algorithm.startswith("xgboost")
        # xgboost.spark holds one task slot per worker for the whole fit.
        workers = candidate.model_stage.getOrDefault("num_workers") if xgboost else 1
        # As many partitions as xgboost workers, so xgboost.spark does not repartition (which
        # would deal rows out in whatever order the shuffle delivers them).
        laid_out = stable_layout(rows, settings.use_case.key, workers if xgboost else slots).cache()
        if len(candidates) == 1 and len(candidate.param_maps) == 1:
            results.append(fit_untuned(candidate, laid_out))
            laid_out.unpersist()
            continue
        parallelism = max(1, min(slots // workers, len(candidate.param_maps)))
        result = tune(candidate, laid_out, evaluator, train.tuning, train.folds, train.train_ratio, train.seed,
                      parallelism)
        laid_out.unpersist()
        log.info("%s: CV %s %.5g ± %.3g with %s", candidate.name, metric, result.best_mean, result.best_std,
                 result.best_params)
        results.append(result)
    return results


def pick_best(results: list[TuningResult], metric: str) -> TuningResult:
    """Best CV mean; ties go to the candidate listed first in config."""
    sign = 1 if higher_is_better(metric) else -1
    scored = [r for r in results if not math.isnan(r.best_mean)]
    if not scored:
        return results[0]
    return max(scored, key=lambda r: (sign * r.best_mean, -results.index(r)))


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def lineage_tags(context: JobContext) -> dict[str, str]:
    settings, tables = context.settings, context.tables
    tags = {
        "use_case": settings.use_case.name,
        "config_fingerprint": settings.fingerprint(),
        "git_commit": git_commit(),
        "source_table": tables.qualified(settings.features.input_table),
        "source_table_version": str(tables.version(settings.features.input_table)),
        "feature_table": tables.qualified(settings.features.output_table),
        "feature_table_version": str(tables.version(settings.features.output_table)),
    }
    if settings.split.table:
        tags["split_table"] = tables.qualified(settings.split.table)
        tags["split_table_version"] = str(tables.version(settings.split.table))
    return tags


def assess(context: JobContext, best: TuningResult, train_rows: DataFrame, test_rows: DataFrame,
           comparison: list[dict[str, Any]], lineage: dict[str, str]) -> tuple[Assessment, dict[str, float]]:
    """Statistics, business figures and fairness of the best model on the test split."""
    settings = context.settings
    task, label, metric = settings.use_case.task, settings.use_case.label, training_metric(settings)
    scored = best.model.transform(test_rows).cache()
    baseline = baseline_metrics(train_rows, test_rows, task, label)
    assessment = Assessment(
        title=f"Assessment of {settings.model.name} ({settings.use_case.name})", task=task, metric=metric,
        lineage=sorted(lineage.items()), comparison=comparison, best=best.candidate.name,
        test_metrics={}, baseline_metrics=baseline,
        importance=feature_importance(best.model, vector_slot_names(test_rows, FEATURES_COLUMN)),
    )
    config = settings.assessment
    if task == "regression":
        assessment.test_metrics = regression_metrics(scored, label)
        assessment.business = regression_value(scored, label, config.tolerance, config.value_within_tolerance,
                                               config.cost_per_unit_error)
        assessment.residuals = [(float(r[0]), float(r[1])) for r in
                                scored.select(label, "prediction").limit(RESIDUAL_SAMPLE).collect()]
    else:
        threshold = DEFAULT_THRESHOLD
        matrix = ValueMatrix(**config.value_matrix.model_dump()) if config.value_matrix else None
        if matrix:
            # Chosen on the training rows: choosing it on the test rows would flatter the model.
            threshold = best_threshold(score_histogram(best.model.transform(train_rows), label), matrix)
        stats = classification_statistics(scored, label, threshold)
        assessment.test_metrics = stats["metrics"]
        assessment.threshold, assessment.confusion = threshold, stats["confusion"]
        assessment.curves, assessment.calibration, assessment.deciles = stats["curves"], stats["calibration"], stats["deciles"]
        if matrix:
            assessment.business = {f"value_{k}": v for k, v in policy_values(stats["histogram"], threshold, matrix).items()}
    if settings.use_case.protected:
        protected = settings.use_case.protected
        attributes = context.tables.read(settings.features.input_table).select(*settings.use_case.key, *protected)
        assessment.fairness = metric_by_group(scored.join(attributes, settings.use_case.key), protected, task, metric, label)
    scored.unpersist()
    return assessment, baseline


def log_and_register(context: JobContext, best: TuningResult, name: str) -> str:
    """Log the full pipeline (features + model) with signature and input example; register it."""
    settings, tables = context.settings, context.tables
    feature_model = read_pipeline_model(context.spark, feature_pipeline_path(context))
    fitted_stages = best.model.stages if isinstance(best.model, PipelineModel) else [best.model]
    full_model = PipelineModel(stages=[*feature_model.stages, *fitted_stages])
    raw = tables.read(settings.features.input_table)
    inputs = model_input_columns(raw.columns, settings.use_case.label, settings.use_case.leaks)
    sample = raw.select([raw[c] for c in inputs]).limit(20)
    # Inferred from the Spark schema, so nullable integer columns keep their declared types.
    signature = infer_signature(sample, full_model.transform(sample).select("prediction"))
    info = log_spark_model(
        context.spark,
        full_model,
        "model",
        model_staging(context),
        signature=signature,
        input_example=sample.limit(5).toPandas(),
        pip_requirements=model_pip_requirements(),
        registered_model_name=name,
    )
    return str(info.registered_model_version)


def model_staging(context: JobContext) -> str:
    """Where a Spark Connect server writes the fitted pipeline for this client to log."""
    return context.settings.mlflow.model_staging or context.tables.location("_models") + "/staging"


def train(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings, tables = context.settings, context.tables
    use_case, model_settings = settings.use_case, settings.model
    metric = training_metric(settings)
    features = tables.read(settings.features.output_table)
    excluded = excluded_keys(context)
    train_rows = training_rows(settings, features, excluded).cache()
    # Metrics are sums over the test rows: in a fixed layout, they add up in a fixed order.
    test_rows = stable_layout(features.where(F.col("split") == TEST), use_case.key, task_slots(context))
    candidates = build_candidates(settings)

    configure_mlflow(settings)
    name = registered_model_name(settings)
    lineage = lineage_tags(context)
    with mlflow.start_run(run_name=f"{use_case.name}-train") as run:
        mlflow.set_tags(lineage)
        results = tune_all(context, candidates, train_rows)
        best = pick_best(results, metric)
        comparison = [{"candidate": r.candidate.name, "params": str(row["params"]), "mean": row["mean"], "std": row["std"],
                       "best": r is best and row["params"] == best.best_params}
                      for r in results for row in r.rows]
        assessment, baseline = assess(context, best, train_rows, test_rows, comparison, lineage)
        test_metrics = assessment.test_metrics
        mlflow.log_params({"best_candidate": best.candidate.name, "algorithm": best.candidate.algorithm,
                           "target_transform": model_settings.target_transform, "tuning": settings.train.tuning,
                           "folds": settings.train.folds, "seed": settings.train.seed,
                           "train_exclude": settings.train.exclude or "",
                           "train_rows": train_rows.count(),
                           **{f"best_{k}": v for k, v in best.best_params.items()}})
        mlflow.log_metrics({f"test_{k}": v for k, v in test_metrics.items() if not math.isnan(v)})
        mlflow.log_metrics({f"baseline_test_{k}": v for k, v in baseline.items() if not math.isnan(v)})
        mlflow.log_metrics({f"business_{k}": v for k, v in assessment.business.items()})
        for r in results:
            if not math.isnan(r.best_mean):
                mlflow.log_metrics({f"cv_{metric}_mean_{r.candidate.name}": r.best_mean,
                                    f"cv_{metric}_std_{r.candidate.name}": r.best_std})
        mlflow.log_table({k: [row[k] for row in comparison] for k in ("candidate", "params", "mean", "std")},
                         "candidates.json")
        html = render_assessment(assessment)
        mlflow.log_text(html, "assessment.html")
        report_path = _write_report(context, html)
        version = log_and_register(context, best, name)
    train_rows.unpersist()
    registry = client()
    registry.set_registered_model_alias(name, model_settings.challenger_alias, version)
    tags = {"candidate": best.candidate.name, "training_metric": metric}
    if assessment.threshold is not None:
        tags["decision_threshold"] = f"{assessment.threshold:.3f}"
    for key, value in tags.items():
        registry.set_model_version_tag(name, version, key, value)
    log.info("registered %s version %s as @%s; test %s; baseline %s; report %s", name, version,
             model_settings.challenger_alias, test_metrics, baseline, report_path)
    return {
        "run_id": run.info.run_id,
        "model_name": name,
        "version": version,
        "alias": model_settings.challenger_alias,
        "candidate": best.candidate.name,
        "metrics": test_metrics,
        "baseline": baseline,
        "business": assessment.business,
        "threshold": assessment.threshold,
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
