"""The profile as one self-contained HTML page: tables and matplotlib plots inlined as PNG.

`render_report` is a pure function of the (small) profile; writing the file is the job's I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from transforms.profiling.result import ColumnProfile, TableProfile
from transforms.reporting.html import STYLE, html_table, new_figure, png_image

MAX_HEATMAP_COLUMNS = 40
MAX_BARS = 30


def _flags(flags: list[str]) -> str:
    return "".join(f"<span class='flag'>{escape(f)}</span>" for f in flags)


def _missingness_plot(profile: TableProfile) -> str:
    missing = sorted((c for c in profile.columns if c.nulls), key=lambda c: -c.null_pct)[:MAX_BARS]
    if not missing:
        return "<p>No column has missing values.</p>"
    figure, axes = new_figure(8, 0.25 * len(missing) + 1)
    axes.barh([c.column for c in missing][::-1], [c.null_pct for c in missing][::-1], color="#d9534f")
    axes.set_xlabel("% missing")
    axes.set_title("Missing values")
    return png_image(figure)


def _target_plot(profile: TableProfile) -> str:
    scored = [c for c in profile.columns if c.target_score is not None]
    if not scored:
        return "<p>No target relation (the table has no target column).</p>"
    metric = scored[0].target_metric

    def strength(c: ColumnProfile) -> float:
        return abs(c.target_score - 0.5) * 2 if metric == "roc_auc" else c.target_score

    top = sorted(scored, key=strength, reverse=True)[:MAX_BARS]
    figure, axes = new_figure(8, 0.25 * len(top) + 1)
    colors = ["#d9534f" if set(c.flags) & {"leak", "protected", "identifier"} else "#337ab7" for c in top]
    axes.barh([c.column for c in top][::-1], [c.target_score for c in top][::-1], color=colors[::-1])
    axes.set_xlabel(f"single-feature {metric}")
    if metric == "roc_auc":
        axes.axvline(0.5, color="#999", lw=1)
    axes.set_title(f"Relation to {profile.target} (red: may not be used)")
    return png_image(figure)


def _heatmap(profile: TableProfile) -> str:
    names, matrix = profile.correlation_matrix()
    if len(names) < 2:
        return "<p>Fewer than two numeric columns: no correlation matrix.</p>"
    if len(names) > MAX_HEATMAP_COLUMNS:
        keep = set(sorted(names, key=lambda n: -abs(profile.column(n).target_corr or 0))[:MAX_HEATMAP_COLUMNS])
        index = [i for i, n in enumerate(names) if n in keep]
        names = [names[i] for i in index]
        matrix = [[matrix[i][j] for j in index] for i in index]
    values = [[float("nan") if v is None else v for v in row] for row in matrix]
    size = 0.22 * len(names) + 2
    figure, axes = new_figure(size + 1, size)
    image = axes.imshow(values, cmap="RdBu_r", vmin=-1, vmax=1)
    axes.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    axes.set_yticks(range(len(names)), names, fontsize=7)
    figure.colorbar(image, ax=axes, shrink=0.7)
    axes.set_title("Pearson correlation (missing values at the column mean)")
    return png_image(figure)


def _histogram_plot(column: ColumnProfile) -> str:
    bins = column.histogram
    figure, axes = new_figure(5, 2.6)
    axes.bar([b["lower"] for b in bins], [b["count"] for b in bins],
             width=[b["upper"] - b["lower"] or 1 for b in bins], align="edge", color="#5b9bd5")
    axes.set_title(f"{column.column}: histogram")
    axes.set_ylabel("rows")
    means = [(b["lower"] + (b["upper"] - b["lower"]) / 2, b["target_mean"]) for b in bins
             if b["target_mean"] is not None]
    if means and column.target_metric:
        twin = axes.twinx()
        twin.plot([x for x, _ in means], [y for _, y in means], "o-", color="#d9534f", ms=3)
        twin.set_ylabel("mean target", color="#d9534f")
    return png_image(figure)


def _category_plot(column: ColumnProfile) -> str:
    top = column.top_categories
    figure, axes = new_figure(5, 0.22 * len(top) + 1)
    axes.barh([str(c["value"]) for c in top][::-1], [c["count"] for c in top][::-1], color="#70ad47")
    axes.set_title(f"{column.column}: top {len(top)} of {column.n_levels} levels")
    axes.set_xlabel("rows")
    means = [c["target_mean"] for c in top]
    if column.target_metric and all(m is not None for m in means):
        twin = axes.twiny()
        twin.plot(means[::-1], range(len(top)), "o", color="#d9534f", ms=4)
        twin.set_xlabel("mean target", color="#d9534f")
    return png_image(figure)


def _column_section(column: ColumnProfile) -> str:
    stats = [["count", column.count], ["nulls", column.nulls], ["null %", column.null_pct],
             ["approx. distinct", column.approx_distinct]]
    plots = ""
    if column.kind == "numeric" and column.count:
        stats += [["min", column.min], ["max", column.max], ["mean", column.mean],
                  ["std", column.std], ["skew", column.skew], ["zeros %", column.zeros_pct],
                  ["IQR outliers %", column.outliers_pct]]
        stats += [[name, value] for name, value in column.quantiles.items()]
        plots = _histogram_plot(column)
    elif column.kind == "categorical" and column.top_categories:
        stats += [["levels", column.n_levels], ["rare levels", column.n_rare_levels],
                  ["rarest levels", ", ".join(column.rare_levels)]]
        plots = _category_plot(column)
    elif column.kind == "temporal":
        stats += [["from", column.min_value], ["to", column.max_value]]
    if column.target_metric:
        stats += [[f"target {column.target_metric}", column.target_score],
                  ["target corr", column.target_corr],
                  ["mean target if missing", column.target_mean_if_missing],
                  ["mean target if present", column.target_mean_if_present]]
    return (f"<div class='col' id='col-{escape(column.column)}'><h3>{escape(column.column)} "
            f"<small>{escape(column.data_type)} · {escape(column.kind)} · {escape(column.role)}</small> "
            f"{_flags(column.flags)}</h3><div class='plots'>{html_table(['statistic', 'value'], stats)}"
            f"{plots}</div></div>")


def _source_section(source: Mapping[str, str | None] | None) -> str:
    """The contract of the table's source (the data-gathering questions), or nothing if none."""
    if source is None:
        return ""
    answers = [[key.replace("_", " "), value] for key, value in source.items() if key != "source" and value]
    body = html_table(["", ""], answers) if answers else "<p>Its config has no <code>contract:</code> block.</p>"
    return f"<h2>Source</h2><p>Source <em>{escape(str(source['source']))}</em>.</p>{body}"


