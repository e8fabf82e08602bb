"""Single-feature relations to the target, from the small counts of passes 1 and 2.

Classification (a 0/1 target): the ROC-AUC of the feature used alone as a score — numeric
values ordered by their quantile bin (ties within a bin count one half, so the figure is
within the mass of the bins of the exact AUC), categories ordered by their positive rate.
Regression: R² of the best single-feature predictor — the squared correlation for a numeric
column (a straight line), the between-level share of variance (η²) for a categorical one (the
level means). Category scores are fitted and measured on the same rows, so they are optimistic
for columns with many small levels: read them with the level counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def roc_auc_from_groups(groups: Iterable[tuple[float, float, float]]) -> float | None:
    """AUC of groups (score, positives, negatives): groups of equal score are ties."""
    merged: dict[float, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for score, positives, negatives in groups:
        merged[score][0] += positives
        merged[score][1] += negatives
    total_pos = sum(p for p, _ in merged.values())
    total_neg = sum(n for _, n in merged.values())
    if total_pos == 0 or total_neg == 0:
        return None
    negatives_below, area = 0.0, 0.0
    for score in sorted(merged):
        positives, negatives = merged[score]
        area += positives * (negatives_below + 0.5 * negatives)
        negatives_below += negatives
    return area / (total_pos * total_neg)


def level_groups(levels: Iterable[tuple[float, float]]) -> list[tuple[float, float, float]]:
    """(count of target, sum of target) per level -> (rate, positives, negatives) per level."""
    return [(total / count, total, count - total) for count, total in levels if count > 0]


def between_level_r2(levels: Iterable[tuple[float, float]], total_ss: float | None) -> float | None:
    """η²: the share of the target's variance that the level means explain."""
    levels = [(n, s) for n, s in levels if n > 0]
    count = sum(n for n, _ in levels)
    if not total_ss or count == 0:
        return None
    total = sum(s for _, s in levels)
    between = sum(s * s / n for n, s in levels) - total * total / count
    return max(0.0, min(1.0, between / total_ss))
