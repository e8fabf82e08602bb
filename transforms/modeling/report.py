"""The assessment as one self-contained HTML page (plots inlined as PNG).

`render_assessment` is a pure function of small, already-computed statistics; the train job
writes the file and logs it to MLflow. Page helpers are the profiling report's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from transforms.reporting.html import html_page, html_table, new_figure, png_image
from transforms.reporting.numbers import COUNT, FRACTION, ID, NUMBER, format_number

TOP_FEATURES = 25


@dataclass(frozen=True)
class Residual:
    """One test row of a regressor: the truth and the prediction."""

    label: float
    prediction: float


@dataclass
class Assessment:
    """Everything the report shows; lists of plain rows, nothing lazy."""

    title: str
    task: str
    metric: str
    lineage: list[tuple[str, object]]
    comparison: list[dict[str, Any]]
    best: str
    test_metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    business: dict[str, float] = field(default_factory=dict)
    importance: list[tuple[str, float]] = field(default_factory=list)
    fairness: list[dict[str, Any]] = field(default_factory=list)
    # Classification only.
    threshold: float | None = None
    confusion: dict[str, int] = field(default_factory=dict)
    curves: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    calibration: list[dict[str, float]] = field(default_factory=list)
    deciles: list[dict[str, float]] = field(default_factory=list)
    # Regression only: a sample of the test rows.
    residuals: list[Residual] = field(default_factory=list)
    # Every candidate on the test split: {"candidate", "params", "cv_mean", "cv_std",
    # "threshold", "test": {metric: value}, "business": {figure: value}}.
    candidates: list[dict[str, Any]] = field(default_factory=list)
    # The slots the estimator of the best candidate reads (after any selection).
    kept_features: list[str] = field(default_factory=list)
    # "default pipeline: …" / "default candidates: …" where the use case configured none, and
    # "train.outliers: …" (the training rows left out) where the rule is on.
    defaults: list[str] = field(default_factory=list)


def _line_plot(points: list[tuple[float, float]], xlabel: str, ylabel: str, title: str,
               diagonal: bool = False) -> str:
    figure, axes = new_figure(4, 3.2)
    axes.plot([p[0] for p in points], [p[1] for p in points])
    if diagonal:
        axes.plot([0, 1], [0, 1], linestyle="--", color="grey")
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title)
    return png_image(figure)


def _confusion_plot(counts: dict[str, int], threshold: float) -> str:
    figure, axes = new_figure(3.2, 3)
    cells = [[counts["tn"], counts["fp"]], [counts["fn"], counts["tp"]]]
    axes.imshow(cells, cmap="Blues")
    for i in range(2):
        for j in range(2):
            axes.text(j, i, format_number(cells[i][j], COUNT), ha="center", va="center")
    axes.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["pred 0", "pred 1"], yticklabels=["true 0", "true 1"],
             title=f"Confusion at threshold {format_number(threshold)}")
    return png_image(figure)


def _gains_plot(deciles: list[dict[str, float]]) -> str:
    figure, axes = new_figure(4, 3.2)
    share = [0.0] + [d["decile"] / len(deciles) for d in deciles]
    axes.plot(share, [0.0] + [d["cumulative_gain"] for d in deciles], marker="o", label="model")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
    twin = axes.twinx()
    twin.bar([d["decile"] / len(deciles) - 0.05 for d in deciles], [d["lift"] for d in deciles],
             width=0.08, alpha=0.3, color="orange")
    twin.set_ylabel("lift (bars)")
    axes.set(xlabel="share targeted", ylabel="cumulative gain", title="Gains and lift by decile")
    axes.legend(loc="lower right")
    return png_image(figure)


def _residual_plot(residuals: list[Residual]) -> str:
    figure, axes = new_figure(4, 3.2)
    axes.scatter([r.prediction for r in residuals], [r.label - r.prediction for r in residuals], s=6, alpha=0.6)
    axes.axhline(0, color="grey", linestyle="--")
    axes.set(xlabel="prediction", ylabel="label - prediction", title="Residuals (test)")
    return png_image(figure)


def _importance_plot(importance: list[tuple[str, float]]) -> str:
    top = importance[:TOP_FEATURES][::-1]
    figure, axes = new_figure(5, 0.25 * len(top) + 1)
    axes.barh([name for name, _ in top], [value for _, value in top])
    axes.set(title="Feature importance", xlabel="importance")
    return png_image(figure)


def _classification_section(a: Assessment) -> str:
    if a.threshold is None:
        return ""
    plots = "".join([
        _line_plot(a.curves["roc"], "false positive rate", "true positive rate", "ROC", diagonal=True),
        _line_plot(a.curves["pr"], "recall", "precision", "Precision-recall"),
        _confusion_plot(a.confusion, a.threshold),
        _line_plot([(c["mean_predicted"], c["observed_rate"]) for c in a.calibration],
                   "mean predicted", "observed rate", "Calibration", diagonal=True),
        _gains_plot(a.deciles) if a.deciles else "",
    ])
    deciles = html_table(["decile", "rows", "positives", "positive rate", "lift", "cumulative gain"],
                     [[d["decile"], d["rows"], d["positives"], d["positive_rate"], d["lift"], d["cumulative_gain"]]
                      for d in a.deciles], kinds=[COUNT, COUNT, COUNT, FRACTION, NUMBER, FRACTION])
    return (f"<h2>Classification at threshold {format_number(a.threshold)}</h2>"
            f"<div class='plots'>{plots}</div>{deciles}")


def _candidates_table(a: Assessment) -> str:
    if not a.candidates:
        return ""
    metrics = list(a.candidates[0]["test"])
    value = "value_model" if any("value_model" in c["business"] for c in a.candidates) else None
    headers = ["candidate", "chosen parameters", f"CV {a.metric} mean", "CV std",
               *[f"test {m}" for m in metrics], *(["threshold", "test value"] if value else [])]
    rows = [[("★ " if c["candidate"] == a.best else "") + c["candidate"], str(c["params"]), c["cv_mean"], c["cv_std"],
             *[c["test"].get(m) for m in metrics],
             *([c["threshold"], c["business"].get(value)] if value else [])] for c in a.candidates]
    return html_table(headers, rows)


def render_assessment(a: Assessment) -> str:
    """The whole assessment as one HTML string."""
    comparison = html_table(
        ["candidate", "parameters", f"CV {a.metric} mean", "std"],
        [[("★ " if row.get("best") else "") + row["candidate"], row["params"], row["mean"], row["std"]]
         for row in a.comparison])
    metrics = html_table(["metric", "model (test)", "constant baseline (test)"],
                     [[k, v, a.baseline_metrics.get(k)] for k, v in a.test_metrics.items()])
    business = html_table(["figure", "value"], [[k, v] for k, v in a.business.items()]) if a.business else "<p>none configured</p>"
    fairness = html_table(list(a.fairness[0]), [list(r.values()) for r in a.fairness],
                          kinds=[COUNT if name == "rows" else NUMBER for name in a.fairness[0]]
                          ) if a.fairness else "<p>no protected attributes</p>"
    residuals = f"<div class='plots'>{_residual_plot(a.residuals)}</div>" if a.residuals else ""
    kept = (f"<p>{len(a.kept_features)} features reach the estimator: "
            f"{escape(', '.join(a.kept_features))}</p>") if a.kept_features else ""
    importance = f"<div class='plots'>{_importance_plot(a.importance)}</div>" if a.importance else ""
    return html_page(a.title, f"""
{html_table(["", ""], [[k, v] for k, v in a.lineage], kinds=[NUMBER, ID])}
{"".join(f"<p>{escape(line)}</p>" for line in a.defaults)}
<h2>Candidates on the held-out test split (each tuned on the training split only)</h2>{_candidates_table(a)}
<h2>Grid points (cross-validation on the training split)</h2>{comparison}
<h2>Best candidate on the held-out test split: {escape(a.best)}</h2>{metrics}{kept}
<h2>Business assessment</h2>{business}
{_classification_section(a)}{residuals}
<h2>Fairness: {escape(a.metric)} per group of each protected attribute</h2>{fairness}
{importance}
""")
