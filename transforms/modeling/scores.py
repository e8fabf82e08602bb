"""A classifier's scores: the positive-class probability of a scored frame, and its histogram.

The test frame is reduced in Spark to counts of positives and negatives per score bin
(`BINS` bins of the positive-class probability); the confusion matrix at any bin-edge
threshold (and every curve of `classification`) is then read off that histogram on the driver.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

# The columns Spark ML models write.
PREDICTION = "prediction"
PROBABILITY = "probability"
RAW_PREDICTION = "rawPrediction"
BINS = 1000
SCORE = "_score"


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


def positive_probability(scored: DataFrame, column: str = PROBABILITY) -> Column:
    """Probability of class 1: from Spark ML's probability vector, or a plain numeric column
    (a prediction table's); a margin-only model (linear SVM) gets a logistic of its margin."""
    if column not in scored.columns:
        if RAW_PREDICTION not in scored.columns:
            raise ValueError(f"no {column!r} or {RAW_PREDICTION!r} column to read a probability from; "
                             f"columns: {scored.columns}")
        return 1.0 / (1.0 + F.exp(-vector_to_array(F.col(RAW_PREDICTION))[1]))
    if scored.schema[column].dataType.typeName() in ("double", "float"):
        return F.col(column).cast("double")
    return vector_to_array(F.col(column))[1]


def score_histogram(scored: DataFrame, label: str) -> list[ScoreBin]:
    """Positives, negatives and the score sum per score bin, highest scores first."""
    binned = scored.select(F.col(label).cast("double").alias("y"), positive_probability(scored).alias(SCORE))
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
