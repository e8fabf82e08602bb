"""The profile as one self-contained HTML page: tables and matplotlib plots inlined as PNG.

`render_report` is a pure function of the (small) profile; writing the file is the job's I/O.
Key, identifier and bookkeeping columns are listed with their counts but get no plot.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from transforms.profiling.result import ColumnProfile, TableProfile
from transforms.reporting.html import html_page, html_table, new_figure, png_image
from transforms.reporting.numbers import COUNT, FRACTION, ID, NUMBER, PERCENT, format_number

MAX_HEATMAP_COLUMNS = 40
MAX_BARS = 30
_INTEGRAL_TYPES = frozenset({"tinyint", "smallint", "int", "bigint"})


def _flags(flags: list[str]) -> str:
    return "".join(f"<span class='flag'>{escape(f)}</span>" for f in flags)


def _value_kind(column: ColumnProfile) -> str:
    """How a column's own values read: an id as plain digits, an integer column's as counts."""
    if column.role in ("key", "identifier"):
        return ID
    return COUNT if column.data_type in _INTEGRAL_TYPES else NUMBER


def _plotted(profile: TableProfile) -> list[ColumnProfile]:
    return [c for c in profile.columns if not c.listed_only]


def _missingness_plot(profile: TableProfile) -> str:
    missing = sorted((c for c in _plotted(profile) if c.nulls), key=lambda c: -c.null_pct)[:MAX_BARS]
    if not missing:
        return "<p>No column has missing values.</p>"
    figure, axes = new_figure(8, 0.25 * len(missing) + 1)
    axes.barh([c.column for c in missing][::-1], [c.null_pct for c in missing][::-1], color="#d9534f")
    axes.set_xlabel("% missing")
    axes.set_title("Missing values")
    return png_image(figure)


def _target_plot(profile: TableProfile) -> str:
    scored = [c for c in _plotted(profile) if c.target_score is not None]
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


def _period_plot(column: ColumnProfile) -> str:
    periods = column.periods
    figure, axes = new_figure(5, 2.6)
    axes.bar(range(len(periods)), [p["count"] for p in periods], color="#8e6cc0")
    step = max(1, len(periods) // 12)  # at most about a dozen labels
    axes.set_xticks(range(0, len(periods), step), [p["start"] for p in periods][::step], rotation=90, fontsize=7)
    axes.set_title(f"{column.column}: rows per {column.period}")
    axes.set_ylabel("rows")
    means = [(i, p["target_mean"]) for i, p in enumerate(periods) if p["target_mean"] is not None]
    if means and column.target_metric:
        twin = axes.twinx()
        twin.plot([i for i, _ in means], [m for _, m in means], "o-", color="#d9534f", ms=3)
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


def _statistics(column: ColumnProfile) -> tuple[list[tuple[str, object, str]], str]:
    """The column's (statistic, value, number kind) rows and its plot."""
    values = _value_kind(column)
    stats = [("count", column.count, COUNT), ("nulls", column.nulls, COUNT), ("null %", column.null_pct, PERCENT),
             ("approx. distinct", column.approx_distinct, COUNT)]
    if column.listed_only:
        # A row's name or bookkeeping: its range says what it holds; moments and plots do not.
        if column.min is not None:
            stats += [("min", column.min, values), ("max", column.max, values)]
        elif column.min_value is not None:
            stats += [("from", column.min_value, NUMBER), ("to", column.max_value, NUMBER)]
        return stats, ""
    plots = ""
    if column.kind == "numeric" and column.count:
        stats += [("min", column.min, values), ("max", column.max, values), ("mean", column.mean, NUMBER),
                  ("std", column.std, NUMBER), ("skew", column.skew, NUMBER), ("zeros %", column.zeros_pct, PERCENT),
                  ("IQR outliers %", column.outliers_pct, PERCENT)]
        stats += [(name, value, values) for name, value in column.quantiles.items()]
        plots = _histogram_plot(column)
    elif column.kind == "categorical" and column.top_categories:
        stats += [("levels", column.n_levels, COUNT), ("rare levels", column.n_rare_levels, COUNT),
                  ("rarest levels", ", ".join(column.rare_levels), NUMBER)]
        plots = _category_plot(column)
    elif column.kind == "temporal":
        stats += [("from", column.min_value, NUMBER), ("to", column.max_value, NUMBER)]
        plots = _period_plot(column) if column.periods else ""
    if column.target_metric:
        stats += [(f"target {column.target_metric}", column.target_score, NUMBER),
                  ("target corr", column.target_corr, NUMBER),
                  ("mean target if missing", column.target_mean_if_missing, NUMBER),
                  ("mean target if present", column.target_mean_if_present, NUMBER)]
    return stats, plots


