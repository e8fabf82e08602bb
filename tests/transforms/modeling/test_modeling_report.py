"""The HTML assessment is one self-contained page with the sections of its task."""

from __future__ import annotations

from transforms.modeling.classification import calibration, curves, lift_by_decile
from transforms.modeling.report import Assessment, Residual, render_assessment
from transforms.modeling.scores import ScoreBin, confusion

COMPARISON = [{"candidate": "lasso", "params": "{'regParam': 0.1}", "mean": 3.0, "std": 0.2, "best": False},
              {"candidate": "lasso", "params": "{'regParam': 0.0}", "mean": 2.0, "std": 0.1, "best": True}]


def test_regression_report_has_residuals_importance_and_no_external_files() -> None:
    page = render_assessment(Assessment(
        title="A", task="regression", metric="rmse", lineage=[("git_commit", "abc")], comparison=COMPARISON,
        best="lasso", test_metrics={"rmse": 2.1}, baseline_metrics={"rmse": 5.0},
        business={"within_tolerance": 0.7}, importance=[("x1", 0.8), ("x2", 0.2)],
        fairness=[{"attribute": "sex", "group": "f", "rows": 3, "rmse": 1.0}], residuals=[Residual(1.0, 1.2), Residual(2.0, 1.7)]))
    assert page.count("★") == 1 and "★ lasso</td><td>{&#x27;regParam&#x27;: 0.0}" in page
    assert page.count("data:image/png;base64,") == 2  # residuals, importance
    assert "Classification at threshold" not in page
    assert "src=\"http" not in page and "<script" not in page


def test_classification_report_has_its_five_plots_and_decile_table() -> None:
    histogram = [ScoreBin(0.9, 3, 0, 2.7), ScoreBin(0.7, 1, 1, 1.4), ScoreBin(0.2, 0, 5, 1.0)]
    page = render_assessment(Assessment(
        title="C", task="classification", metric="roc_auc", lineage=[], comparison=COMPARISON, best="lasso",
        test_metrics={"roc_auc": 0.9}, baseline_metrics={"roc_auc": 0.5}, threshold=0.5,
        confusion=confusion(histogram, 0.5), curves=curves(histogram), calibration=calibration(histogram),
        deciles=lift_by_decile(histogram)))
    assert "Classification at threshold 0.500" in page
    assert page.count("data:image/png;base64,") == 5  # ROC, PR, confusion, calibration, gains
    assert "cumulative gain" in page


def test_defaults_are_named_at_the_top_and_escaped() -> None:
    base = {"title": "D", "task": "regression", "metric": "rmse", "lineage": [], "comparison": COMPARISON,
            "best": "lasso", "test_metrics": {"rmse": 2.0}, "baseline_metrics": {"rmse": 5.0}}
    page = render_assessment(Assessment(**base, defaults=["default pipeline: assemble (1); left out: a<b (only nulls)",
                                                          "default candidates: linear_regression (6 grid points)"]))
    assert "<p>default pipeline: assemble (1); left out: a&lt;b (only nulls)</p>" in page
    assert page.index("default candidates: linear_regression") < page.index("<h2>Candidates")
    assert "default pipeline" not in render_assessment(Assessment(**base))
