"""Binary classification statistics from one small histogram of scores.

Every curve, the confusion matrix at any bin-edge threshold, calibration and deciles are read
off the score histogram (`scores.score_histogram`) on the driver; the metrics are those of
`metrics` (ranking metrics and log loss exact, over every row).
"""

from __future__ import annotations

import math

from pyspark.sql import DataFrame

from transforms.modeling.metrics import exact_metrics, threshold_metrics
from transforms.modeling.scores import ScoreBin, confusion, score_histogram


def curves(histogram: list[ScoreBin]) -> dict[str, list[tuple[float, float]]]:
    """ROC (fpr, tpr) and precision-recall (recall, precision) points at every bin edge."""
    positives = sum(b.positives for b in histogram) or 1
    negatives = sum(b.negatives for b in histogram) or 1
    roc, pr = [(0.0, 0.0)], []
    tp = fp = 0
    for b in histogram:
        tp, fp = tp + b.positives, fp + b.negatives
        roc.append((fp / negatives, tp / positives))
        if tp + fp:
            pr.append((tp / positives, tp / (tp + fp)))
    return {"roc": roc, "pr": pr}


def calibration(histogram: list[ScoreBin], buckets: int = 10) -> list[dict[str, float]]:
    """Mean predicted probability against the observed positive rate, per probability bucket."""
    out = []
    for k in range(buckets):
        inside = [b for b in histogram if k / buckets - 1e-12 <= b.lower < (k + 1) / buckets - 1e-12]
        rows = sum(b.rows for b in inside)
        if rows:
            out.append({"bucket": k, "rows": rows, "mean_predicted": sum(b.score_sum for b in inside) / rows,
                        "observed_rate": sum(b.positives for b in inside) / rows})
    return out


def lift_by_decile(histogram: list[ScoreBin], deciles: int = 10) -> list[dict[str, float]]:
    """Rows ranked by score, cut into deciles: positive rate, lift and cumulative gains.

    A score bin that straddles a decile edge is shared out in proportion (rows within a bin
    of width 1/BINS are not ranked further).
    """
    total = sum(b.rows for b in histogram)
    positives = sum(b.positives for b in histogram)
    if not total or not positives:
        return []
    edges = [total * (d + 1) / deciles for d in range(deciles)]
    taken = [0.0] * deciles
    hits = [0.0] * deciles
    start = 0.0
    for b in histogram:
        end = start + b.rows
        for d in range(deciles):
            low, high = (edges[d - 1] if d else 0.0), edges[d]
            overlap = max(0.0, min(end, high) - max(start, low))
            if overlap and b.rows:
                taken[d] += overlap
                hits[d] += b.positives * overlap / b.rows
        start = end
    base_rate = positives / total
    out, cumulative = [], 0.0
    for d in range(deciles):
        cumulative += hits[d]
        rate = hits[d] / taken[d] if taken[d] else 0.0
        out.append({"decile": d + 1, "rows": taken[d], "positives": hits[d], "positive_rate": rate,
                    "lift": rate / base_rate, "cumulative_gain": cumulative / positives})
    return out


def classification_statistics(scored: DataFrame, label: str, threshold: float) -> dict[str, object]:
    """Every statistic of a binary classifier on `scored` at `threshold`."""
    histogram = score_histogram(scored, label)
    counts = confusion(histogram, threshold)
    metrics = {**exact_metrics(scored, label), **threshold_metrics(counts)}
    if any(math.isnan(v) for v in metrics.values()):
        raise ValueError("classification metrics are undefined: does the test split hold both classes?")
    return {"metrics": metrics, "confusion": counts, "histogram": histogram, "curves": curves(histogram),
            "calibration": calibration(histogram), "deciles": lift_by_decile(histogram), "threshold": threshold}
