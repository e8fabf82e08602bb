"""What a training run logs to MLflow: its parameters and metrics, every candidate's figures,
the selectors' decisions inside the model, and the assessment report."""

from __future__ import annotations

import math
from typing import Any

import mlflow

from jobs.common.cli import JobContext
from jobs.common.model_setup import Defaults, chosen_params, configured_metric
from jobs.common.report_files import REPORTS_FOLDER, write_report
from transforms.modeling.report import Assessment, render_assessment
from transforms.modeling.tuning import TuningResult, fold_count
from transforms.selection import selection_report

ASSESSMENT_ARTIFACT = "assessment.html"
SELECTION_ARTIFACT = "selection/report.json"
CANDIDATES_ARTIFACT = "candidates.json"
DEFAULTS_ARTIFACT = "defaults.yml"
# MLflow refuses longer parameter values.
MAX_PARAM_LENGTH = 6000


def _finite(figures: dict[str, float]) -> dict[str, float]:
    # MLflow stores NaN, but a figure that could not be computed is better left out.
    return {k: v for k, v in figures.items() if not math.isnan(v)}


def log_run(context: JobContext, best: TuningResult, assessment: Assessment, train_count: int) -> None:
    """The run's parameters (the best candidate's, the tuning), test and baseline metrics,
    business figures, and every candidate's CV and test figures (metrics and a table)."""
    settings = context.settings
    metric = configured_metric(settings)
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
    mlflow.log_metrics(_finite({f"test_{k}": v for k, v in assessment.test_metrics.items()}))
    mlflow.log_metrics(_finite({f"baseline_test_{k}": v for k, v in assessment.baseline_metrics.items()}))
    mlflow.log_metrics({f"business_{k}": v for k, v in assessment.business.items()})
    for row in assessment.candidates:
        name = row["candidate"]
        figures = {f"test_{k}_{name}": v for k, v in row["test"].items()}
        if not math.isnan(row["cv_mean"]):
            figures |= {f"cv_{metric}_mean_{name}": row["cv_mean"], f"cv_{metric}_std_{name}": row["cv_std"]}
        mlflow.log_metrics(_finite(figures))
    table = [{"candidate": row["candidate"], "params": str(row["params"]), "cv_mean": row["cv_mean"],
              "cv_std": row["cv_std"], f"test_{metric}": row["test"].get(metric, float("nan"))}
             for row in assessment.candidates]
    mlflow.log_table({k: [row[k] for row in table] for k in table[0]}, CANDIDATES_ARTIFACT)


def log_defaults(defaults: Defaults) -> None:
    """The feature steps and candidates chosen for the use case, as YAML it could hold, and one
    parameter each saying what was chosen."""
    mlflow.log_dict(defaults.as_config(), DEFAULTS_ARTIFACT)
    mlflow.log_params({what.replace(" ", "_"): choice[:MAX_PARAM_LENGTH] for what, choice in defaults.summary().items()})


def log_selection(best: TuningResult) -> dict[str, Any]:
    """The selectors' decisions inside the registered model, as an artifact and two metrics."""
    rows = selection_report(best.model)
    if not rows:
        return {}
    features_in = [r["feature"] for r in rows if r["step"] == 0]
    last_step = max(r["step"] for r in rows)
    kept = [r["feature"] for r in rows if r["step"] == last_step and r["decision"] == "kept"]
    dropped = [name for name in features_in if name not in set(kept)]
    mlflow.log_dict({"kept": kept, "dropped": dropped, "decisions": rows}, SELECTION_ARTIFACT)
    mlflow.log_metrics({"features_in": len(features_in), "features_kept": len(kept)})
    return {"features_in": len(features_in), "features_kept": len(kept), "kept": kept, "dropped": dropped}


def log_assessment(context: JobContext, assessment: Assessment) -> str:
    """The assessment as HTML: logged to the run and written to `assessment.report_dir` (default:
    `_reports` beside the tables); returns the file's path."""
    settings = context.settings
    html = render_assessment(assessment)
    mlflow.log_text(html, ASSESSMENT_ARTIFACT)
    folder = settings.assessment.report_dir or context.tables.location(REPORTS_FOLDER)
    return str(write_report(f"{folder}/assessment_{settings.model.name}.html", html))
