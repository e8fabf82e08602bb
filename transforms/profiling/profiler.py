"""Profile any DataFrame in three passes, whatever its number of columns.

Pass 1 (`summary`) sketches quantiles and distinct counts in one grouped aggregation over a
stacked frame; pass 2 (`distributions`) counts and sums over another stacked frame, placed by
what pass 1 learned (ranges, quartiles, medians): counts, moments, histograms, outliers, score
bins, levels and target sums; pass 3 (`correlation`) one Gramian aggregation of the numeric
columns, centred by the means of pass 2. Key, identifier and bookkeeping (`_...`) columns are
counted in passes 1 and 2 but left out of the correlations and the target relations (see
`LISTED_ONLY_ROLES`); date and time columns are counted per period in pass 2 (see `periods`),
so neither adds a pass. Nothing is cached and no row of the source reaches
the driver: only the aggregates of each pass do."""

from __future__ import annotations

import uuid
from collections import defaultdict
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
from transforms.profiling.moments import PowerSums, pearson, sample_skewness
from transforms.profiling.passes import PassCounter
from transforms.profiling.periods import Periods
from transforms.profiling.result import LISTED_ONLY_ROLES, ColumnProfile, TableProfile
from transforms.profiling.settings import REPORTED_QUANTILES, ProfileSettings

