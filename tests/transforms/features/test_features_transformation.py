"""Log, log(x + C), power, Box-Cox and Yeo-Johnson on tiny frames; λ checked against scipy."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from transforms.features import (
    BoxCoxTransformer,
    LogCpTransformer,
    LogTransformer,
    PowerTransformer,
    YeoJohnsonTransformer,
)

VALUES = [0.5, 1.0, 2.0, 3.0, 7.0, 20.0, 55.0]


def column(frame, name="x"):
    return [r[name] for r in frame.collect()]


def test_log_base_10_and_null_for_non_positive(spark):
    frame = spark.createDataFrame([(100.0,), (0.0,), (None,)], "x double")
    assert column(LogTransformer(inputCols=["x"], base="10").transform(frame)) == [2.0, None, None]


def test_log_cp_auto_learns_abs_min_plus_one_for_non_positive_columns_only(spark):
    frame = spark.createDataFrame([(-2.0, 1.0), (0.0, 5.0)], "x double, p double")
    model = LogCpTransformer(inputCols=["x", "p"]).fit(frame)
    assert model.learned_state()["C"] == {"x": 3.0, "p": 0.0}
    assert column(model.transform(frame)) == pytest.approx([0.0, math.log(3.0)])


def test_log_cp_rejects_a_constant_that_leaves_non_positive_values(spark):
    frame = spark.createDataFrame([(-2.0,)], "x double")
    with pytest.raises(ValueError, match="x \\+ C <= 0"):
        LogCpTransformer(inputCols=["x"], C=1.0).fit(frame)


def test_power(spark):
    frame = spark.createDataFrame([(9.0,), (-4.0,)], "x double")
    assert column(PowerTransformer(inputCols=["x"]).transform(frame)) == [3.0, None]


def test_yeo_johnson_lambda_and_values_match_scipy(spark):
    data = [-3.0, *VALUES]
    frame = spark.createDataFrame([(v,) for v in data], "x double")
    model = YeoJohnsonTransformer(inputCols=["x"]).fit(frame)
    expected_values, expected_lambda = stats.yeojohnson(data)
    assert model.lambdas()["x"] == pytest.approx(expected_lambda, abs=1e-6)
    assert column(model.transform(frame)) == pytest.approx(list(expected_values), abs=1e-6)


def test_box_cox_lambda_matches_scipy_and_needs_positive_values(spark):
    frame = spark.createDataFrame([(v,) for v in VALUES], "x double")
    model = BoxCoxTransformer(inputCols=["x"]).fit(frame)
    assert model.lambdas()["x"] == pytest.approx(stats.boxcox(VALUES)[1], abs=1e-6)
    with pytest.raises(ValueError, match="strictly positive"):
        BoxCoxTransformer(inputCols=["x"]).fit(spark.createDataFrame([(0.0,)], "x double"))
