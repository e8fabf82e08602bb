"""Train the use case's model as one Spark ML pipeline and register it as the challenger.

The model is raw silver columns in, `prediction` (and `probability`) out: the feature stages,
then the selection steps (when `selection:` is declared), then the estimator. Every candidate
is tuned as that whole pipeline (stages that read the label are refitted inside each fold, see
transforms/modeling/tuning.py), assessed on the test split, and the best is registered. A
classifier's decision threshold comes from out-of-fold predictions, never from rows the model
was fitted on. Promotion to the scoring alias is the gate's decision (jobs/promote.py). Feature
steps or candidates the use case leaves out are chosen from the training rows (see
transforms/modeling/defaults.py), logged as `defaults.yml` and named in the report.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from typing import Any

import mlflow

from jobs.common.cli import JobContext, run_job
from jobs.common.datasets import log_inputs
from jobs.common.lineage import lineage_tags
from jobs.common.model_inputs import excluded_keys, labelled_rows, split_part, training_rows
from jobs.common.model_setup import (
    assessment_plan,
    build_candidates,
    check_features,
    configured_metric,
    model_stages,
    training_plan,
    value_matrix,
    with_defaults,
)
from jobs.common.outlier_rows import without_far_off_rows
from jobs.common.progress import Stage
from jobs.common.registry import register_pipeline, set_alias, tag_version
from jobs.common.run_logging import log_assessment, log_defaults, log_run, log_selection
from jobs.common.task_slots import training_sizes
from jobs.common.tracking import THRESHOLD_TAG, configure_mlflow, registered_model_name
from transforms.modeling.assessment import assess_all
from transforms.modeling.choice import needs_search, pick_best
from transforms.modeling.split import TEST, TRAIN
from transforms.modeling.training import tune_candidates
from transforms.modeling.tuning import stable_layout
from transforms.reporting.numbers import format_figures

log = logging.getLogger(__name__)

# The progress line of the job, alone or in run_all: name, rows, seconds.
STAGE = Stage("train", lambda result: result["train_rows"])


def train(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    check_features(context.settings)  # configured steps that read forbidden variables: before any data
    sizes = training_sizes(context.settings, context.spark)  # and more xgboost workers than slots
    data = labelled_rows(context)
    train_rows = training_rows(context.settings, data.rows, excluded_keys(context, data.rows)).cache()
    context, defaults = with_defaults(context, train_rows, data.inputs)
    settings = context.settings
    use_case, model_settings = settings.use_case, settings.model
    metric = configured_metric(settings)
    stages = model_stages(settings, data.inputs)
    train_rows, left_out = without_far_off_rows(settings, stages, train_rows)  # train.outliers
    candidates = build_candidates(settings, sizes.slots)
    # Metrics are sums over the test rows: in a fixed layout, they add up in a fixed order.
    test_rows = stable_layout(split_part(data.rows, TEST), use_case.key, sizes.slots).cache()

    configure_mlflow(settings)
    name = registered_model_name(settings)
    lineage = lineage_tags(context, data)
    matrix = value_matrix(settings)
    with mlflow.start_run(run_name=f"{use_case.name}-train") as run:
        mlflow.set_tags(lineage)
        counts = log_inputs(context, data, train_rows, test_rows)
        results = tune_candidates(training_plan(settings), candidates, stages, train_rows, sizes.slots,
                                  sizes.parallelism, needs_search(candidates, matrix),
                                  histogram=matrix is not None)
        best = pick_best(results, metric)
        assessment = assess_all(assessment_plan(settings), results, best, train_rows, test_rows, lineage)
        assessment = replace(assessment, defaults=[*(defaults.lines() if defaults else []), *left_out.lines])
        if defaults is not None:
            log_defaults(defaults)
        left_out.log_to_mlflow()
        log_run(context, best, assessment, counts[TRAIN])
        selection = log_selection(best)
        report_path = log_assessment(context, assessment)
        version = register_pipeline(context, best.model, data.rows.select(*data.inputs), name)
    train_rows.unpersist()
    test_rows.unpersist()
    set_alias(name, model_settings.challenger_alias, version)
    tags = {"candidate": best.candidate.name, "training_metric": metric}
    if assessment.threshold is not None:
        tags[THRESHOLD_TAG] = f"{assessment.threshold:.3f}"
    tag_version(name, version, tags)
    for line in assessment.defaults:
        log.info("%s", line)
    log.info("registered %s version %s as @%s; test %s; baseline %s; report %s", name, version,
             model_settings.challenger_alias, format_figures(assessment.test_metrics),
             format_figures(assessment.baseline_metrics), report_path)
    return {
        "run_id": run.info.run_id,
        "model_name": name,
        "version": version,
        "alias": model_settings.challenger_alias,
        "train_rows": counts[TRAIN],
        "candidate": best.candidate.name,
        "candidates": assessment.candidates,
        "metrics": assessment.test_metrics,
        "baseline": assessment.baseline_metrics,
        "business": assessment.business,
        "threshold": assessment.threshold,
        "selection": selection,
        "report": report_path,
        "defaults": assessment.defaults,
    }


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, train, argv, stage=STAGE)


if __name__ == "__main__":
    main()
