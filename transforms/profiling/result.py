"""A table's profile as small Python objects, and as rows of the column-statistics table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from transforms.profiling.settings import ProfileSettings

# Columns that name or track rows rather than describe them: the use case's key, identifiers
# and bookkeeping (`_ingested_at`, `_source_file`, ...). The profile lists their counts, but
# a histogram, a correlation or a relation to the target of a row's name means nothing.
LISTED_ONLY_ROLES = frozenset({"key", "identifier", "bookkeeping"})

# One row per column per run; nested statistics stay queryable with SQL
# (e.g. `SELECT column, quantiles['p50'], top_categories[0].value FROM ...column_profile`).
STATS_TABLE_SCHEMA = """
run_id string, profiled_at timestamp, source_table string, source_version bigint,
passes int, spark_jobs int, quantile_accuracy int, rare_threshold double,
target string, task string,
position int, column string, data_type string, kind string, role string, flags array<string>,
rows bigint, count bigint, nulls bigint, null_pct double, approx_distinct bigint,
min double, max double, mean double, std double, skew double, zeros_pct double,
outliers_pct double, quantiles map<string, double>, min_value string, max_value string,
n_levels bigint, n_rare_levels bigint, rare_levels array<string>,
top_categories array<struct<value: string, count: bigint, pct: double, target_mean: double>>,
histogram array<struct<lower: double, upper: double, count: bigint, target_mean: double>>,
period string, periods array<struct<start: string, count: bigint, target_mean: double>>,
target_corr double, target_metric string, target_score double,
target_mean_if_missing double, target_mean_if_present double,
correlations map<string, double>
"""


@dataclass
class ColumnProfile:
    """Statistics of one column. Percentages: nulls of all rows; zeros, outliers and category
    shares of the non-null values. `target_score` is a ROC-AUC or an R² (`target_metric`)."""

    position: int
    column: str
    data_type: str
    kind: str
    role: str
    flags: list[str]
    rows: int
    count: int
    nulls: int
    null_pct: float
    approx_distinct: int | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    skew: float | None = None
    zeros_pct: float | None = None
    outliers_pct: float | None = None
    quantiles: dict[str, float] = field(default_factory=dict)
    min_value: str | None = None
    max_value: str | None = None
    n_levels: int | None = None
    n_rare_levels: int | None = None
    rare_levels: list[str] = field(default_factory=list)
    top_categories: list[dict[str, Any]] = field(default_factory=list)
    histogram: list[dict[str, Any]] = field(default_factory=list)
    # A date or time column's rows per `period` (month, quarter, year, N years), oldest first.
    period: str | None = None
    periods: list[dict[str, Any]] = field(default_factory=list)
    target_corr: float | None = None
    target_metric: str | None = None
    target_score: float | None = None
    target_mean_if_missing: float | None = None
    target_mean_if_present: float | None = None
    correlations: dict[str, float] = field(default_factory=dict)

    @property
    def listed_only(self) -> bool:
        """A key, identifier or bookkeeping column: listed, never plotted or related."""
        return self.role in LISTED_ONLY_ROLES


@dataclass
class TableProfile:
    """The profile of one table at one Delta version."""

    source_table: str
    source_version: int | None
    run_id: str
    profiled_at: datetime
    rows: int
    target: str | None
    task: str | None
    passes: int
    pass_names: list[str]
    spark_jobs: int
    settings: ProfileSettings
    columns: list[ColumnProfile]
    # Wall seconds of each pass, in the order of `pass_names`.
    pass_seconds: list[float] = field(default_factory=list)

    def column(self, name: str) -> ColumnProfile:
        for column in self.columns:
            if column.column == name:
                return column
        raise KeyError(f"column {name!r} was not profiled")

    def correlation_matrix(self) -> tuple[list[str], list[list[float | None]]]:
        """Numeric column names and their pairwise correlations (1 on the diagonal)."""
        names = [c.column for c in self.columns if c.kind == "numeric" and c.count and not c.listed_only]
        by_name = {c.column: c.correlations for c in self.columns}
        matrix = [[1.0 if a == b else by_name[a].get(b) for b in names] for a in names]
        return names, matrix

    def stats_rows(self) -> list[dict[str, Any]]:
        """One row per column for the statistics table (see STATS_TABLE_SCHEMA)."""
        run = {
            "run_id": self.run_id, "profiled_at": self.profiled_at,
            "source_table": self.source_table, "source_version": self.source_version,
            "passes": self.passes, "spark_jobs": self.spark_jobs,
            "quantile_accuracy": self.settings.quantile_accuracy,
            "rare_threshold": self.settings.rare_threshold,
            "target": self.target, "task": self.task,
        }
        return [{**run, **asdict(column)} for column in self.columns]
