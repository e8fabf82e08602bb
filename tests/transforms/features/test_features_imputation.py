"""Imputers on tiny frames whose answers can be checked by hand."""

from __future__ import annotations

import math

import pytest
from chispa import assert_df_equality

from transforms.features import (
    ArbitraryNumberImputer,
    CategoricalImputer,
    EndTailImputer,
    MeanMedianImputer,
    MissingIndicator,
)

NUMBERS = "a double, b int"
ROWS = [(1.0, 10), (2.0, None), (None, 30), (float("nan"), 40), (6.0, 20)]


def test_mean_imputer_fills_null_and_nan_with_the_mean_of_present_values(spark):
    frame = spark.createDataFrame(ROWS, NUMBERS)
    result = MeanMedianImputer(inputCols=["a", "b"]).fit(frame).transform(frame)
    expected = spark.createDataFrame(
        [(1.0, 10.0), (2.0, 25.0), (3.0, 30.0), (3.0, 40.0), (6.0, 20.0)], "a double, b double"
    )
    assert_df_equality(result, expected, ignore_nullable=True)


def test_median_interpolates_like_pandas_and_fills_nulls_seen_only_when_scoring(spark):
    frame = spark.createDataFrame([(1.0, 1), (2.0, 2), (4.0, 3), (10.0, 4)], "a double, b int")
    model = MeanMedianImputer(inputCols=["a", "b"], strategy="median").fit(frame)
    assert model.learned_state()["fill"] == {"a": 3.0, "b": 2.5}
    scoring = spark.createDataFrame([(None, None)], "a double, b int")
    assert model.transform(scoring).first().asDict() == {"a": 3.0, "b": 2.5}


def test_imputer_writes_to_output_columns_and_keeps_inputs(spark):
    frame = spark.createDataFrame(ROWS, NUMBERS)
    result = MeanMedianImputer(inputCols=["a"], outputCols=["a_filled"]).fit(frame).transform(frame)
    assert result.columns == ["a", "b", "a_filled"]


def test_mismatched_output_columns_are_a_clear_error(spark):
    frame = spark.createDataFrame(ROWS, NUMBERS)
    with pytest.raises(ValueError, match="2 inputCols but 1 outputCols"):
        MeanMedianImputer(inputCols=["a", "b"], outputCols=["x"]).fit(frame)


def test_all_missing_column_cannot_be_imputed(spark):
    frame = spark.createDataFrame([(None,), (None,)], "a double")
    with pytest.raises(ValueError, match="no usable"):
        MeanMedianImputer(inputCols=["a"]).fit(frame)


def test_arbitrary_number_imputer(spark):
    frame = spark.createDataFrame(ROWS, NUMBERS)
    result = ArbitraryNumberImputer(inputCols=["a"], arbitraryNumber=-1.0).transform(frame)
    assert [r.a for r in result.collect()] == [1.0, 2.0, -1.0, -1.0, 6.0]


@pytest.mark.parametrize(
    ("params", "fill"),
    [
        ({"imputationMethod": "gaussian", "fold": 1.0}, 3.2 + math.sqrt(26.8 / 4)),  # mean + 1 sd
        ({"imputationMethod": "iqr", "fold": 1.0}, 4.0 + 2.0),  # q75 + 1 IQR (q25=2, q75=4)
        ({"imputationMethod": "iqr", "fold": 1.0, "tail": "left"}, 2.0 - 2.0),
        ({"imputationMethod": "max", "fold": 2.0}, 14.0),
    ],
)
def test_end_tail_imputer(spark, params, fill):
    frame = spark.createDataFrame([(0.0,), (2.0,), (3.0,), (4.0,), (7.0,), (None,)], "a double")
    model = EndTailImputer(inputCols=["a"], **params).fit(frame)
    assert model.learned_state()["fill"]["a"] == pytest.approx(fill)
    assert model.transform(frame).collect()[-1].a == pytest.approx(fill)


def test_categorical_imputer_missing_label_and_most_frequent(spark):
    frame = spark.createDataFrame(
        [("x", "p"), ("y", None), (None, "p"), ("y", "q")], "c string, d string"
    )
    missing = CategoricalImputer(inputCols=["c"]).fit(frame).transform(frame)
    assert [r.c for r in missing.collect()] == ["x", "y", "Missing", "y"]
    frequent = CategoricalImputer(inputCols=["c", "d"], strategy="frequent").fit(frame)
    assert frequent.learned_state()["fill"] == {"c": "y", "d": "p"}
    expected = spark.createDataFrame([("x", "p"), ("y", "p"), ("y", "p"), ("y", "q")], "c string, d string")
    assert_df_equality(frequent.transform(frame), expected, ignore_nullable=True)


def test_missing_indicator_adds_integer_flags(spark):
    frame = spark.createDataFrame(ROWS, NUMBERS)
    result = MissingIndicator(inputCols=["a", "b"]).transform(frame)
    assert result.columns == ["a", "b", "a_na", "b_na"]
    assert [(r.a_na, r.b_na) for r in result.collect()] == [(0, 0), (0, 1), (1, 0), (1, 0), (0, 0)]