ROLE_ORDER = ("label", "leak", "protected", "identifier", "key")
BOOKKEEPING_PREFIX = "_"  # `_ingested_at`, `_source_file`, `_batch_id`: written by ingest
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
    column to the governance roles it has (identifier, leak, protected, key, label); a column
    without one whose name starts with "_" is bookkeeping.
    """
    settings = settings or ProfileSettings()
    profiled = profiled_columns(df, columns if columns is not None else df.columns)
    target = target if target in df.columns else None
    role_of = {c.index: _role(c.name, (roles or {}).get(c.name, [])) for c in profiled}
    counter = PassCounter(df.sparkSession)
    prepared = prepare(df, profiled, target)

    sketches = summary.by_column(
        counter.collect(summary.summary_query(prepared, profiled, settings, target is not None),
                        "summary"), settings)
    if not sketches:
        raise ValueError(f"table {source_table} has no rows to profile")
    totals = sketches[summary.TARGET_INDEX]  # the row count, and the target's range and median
    binary = task == "classification" and _is_binary(totals)
    probabilities = settings.quantile_probabilities
    bounds = {
        c.index: b for c in profiled if c.kind == NUMERIC
        if (b := dist.numeric_bounds(sketches[c.index], probabilities)) is not None
    }
    target_shift = None if target is None else _median(totals, probabilities)
    bins = {i: dist.Bins(b, settings, binary) for i, b in bounds.items()}
    periods = {
        c.index: p for c in profiled if c.kind == TEMPORAL and role_of[c.index] not in LISTED_ONLY_ROLES
        if (p := Periods.spanning(sketches[c.index]["min_value"], sketches[c.index]["max_value"])) is not None
    }
    query = dist.distribution_query(prepared, profiled, bins, settings, target_shift, periods)
    counts = dist.by_column(counter.collect(query, "distributions"), bins)
    sums = {i: _power_sums(b, counts[i]) for i, b in bounds.items()}
    numeric = [c for c in profiled if c.index in bounds and role_of[c.index] not in LISTED_ONLY_ROLES]
    pairs = _correlations(counter, prepared, numeric, {i: s.mean for i, s in sums.items()})

    context = _TargetContext(target, task if target else None, binary, counts[profiled[0].index])
    column_profiles = [
        _column_profile(c, sketches.get(c.index, {}), counts[c.index], sums.get(c.index),
                        totals["rows"], settings, context, (roles or {}).get(c.name, []), pairs,
                        periods.get(c.index))
        for c in profiled
    ]
    return TableProfile(
        source_table=source_table, source_version=source_version,
        run_id=run_id or uuid.uuid4().hex, profiled_at=datetime.now(timezone.utc),
        rows=totals["rows"], target=target, task=context.task, passes=counter.passes,
        pass_names=counter.pass_names, spark_jobs=counter.spark_jobs, settings=settings,
        columns=column_profiles, pass_seconds=counter.pass_seconds,
    )


def _role(name: str, roles: list[str]) -> str:
    default = "bookkeeping" if name.startswith(BOOKKEEPING_PREFIX) else "feature"
    return next((r for r in ROLE_ORDER if r in roles), default)


def _is_binary(totals: dict[str, Any]) -> bool:
    return totals["quantiles"] is not None and {totals["min"], totals["max"]} <= {0.0, 1.0}


def _median(sketches: dict[str, Any], probabilities: list[float]) -> float:
    if sketches["quantiles"] is None:
        return 0.0  # no value to shift
    return float(dict(zip(probabilities, sketches["quantiles"], strict=True))[0.5])


def _power_sums(bounds: dist.NumericBounds, counts: dist.ColumnCounts) -> PowerSums:
    groups = [g for _, g in counts.groups]
    return PowerSums(bounds.shift, counts.count, *(sum(g[k] for g in groups) for k in ("s1", "s2", "s3")))


def _correlations(counter: PassCounter, prepared: DataFrame, numeric: list[ProfiledColumn],
                  means: dict[int, float]) -> dict[tuple[str, str], float]:
    if len(numeric) < 2:
        return {}
    vectors = correlation.centred_vectors(prepared, numeric, means)
    return counter.run("correlation", lambda: correlation.correlation_pairs(vectors, numeric))


class _TargetContext:
    def __init__(self, name: str | None, task: str | None, binary: bool, counts: dist.ColumnCounts):
        # Every column's groups cover every row once: any column's totals are the target's.
        self.name, self.task, self.binary = name, task, binary
        count = counts.t_n
        self.total_ss = (counts.ts2 - counts.ts1 ** 2 / count
                         if name is not None and count > 1 and counts.ts2 is not None else None)


def _pct(part: float | None, whole: int) -> float | None:
    return 100.0 * part / whole if whole and part is not None else None


def _mean(total: float | None, count: int) -> float | None:
    return (total or 0.0) / count if count else None


def _column_profile(column: ProfiledColumn, sketches: dict[str, Any], counts: dist.ColumnCounts,
                    sums: PowerSums | None, rows: int, settings: ProfileSettings,
                    target: _TargetContext, roles: list[str],
                    pairs: dict[tuple[str, str], float], periods: Periods | None) -> ColumnProfile:
    count = counts.count
    profile = ColumnProfile(
        position=column.index, column=column.name, data_type=column.data_type, kind=column.kind,
        role=_role(column.name, roles), flags=[], rows=rows,
        count=count, nulls=rows - count, null_pct=_pct(rows - count, rows) or 0.0,
        approx_distinct=counts.n_levels if column.kind == CATEGORICAL else sketches.get("distinct"),
    )
    if column.kind == NUMERIC and sums is not None:
        _numeric_stats(profile, sketches, counts, sums, settings)
        profile.correlations = {b: v for (a, b), v in pairs.items() if a == column.name}
    elif column.kind == TEMPORAL:
        profile.min_value, profile.max_value = sketches.get("min_value"), sketches.get("max_value")
        if periods is not None:
            _period_stats(profile, counts, periods)
    elif column.kind == CATEGORICAL:
        _categorical_stats(profile, counts, settings)
    if target.name and column.name != target.name and not profile.listed_only:
        _target_relation(profile, column, counts, target)
    profile.flags = sorted(set(roles)) + _data_flags(profile, target)
    return profile


def _numeric_stats(profile: ColumnProfile, sketches: dict[str, Any], counts: dist.ColumnCounts,
                   sums: PowerSums, settings: ProfileSettings) -> None:
    count = profile.count
    profile.min, profile.max = float(sketches["min"]), float(sketches["max"])
    profile.mean, profile.std = sums.mean, sums.std
    profile.skew = sample_skewness(sums.population_skewness, count)
    profile.zeros_pct = _pct(sum(g["n"] for p, g in counts.groups if p.zero), count)
    profile.outliers_pct = _pct(sum(g["n"] for p, g in counts.groups if p.side), count)
    quantiles = dict(zip(settings.quantile_probabilities, sketches["quantiles"], strict=True))
    profile.quantiles = {name: float(quantiles[p]) for name, p in REPORTED_QUANTILES}
    width = (profile.max - profile.min) / settings.histogram_bins
    buckets: dict[int, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for placement, group in counts.groups:
        bucket = buckets[placement.bucket]
        bucket[0] += group["n"]
        bucket[1] += group["t_n"]
        bucket[2] += group["t_sum"] or 0.0
    profile.histogram = [
        {"lower": profile.min + i * width, "upper": profile.min + (i + 1) * width,
         "count": (b := buckets.get(i, [0, 0, 0.0]))[0], "target_mean": _mean(b[2], b[1])}
        for i in range(settings.histogram_bins if width else 1)
    ]


def _period_stats(profile: ColumnProfile, counts: dist.ColumnCounts, periods: Periods) -> None:
    by_code = {g["code"]: g for g in counts.present}
    profile.period = periods.name
    # Every period from the first to the last, empty ones too: the bars are a time axis.
    empty = {"n": 0, "t_n": 0, "t_sum": None}
    profile.periods = [
        {"start": periods.label(code), "count": (group := by_code.get(code, empty))["n"],
         "target_mean": _mean(group["t_sum"], group["t_n"])}
        for code in range(max(by_code, default=-1) + 1)
    ]


def _categorical_stats(profile: ColumnProfile, counts: dist.ColumnCounts, settings: ProfileSettings) -> None:
    profile.n_levels, profile.n_rare_levels = counts.n_levels, counts.n_rare_levels
    profile.top_categories = [
        {"value": r["level"], "count": r["n"], "pct": _pct(r["n"], profile.count),
         "target_mean": _mean(r["t_sum"], r["t_n"])}
        for r in counts.levels[: settings.top_k]
    ]
    rare = [r["level"] for r in counts.levels if r["n"] < settings.rare_threshold * profile.count]
    profile.rare_levels = rare[-settings.max_rare_listed:][::-1]


def _target_relation(profile: ColumnProfile, column: ProfiledColumn, counts: dist.ColumnCounts,
                     target: _TargetContext) -> None:
    missing = counts.missing
    profile.target_mean_if_missing = _mean(missing["t_sum"], missing["t_n"]) if missing else None
    profile.target_mean_if_present = _mean(counts.present_t_sum, counts.present_t_n)
    profile.target_metric = "roc_auc" if target.task == "classification" else "r2"
    if column.kind == NUMERIC and counts.groups:
        groups = [g for _, g in counts.groups]
        total = {k: sum(g[k] or 0.0 for g in groups) for k in ("t_n", "p1", "p2", "ts1", "ts2", "cross")}
        profile.target_corr = pearson(int(total["t_n"]), total["p1"], total["p2"], total["ts1"],
                                      total["ts2"], total["cross"])
        if target.task == "regression" and profile.target_corr is not None:
            profile.target_score = profile.target_corr ** 2
        elif target.binary:
            profile.target_score = relations.roc_auc_from_groups(
                (p.score_bin, g["t_sum"] or 0.0, g["t_n"] - (g["t_sum"] or 0.0)) for p, g in counts.groups)
    elif column.kind == CATEGORICAL:
        kept = counts.levels + ([missing] if missing else [])
        levels = [(r["t_n"], r["t_sum"] or 0.0) for r in kept]
        if levels:
            # Levels beyond max_levels were not collected: they form one "other" level.
            levels.append((counts.t_n - sum(n for n, _ in levels), counts.t_sum - sum(s for _, s in levels)))
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
