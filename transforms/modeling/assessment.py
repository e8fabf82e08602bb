"""Every tuned candidate on the test split; the best in full (plots, business value, fairness).

The figures behind the HTML report (transforms/modeling/report.py): test metrics, business
value, and for the best candidate its kept features, importances, the classification
statistics or a sample of residuals, and the metric per protected group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame

from transforms.features.pipeline import FEATURES_COLUMN
from transforms.modeling.business import ValueMatrix, policy_values, regression_value
from transforms.modeling.choice import candidate_threshold
from transforms.modeling.classification import classification_statistics
from transforms.modeling.fairness import metric_by_group
from transforms.modeling.metrics import PREDICTION, baseline_metrics, regression_metrics
from transforms.modeling.report import Assessment, Residual
from transforms.modeling.statistics import feature_importance, vector_slot_names
from transforms.modeling.tuning import TuningResult

# Test rows of a regressor drawn in the residual plot.
RESIDUAL_SAMPLE = 2000


@dataclass(frozen=True)
class AssessmentPlan:
    """What the assessment measures: the task, label and metric, the business terms (a value
    matrix for a classifier; tolerance, value and cost of errors for a regressor) and the
    protected attributes to report the metric by."""

    title: str
    task: str
    label: str
    metric: str
    matrix: ValueMatrix | None = None
    tolerance: float = 0.1
    value_within_tolerance: float = 0.0
    cost_per_unit_error: float = 0.0
    protected: tuple[str, ...] = ()


@dataclass(frozen=True)
class CandidateFigures:
    """One candidate on the test split: its metrics, business figures and (classification) the
    statistics behind the plots, threshold included."""

    metrics: dict[str, float]
    business: dict[str, float]
    stats: dict[str, Any]


def assess_candidate(plan: AssessmentPlan, result: TuningResult, scored: DataFrame) -> CandidateFigures:
    """Test metrics and business figures of one candidate from its scored test rows."""
    if plan.task == "regression":
        business = regression_value(scored, plan.label, plan.tolerance, plan.value_within_tolerance,
                                    plan.cost_per_unit_error)
        return CandidateFigures(regression_metrics(scored, plan.label), business, {})
    threshold = candidate_threshold(result, plan.matrix)
    stats = classification_statistics(scored, plan.label, threshold)
    business = policy_values(stats["histogram"], threshold, plan.matrix) if plan.matrix else {}
    return CandidateFigures(stats["metrics"], {f"value_{k}": v for k, v in business.items()}, stats)


def assess_all(plan: AssessmentPlan, results: list[TuningResult], best: TuningResult, train_rows: DataFrame,
               test_rows: DataFrame, lineage: dict[str, str]) -> Assessment:
    """Every candidate on `test_rows` (in `Assessment.candidates`); the best in full."""
    assessment = Assessment(
        title=plan.title, task=plan.task, metric=plan.metric, lineage=sorted(lineage.items()),
        comparison=[{"candidate": r.candidate.name, "params": str(row["params"]), "mean": row["mean"],
                     "std": row["std"], "best": r is best and row["params"] == best.best_params}
                    for r in results for row in r.rows],
        best=best.candidate.name, test_metrics={},
        baseline_metrics=baseline_metrics(train_rows, test_rows, plan.task, plan.label),
    )
    for result in results:
        scored = result.model.transform(test_rows).cache()
        figures = assess_candidate(plan, result, scored)
        assessment.candidates.append({
            "candidate": result.candidate.name, "params": result.best_params, "cv_mean": result.best_mean,
            "cv_std": result.best_std, "threshold": figures.stats.get("threshold"), "test": figures.metrics,
            "business": figures.business,
        })
        if result is best:
            _fill_best(plan, assessment, result, scored, figures)
        scored.unpersist()
    return assessment


def _fill_best(plan: AssessmentPlan, assessment: Assessment, best: TuningResult, scored: DataFrame,
               figures: CandidateFigures) -> None:
    assessment.test_metrics, assessment.business = figures.metrics, figures.business
    assessment.kept_features = vector_slot_names(scored, FEATURES_COLUMN)
    assessment.importance = feature_importance(best.estimator, assessment.kept_features)
    stats = figures.stats
    if stats:
        assessment.threshold, assessment.confusion = stats["threshold"], stats["confusion"]
        assessment.curves, assessment.calibration, assessment.deciles = stats["curves"], stats["calibration"], stats["deciles"]
    else:
        sample = scored.select(plan.label, PREDICTION).limit(RESIDUAL_SAMPLE).collect()
        assessment.residuals = [Residual(float(row[plan.label]), float(row[PREDICTION])) for row in sample]
    if plan.protected:
        # The scored frame carries the raw input columns, protected attributes included.
        assessment.fairness = metric_by_group(scored, list(plan.protected), plan.task, plan.metric, plan.label)
