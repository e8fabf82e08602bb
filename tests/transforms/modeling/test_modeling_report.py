"""The HTML assessment is one self-contained page with the sections of its task."""

from __future__ import annotations

import re

from transforms.modeling.classification import calibration, curves, lift_by_decile
from transforms.modeling.report import Assessment, Residual, render_assessment
from transforms.modeling.scores import ScoreBin, confusion

COMPARISON = [{"candidate": "lasso", "params": "{'regParam': 0.1}", "mean": 3.0, "std": 0.2, "best": False},
              {"candidate": "lasso", "params": "{'regParam': 0.0}", "mean": 2.0, "std": 0.1, "best": True}]


def _classification_page(histogram: list[ScoreBin]) -> str:
    return render_assessment(Assessment(
        title="C", task="classification", metric="roc_auc", lineage=[], comparison=COMPARISON, best="lasso",
        test_metrics={"roc_auc": 0.9}, baseline_metrics={"roc_auc": 0.5}, threshold=0.5,
        confusion=confusion(histogram, 0.5), curves=curves(histogram), calibration=calibration(histogram),
        deciles=lift_by_decile(histogram)))


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
    page = _classification_page(histogram)
    assert "Classification at threshold 0.5000" in page
    assert page.count("data:image/png;base64,") == 5  # ROC, PR, confusion, calibration, gains
    assert "cumulative gain" in page


def test_report_numbers_read_as_people_write_them() -> None:
    page = render_assessment(Assessment(
        title="H", task="regression", metric="rmse", lineage=[("source_version", "20000")], comparison=COMPARISON,
        best="lasso", test_metrics={"rmse": 37960.123, "r2": 0.855213}, baseline_metrics={"rmse": 79415.9, "r2": 0.0},
        fairness=[{"attribute": "sex", "group": "f", "rows": 1460.0, "rmse": 1.2e-05}]))
    assert "<td class='l'>rmse</td><td>37,960</td><td>79,416</td>" in page  # 79,415.9 rounds up
    assert "<td class='l'>r2</td><td>0.8552</td><td>0</td>" in page
    assert "<td>20000</td>" in page and "<td>1,460</td><td>1.2e-05</td>" in page
    assert "e+04" not in page


def test_classification_shares_are_percentages() -> None:
    histogram = [ScoreBin(0.9, 3, 0, 2.7), ScoreBin(0.2, 1, 5, 1.0)]
    page = _classification_page(histogram)
    # the top decile (0.9 of 9 rows) is all positives: rate 100%, lift 1 / (4/9), 0.9 of the 4 positives
    assert "<td class='l'>1</td><td>1</td><td>1</td><td>100.0%</td><td>2.250</td><td>22.5%</td>" in page


def test_contents_link_every_section() -> None:
    page = render_assessment(Assessment(
        title="A", task="regression", metric="rmse", lineage=[], comparison=COMPARISON, best="lasso",
        test_metrics={"rmse": 2.1}, baseline_metrics={"rmse": 5.0}, importance=[("x1", 0.8)]))
    contents = page.split("<nav class='toc'>", 1)[1].split("</nav>", 1)[0]
    targets = re.findall(r"href='#([^']+)'", contents)
    ids = re.findall(r"\sid='([^']+)'", page)
    assert len(targets) == page.count("<h2") == 5 and set(targets) <= set(ids)
    assert "Best candidate on the held-out test split: lasso" in contents
    assert page.index("<nav class='toc'>") < page.index("<h2")


def test_defaults_are_named_at_the_top_and_escaped() -> None:
    base = {"title": "D", "task": "regression", "metric": "rmse", "lineage": [], "comparison": COMPARISON,
            "best": "lasso", "test_metrics": {"rmse": 2.0}, "baseline_metrics": {"rmse": 5.0}}
    page = render_assessment(Assessment(**base, defaults=["default pipeline: assemble (1); left out: a<b (only nulls)",
                                                          "default candidates: linear_regression (6 grid points)"]))
    assert "<p>default pipeline: assemble (1); left out: a&lt;b (only nulls)</p>" in page
    assert page.index("default candidates: linear_regression") < re.search(r"<h2[^>]*>Candidates", page).start()
    assert "default pipeline" not in render_assessment(Assessment(**base))
