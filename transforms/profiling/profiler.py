"""Profile any DataFrame in two passes, whatever its number of columns.

Pass 1 (`summary`) is one grouped aggregation over a stacked frame; pass 2 (`distributions`)
one grouped count over another, placed by what pass 1 learned (ranges, quartiles); pass 3
(`correlation`) one Gramian aggregation of the numeric columns. Nothing is cached and no row
of the source reaches the driver: only the aggregates of each pass do.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timezone
from typing import Any

from pyspark.sql import DataFrame

from transforms.profiling import correlation, relations, summary
from transforms.profiling import distributions as dist
from transforms.profiling.columns import (
    CATEGORICAL,
    NUMERIC,
    TEMPORAL,
    ProfiledColumn,
    prepare,
    profiled_columns,
)
from transforms.profiling.passes import PassCounter
from transforms.profiling.result import ColumnProfile, TableProfile
from transforms.profiling.settings import REPORTED_QUANTILES, ProfileSettings

ROLE_ORDER = ("label", "leak", "protected", "identifier", "key")
LEAK_AUC, LEAK_R2 = 0.95, 0.9


def profile_frame(
    df: DataFrame,
    source_table: str,
    *,
    columns: list[str] | None = None,
    target: str | None = None,
    task: str | None = None,
    roles: dict[str, list[str]] | None = None,
    settings: ProfileSettings | None = None,
    source_version: int | None = None,
    run_id: str | None = None,
) -> TableProfile:
    """Profile `columns` of `df` (default: all); relate them to `target` when `df` has it.

    `task` is "classification" (a 0/1 target: ROC-AUC) or "regression" (R²); `roles` maps a
    column to the governance roles it has (identifier, leak, protected, key, label).
    """
    settings = settings or ProfileSettings()
    profiled = profiled_columns(df, columns if columns is not None else df.columns)
    target = target if target in df.columns else None
    counter = PassCounter(df.sparkSession)
    prepared = prepare(df, profiled, target)

    summaries = summary.by_column(
        counter.collect(summary.summary_query(prepared, profiled, settings, target is not None),
                        "summary"), profiled)
    if not summaries:
        raise ValueError(f"table {source_table} has no rows to profile")
    totals = summaries[0]  # target figures and row count are the same in every column's row
    binary = task == "classification" and _is_binary(totals)
    probabilities = settings.quantile_probabilities
    bounds = {
        c.index: b for c in profiled if c.kind == NUMERIC
        if (b := dist.numeric_bounds(summaries[c.index], probabilities)) is not None
    }
    query = dist.distribution_query(prepared, profiled, bounds, settings, target is not None, binary)
    second = dist.by_column(counter.collect(query, "distributions")) if query is not None else {}
    pairs = _correlations(counter, prepared, [c for c in profiled if c.index in bounds], summaries)

    context = _TargetContext(target, task if target else None, binary, totals)
    column_profiles = [
        _column_profile(c, summaries[c.index], second.get(c.index, {}), totals["rows"], settings,
                        context, (roles or {}).get(c.name, []), pairs)
        for c in profiled
    ]
    return TableProfile(
        source_table=source_table, source_version=source_version,
        run_id=run_id or uuid.uuid4().hex, profiled_at=datetime.now(timezone.utc),
        rows=totals["rows"], target=target, task=context.task, passes=counter.passes,
        pass_names=counter.pass_names, spark_jobs=counter.spark_jobs, settings=settings,
        columns=column_profiles,
    )


def _is_binary(totals: dict[str, Any]) -> bool:
    return totals["target_count"] > 0 and {totals["target_min"], totals["target_max"]} <= {0.0, 1.0}


def _correlations(counter: PassCounter, prepared: DataFrame, numeric: list[ProfiledColumn],
                  summaries: dict[int, dict[str, Any]]) -> dict[tuple[str, str], float]:
    if len(numeric) < 2:
        return {}
    vectors = correlation.centred_vectors(prepared, numeric, {c.index: summaries[c.index]["mean"] for c in numeric})
    return counter.run("correlation", lambda: correlation.correlation_pairs(vectors, numeric))


class _TargetContext:
    def __init__(self, name: str | None, task: str | None, binary: bool, totals: dict[str, Any]):
        self.name, self.task, self.binary = name, task, binary
        variance, count = totals["target_var"], totals["target_count"]
        self.total_ss = variance * (count - 1) if variance is not None and count > 1 else None


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _pct(part: float | None, whole: int) -> float | None:
    return 100.0 * part / whole if whole and part is not None else None


def _column_profile(column: ProfiledColumn, stats: dict[str, Any], counts: dict[str, list[dict]],
                    rows: int, settings: ProfileSettings, target: _TargetContext, roles: list[str],
                    pairs: dict[tuple[str, str], float]) -> ColumnProfile:
    count = stats["count"]
    profile = ColumnProfile(
        position=column.index, column=column.name, data_type=column.data_type, kind=column.kind,
        role=next((r for r in ROLE_ORDER if r in roles), "feature"), flags=[], rows=rows,
        count=count, nulls=rows - count, null_pct=_pct(rows - count, rows) or 0.0,
        approx_distinct=stats.get("distinct"),
    )
    if column.kind == NUMERIC and count:
        _numeric_stats(profile, stats, counts, settings)
        profile.correlations = {b: v for (a, b), v in pairs.items() if a == column.name}
    elif column.kind == TEMPORAL:
        profile.min_value, profile.max_value = stats.get("min_value"), stats.get("max_value")
    elif column.kind == CATEGORICAL:
        _categorical_stats(profile, counts.get(dist.LEVEL, []), settings)
    if target.name and column.name != target.name:
        _target_relation(profile, column, stats, counts, target)
    profile.flags = sorted(set(roles)) + _data_flags(profile, target)
    return profile


def _numeric_stats(profile: ColumnProfile, stats: dict[str, Any], counts: dict[str, list[dict]],
                   settings: ProfileSettings) -> None:
    count = profile.count
    profile.min, profile.max = float(stats["min"]), float(stats["max"])
    profile.mean, profile.std = stats["mean"], _clean(stats["std"])
    profile.skew = summary.sample_skewness(stats["skewness"], count)
    profile.zeros_pct = _pct(stats["zeros"], count)
    profile.outliers_pct = _pct(sum(r["n"] for r in counts.get(dist.OUTLIER, [])), count)
    quantiles = dict(zip(settings.quantile_probabilities, stats["quantiles"], strict=True))
    profile.quantiles = {name: float(quantiles[p]) for name, p in REPORTED_QUANTILES}
    width = (profile.max - profile.min) / settings.histogram_bins
    buckets = {int(r["key"]): r for r in counts.get(dist.HISTOGRAM, [])}
    empty = {"n": 0, "t_n": 0, "t_sum": None}
    profile.histogram = [
        {"lower": profile.min + i * width, "upper": profile.min + (i + 1) * width,
         "count": (r := buckets.get(i, empty))["n"],
         "target_mean": r["t_sum"] / r["t_n"] if r["t_n"] else None}
        for i in range(settings.histogram_bins if width else 1)
    ]


def _categorical_stats(profile: ColumnProfile, levels: list[dict], settings: ProfileSettings) -> None:
    present = [r for r in levels if r["key"] is not None]
    if not present:
        profile.n_levels, profile.n_rare_levels = 0, 0
        return
    profile.n_levels, profile.n_rare_levels = present[0]["n_levels"], present[0]["n_rare_levels"]
    profile.top_categories = [
        {"value": r["key"], "count": r["n"], "pct": _pct(r["n"], profile.count),
         "target_mean": r["t_sum"] / r["t_n"] if r["t_n"] else None}
        for r in present[: settings.top_k]
    ]
    rare = [r["key"] for r in present if r["n"] < settings.rare_threshold * profile.count]
    profile.rare_levels = rare[-settings.max_rare_listed:][::-1]


def _target_relation(profile: ColumnProfile, column: ProfiledColumn, stats: dict[str, Any],
                     counts: dict[str, list[dict]], target: _TargetContext) -> None:
    profile.target_mean_if_missing = stats.get("target_if_missing")
    profile.target_mean_if_present = stats.get("target_if_present")
    profile.target_metric = "roc_auc" if target.task == "classification" else "r2"
    if column.kind == NUMERIC:
        profile.target_corr = _clean(stats.get("target_corr"))
        if target.task == "regression" and profile.target_corr is not None:
            profile.target_score = profile.target_corr ** 2
        elif target.binary:
            bins = counts.get(dist.SCORE_BIN, [])
            profile.target_score = relations.roc_auc_from_groups(
                (int(r["key"]), r["t_sum"] or 0.0, r["t_n"] - (r["t_sum"] or 0.0)) for r in bins)
    elif column.kind == CATEGORICAL:
        levels = [(r["t_n"], r["t_sum"] or 0.0) for r in counts.get(dist.LEVEL, [])]
        if levels:
            first = counts[dist.LEVEL][0]
            # Levels beyond max_levels were not collected: they form one "other" level.
            other = (first["col_t_n"] - sum(n for n, _ in levels),
                     (first["col_t_sum"] or 0.0) - sum(s for _, s in levels))
            levels.append(other)
        if target.task == "regression":
            profile.target_score = relations.between_level_r2(levels, target.total_ss)
        elif target.binary:
            profile.target_score = relations.roc_auc_from_groups(relations.level_groups(levels))


def _data_flags(profile: ColumnProfile, target: _TargetContext) -> list[str]:
    flags = []
    if profile.count == 0:
        flags.append("empty")
    elif profile.approx_distinct is not None and profile.approx_distinct <= 1:
        flags.append("constant")
    if profile.null_pct > 50:
        flags.append("mostly_missing")
    if profile.kind == CATEGORICAL and (profile.approx_distinct or 0) > max(50, 0.5 * profile.count):
        flags.append("high_cardinality")
    if profile.n_rare_levels:
        flags.append("rare_levels")
    if profile.skew is not None and abs(profile.skew) > 2:
        flags.append("skewed")
    score = profile.target_score
    if score is not None and profile.role != "leak" and (
        (profile.target_metric == "roc_auc" and abs(score - 0.5) >= LEAK_AUC - 0.5)
        or (profile.target_metric == "r2" and score >= LEAK_R2)
    ):
        flags.append("possible_leak")
    return flags
