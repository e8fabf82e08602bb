"""PSI and KS on Spark aggregations: by hand on tiny shares, and shifted against unshifted data."""

from __future__ import annotations

import math

import pytest
from pyspark.sql import functions as F

from transforms.monitoring.drift import (
    categorical_drift,
    ks_from_shares,
    numeric_drift,
    psi_from_shares,
    quantile_edges,
)


def test_psi_and_ks_by_hand() -> None:
    shares = [("0", 0.5, 0.25), ("1", 0.5, 0.75)]
    expected_psi = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi_from_shares(shares) == pytest.approx(expected_psi)
    assert ks_from_shares(shares) == pytest.approx(0.25)
    # Nulls are their own bin for PSI and left out of the cumulative distribution.
    assert ks_from_shares([*shares, ("-1", 0.0, 0.5)]) == pytest.approx(0.25)


def test_edges_are_the_reference_quantiles(spark) -> None:
    reference = spark.range(1, 101).select(F.col("id").cast("double").alias("x"))
    assert quantile_edges(reference, "x", 4) == [25.0, 50.0, 75.0]


def test_shifted_batch_drifts_and_unshifted_batch_does_not(spark) -> None:
    reference = spark.range(1000).select((F.col("id") % 100).cast("double").alias("x"))
    unshifted = spark.range(0, 1000, 3).select((F.col("id") % 100).cast("double").alias("x"))
    shifted = unshifted.select((F.col("x") + 30).alias("x"))
    calm, moved = numeric_drift(reference, unshifted, "x"), numeric_drift(reference, shifted, "x")
    assert calm.psi < 0.05 and calm.ks < 0.05
    assert moved.psi > 0.5 and moved.ks == pytest.approx(0.3, abs=0.02)


def test_categorical_drift_counts_a_new_value(spark) -> None:
    reference = spark.createDataFrame([("a",), ("b",)] * 50, "c string")
    same = spark.createDataFrame([("a",), ("b",)] * 10, "c string")
    new_value = spark.createDataFrame([("a",), ("z",)] * 10, "c string")
    assert categorical_drift(reference, same, "c").psi == pytest.approx(0.0)
    moved = categorical_drift(reference, new_value, "c")
    assert moved.psi > 1 and moved.ks is None
