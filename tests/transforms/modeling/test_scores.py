"""The positive-class probability, read the same way by metrics, histograms and the prediction table."""

from __future__ import annotations

import math

import pytest
from pyspark.ml.functions import array_to_vector
from pyspark.sql import functions as F

from transforms.modeling.scores import (
    PROBABILITY,
    RAW_PREDICTION,
    positive_probability,
    score_histogram,
)


def _read(frame) -> float:
    return round(frame.select(positive_probability(frame)).first()[0], 9)


def test_probability_vector_numeric_column_and_margin(spark) -> None:
    base = spark.createDataFrame([(0.25,)], "p double")
    vector = base.select(array_to_vector(F.array(1 - F.col("p"), F.col("p"))).alias(PROBABILITY))
    numeric = base.select(F.col("p").alias(PROBABILITY))
    # A margin-only model (linear SVM): the logistic of the positive-class margin, log(1/3).
    margin = base.select(array_to_vector(F.array(F.lit(math.log(3)), F.lit(-math.log(3)))).alias(RAW_PREDICTION))
    assert _read(vector) == _read(numeric) == _read(margin) == 0.25


def test_no_score_column_is_one_line_naming_the_columns(spark) -> None:
    frame = spark.createDataFrame([(1.0, 0.0)], "y double, prediction double")
    with pytest.raises(ValueError, match=r"no 'probability' or 'rawPrediction' column.*\['y', 'prediction'\]"):
        positive_probability(frame)


def test_histogram_bins_the_positive_probability(spark) -> None:
    frame = spark.createDataFrame([(1.0, 0.9), (0.0, 0.9), (1.0, 1.0), (0.0, 0.1)], "y double, probability double")
    bins = [(b.lower, b.positives, b.negatives) for b in score_histogram(frame, "y")]
    # A score of 1.0 falls in the top bin, with 0.999 <= score.
    assert bins == [(0.999, 1, 0), (0.9, 1, 1), (0.1, 0, 1)]
