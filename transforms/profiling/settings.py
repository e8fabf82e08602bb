"""Knobs of a profile: how many categories, bins and quantiles, and how exact the sketches are."""

from __future__ import annotations

from dataclasses import dataclass

# The quantiles a profile reports, as (name, probability).
REPORTED_QUANTILES: tuple[tuple[str, float], ...] = (
    ("p01", 0.01), ("p05", 0.05), ("p25", 0.25), ("p50", 0.5),
    ("p75", 0.75), ("p95", 0.95), ("p99", 0.99),
)


@dataclass(frozen=True)
class ProfileSettings:
    """What a profile computes and how exactly.

    `quantile_accuracy` is Spark's `percentile_approx` accuracy (by default Spark's own
    default, which the selectors' bins use too): a reported quantile at probability p is a
    value whose rank lies within ``n / quantile_accuracy`` of ``p * n``.
    `distinct_rsd` is the relative standard deviation allowed to `approx_count_distinct`, which
    counts the distinct values of numeric and temporal columns (categories are counted exactly).
    `rare_threshold` is the share of non-null rows under which a category is a rare level.
    `max_levels` bounds the levels per categorical column kept after the grouped pass; the
    rest are summed as one "other" level for the target relation.
    `score_bins` quantile bins order a numeric feature for its single-feature ROC-AUC.
    """

    top_k: int = 10
    rare_threshold: float = 0.01
    histogram_bins: int = 30
    quantile_accuracy: int = 10_000
    distinct_rsd: float = 0.02
    max_levels: int = 1000
    score_bins: int = 100
    max_rare_listed: int = 20

    def __post_init__(self) -> None:
        if not 0 < self.rare_threshold < 1:
            raise ValueError(f"rare_threshold must be in (0, 1), got {self.rare_threshold}")
        for name in ("top_k", "histogram_bins", "quantile_accuracy", "max_levels", "score_bins"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")

    @property
    def quantile_probabilities(self) -> list[float]:
        """Reported quantiles plus the edges of the score bins, sorted, without repeats."""
        edges = {round(i / self.score_bins, 6) for i in range(self.score_bins + 1)}
        return sorted(edges | {p for _, p in REPORTED_QUANTILES})