def render_report(profile: TableProfile, source: Mapping[str, str | None] | None = None) -> str:
    """The whole report as one HTML string (plots inlined; no external files or scripts).

    `source`: the contract of the table's source (`source` names it), shown in a Source section.
    """
    settings = profile.settings
    header = html_table(["", ""], [
        ["table", profile.source_table], ["Delta version", profile.source_version],
        ["run", profile.run_id], ["profiled at (UTC)", profile.profiled_at.strftime("%Y-%m-%d %H:%M:%S")],
        ["rows", profile.rows], ["columns profiled", len(profile.columns)],
        ["target", f"{profile.target} ({profile.task})" if profile.target else "none"],
        ["passes over the data", f"{profile.passes}: {', '.join(profile.pass_names)}"],
        ["Spark jobs", profile.spark_jobs],
        ["quantile accuracy", f"{settings.quantile_accuracy} (rank error ≤ n/{settings.quantile_accuracy})"],
        ["distinct counts", f"numeric and temporal: HyperLogLog, relative s.d. {settings.distinct_rsd}; "
                            "categorical: exact (the level count)"],
        ["rare level", f"< {settings.rare_threshold:.1%} of non-null rows"],
    ])
    governed = [c for c in profile.columns if c.role != "feature" or c.flags]
    governance = html_table(["column", "role", "flags"], [[c.column, c.role, ", ".join(c.flags)] for c in governed])
    overview = html_table(
        ["column", "type", "role", "null %", "distinct", "mean", "std", "min", "max", "target score"],
        [[f"{c.column}", c.data_type, c.role, c.null_pct, c.approx_distinct, c.mean, c.std,
          c.min if c.min is not None else c.min_value, c.max if c.max is not None else c.max_value,
          c.target_score] for c in profile.columns])
    missing_target = [c for c in profile.columns if c.nulls and c.target_mean_if_missing is not None]
    missing_target_table = html_table(
        ["column", "null %", "mean target if missing", "mean target if present"],
        [[c.column, c.null_pct, c.target_mean_if_missing, c.target_mean_if_present] for c in missing_target],
    ) if missing_target else ""
    sections = "".join(_column_section(c) for c in profile.columns)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Profile of {escape(profile.source_table)}</title>
<style>{STYLE}</style></head><body>
<h1>Profile of {escape(profile.source_table)}</h1>
{header}
{_source_section(source)}
<h2>Variables that may not be used, and data warnings</h2>
<p>Roles come from the use case's config (identifiers, leaks, protected attributes); the feature
job refuses a feature list that uses them. Flags such as <em>possible_leak</em> are computed.</p>
{governance}
<h2>Overview</h2>{overview}
<h2>Missing values</h2>{_missingness_plot(profile)}{missing_target_table}
<h2>Relation to the target</h2>{_target_plot(profile)}
<h2>Correlations</h2>{_heatmap(profile)}
<h2>Columns</h2>{sections}
</body></html>"""
