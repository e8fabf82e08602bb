"""Binary classification statistics from one small histogram of scores.

The test frame is reduced in Spark to counts of positives and negatives per score bin
(`BINS` bins of the positive-class probability); every curve, the confusion matrix at any
bin-edge threshold, calibration and deciles are then read off that histogram on the driver.
Ranking metrics (ROC-AUC, PR-AUC) and log loss are computed exactly in Spark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

BINS = 1000
SCORE = "_score"
EPSILON = 1e-15


@dataclass(frozen=True)
class ScoreBin:
    """Rows whose score falls in [lower, lower + 1/BINS)."""

    lower: float
    positives: int
    negatives: int
    score_sum: float

    @property
    def rows(self) -> int:
        return self.positives + self.negatives


def positive_score(scored: DataFrame) -> Column:
    """Probability of class 1; a margin-only model (linear SVM) gets a logistic of its margin."""
    if "probability" in scored.columns:
        return vector_to_array(F.col("probability"))[1]
    return 1.0 / (1.0 + F.exp(-vector_to_array(F.col("rawPrediction"))[1]))


def score_histogram(scored: DataFrame, label: str) -> list[ScoreBin]:
    """Positives, negatives and the score sum per score bin, highest scores first."""
    binned = scored.select(F.col(label).cast("double").alias("y"), positive_score(scored).alias(SCORE))
    bin_index = F.least(F.floor(F.col(SCORE) * BINS), F.lit(BINS - 1)).cast("int")
    rows = (binned.groupBy(bin_index.alias("bin"))
            .agg(F.sum("y").alias("pos"), F.count(F.lit(1)).alias("n"), F.sum(SCORE).alias("s"))
            .collect())
    bins = [ScoreBin(r["bin"] / BINS, int(r["pos"]), int(r["n"] - r["pos"]), float(r["s"])) for r in rows]
    return sorted(bins, key=lambda b: -b.lower)


def merge_histograms(histograms: list[list[ScoreBin]]) -> list[ScoreBin]:
    """Histograms of disjoint row sets (e.g. the validation folds) as one, highest scores first."""
    totals: dict[float, list[float]] = {}
    for histogram in histograms:
        for b in histogram:
            total = totals.setdefault(b.lower, [0, 0, 0.0])
            total[0] += b.positives
            total[1] += b.negatives
            total[2] += b.score_sum
    return [ScoreBin(lower, int(p), int(n), s) for lower, (p, n, s) in sorted(totals.items(), key=lambda i: -i[0])]


def confusion(histogram: list[ScoreBin], threshold: float) -> dict[str, int]:
    """Counts when rows scoring >= `threshold` (rounded down to a bin edge) are called positive."""
    tp = sum(b.positives for b in histogram if b.lower >= threshold - 1e-12)
    fp = sum(b.negatives for b in histogram if b.lower >= threshold - 1e-12)
    positives = sum(b.positives for b in histogram)
    negatives = sum(b.negatives for b in histogram)
    return {"tp": tp, "fp": fp, "fn": positives - tp, "tn": negatives - fp}


def threshold_metrics(counts: dict[str, int]) -> dict[str, float]:
    tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": (tp + tn) / max(tp + fp + fn + tn, 1), "precision": precision, "recall": recall, "f1": f1}


def exact_metrics(scored: DataFrame, label: str) -> dict[str, float]:
    """ROC-AUC, PR-AUC and log loss over every row."""
    with_score = scored.select(F.col(label).cast("double").alias(label), positive_score(scored).alias(SCORE))
    auc = {name: BinaryClassificationEvaluator(labelCol=label, rawPredictionCol=SCORE, metricName=metric)
           .evaluate(with_score) for name, metric in (("roc_auc", "areaUnderROC"), ("pr_auc", "areaUnderPR"))}
    p = F.least(F.greatest(F.col(SCORE), F.lit(EPSILON)), F.lit(1 - EPSILON))
    loss = with_score.agg(F.avg(-(F.col(label) * F.log(p) + (1 - F.col(label)) * F.log(1 - p)))).first()[0]
    return {**auc, "log_loss": float(loss)}


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