def _column_section(column: ColumnProfile) -> str:
    stats, plots = _statistics(column)
    table = html_table(["statistic", "value"], [[name, format_number(v, kind)] for name, v, kind in stats])
    return (f"<div class='col'><h3 id='{_anchor(column)}'>{escape(column.column)}</h3>"
            f"<p class='meta'>{escape(column.data_type)} · {escape(column.kind)} · {escape(column.role)} "
            f"{_flags(column.flags)}</p><div class='plots'>{table}{plots}</div></div>")


def _anchor(column: ColumnProfile) -> str:
    # By position: any text is a column name, but an id must be unique and free of spaces.
    return f"col-{column.position}"


def _overview_row(c: ColumnProfile) -> list[object]:
    described = not c.listed_only
    low, high = (c.min, c.max) if c.min is not None else (c.min_value, c.max_value)
    return [c.column, c.data_type, c.role, format_number(c.null_pct, PERCENT), format_number(c.approx_distinct, COUNT),
            c.mean if described else None, c.std if described else None,
            format_number(low, _value_kind(c)), format_number(high, _value_kind(c)), c.target_score]


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
        ["table", profile.source_table], ["Delta version", format_number(profile.source_version, ID)],
        ["run", profile.run_id], ["profiled at (UTC)", profile.profiled_at.strftime("%Y-%m-%d %H:%M:%S")],
        ["rows", profile.rows], ["columns profiled", len(profile.columns)],
        ["target", f"{profile.target} ({profile.task})" if profile.target else "none"],
        ["passes over the data", f"{profile.passes}: {', '.join(profile.pass_names)}"],
        ["Spark jobs", profile.spark_jobs],
        ["quantile accuracy", f"{format_number(settings.quantile_accuracy)} "
                              f"(rank error ≤ n/{format_number(settings.quantile_accuracy)})"],
        ["distinct counts", f"numeric and temporal: HyperLogLog, relative s.d. {settings.distinct_rsd}; "
                            "categorical: exact (the level count)"],
        ["rare level", f"< {format_number(settings.rare_threshold, FRACTION)} of non-null rows"],
    ])
    governed = [c for c in profile.columns if c.role != "feature" or c.flags]
    governance = html_table(["column", "role", "flags"], [[c.column, c.role, ", ".join(c.flags)] for c in governed])
    overview = html_table(
        ["column", "type", "role", "null %", "distinct", "mean", "std", "min", "max", "target score"],
        [_overview_row(c) for c in profile.columns])
    missing_target = [c for c in profile.columns if c.nulls and c.target_mean_if_missing is not None]
    missing_target_table = html_table(
        ["column", "null %", "mean target if missing", "mean target if present"],
        [[c.column, c.null_pct, c.target_mean_if_missing, c.target_mean_if_present] for c in missing_target],
        kinds=[NUMBER, PERCENT],
    ) if missing_target else ""
    sections = "".join(_column_section(c) for c in profile.columns)
    return html_page(f"Profile of {profile.source_table}", f"""
{header}
{_source_section(source)}
<h2>Variables that may not be used, and data warnings</h2>
<p>Roles come from the use case's config (identifiers, leaks, protected attributes); the feature
job refuses a feature list that uses them. Flags such as <em>possible_leak</em> are computed.
Key, identifier and bookkeeping (<code>_…</code>) columns are listed with their counts, not plotted,
correlated or related to the target.</p>
{governance}
<h2>Overview</h2>{overview}
<h2>Missing values</h2>{_missingness_plot(profile)}{missing_target_table}
<h2>Relation to the target</h2>{_target_plot(profile)}
<h2>Correlations</h2>{_heatmap(profile)}
<h2>Columns</h2>{sections}
""")
