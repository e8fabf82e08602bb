"""Encoders on tiny frames: learned mappings and the unseen/null policy."""

from __future__ import annotations

import math

import pytest
from chispa import assert_df_equality
from pyspark.errors import PythonException
from pyspark.errors.exceptions.base import PySparkException

from transforms.features import (
    CountFrequencyEncoder,
    MeanEncoder,
    OneHotEncoder,
    OrdinalEncoder,
    RareLabelEncoder,
    WoEEncoder,
)

# c: a x3 (labels 1,1,0), b x2 (0,0), z x1 (1)
ROWS = [("a", 1.0), ("a", 1.0), ("a", 0.0), ("b", 0.0), ("b", 0.0), ("z", 1.0)]


@pytest.fixture(scope="module")
def frame(spark):
    return spark.createDataFrame(ROWS, "c string, y double")


@pytest.fixture(scope="module")
def scoring(spark):
    return spark.createDataFrame([("a",), ("new",), (None,)], "c string")


def test_rare_label_groups_categories_below_tolerance(spark, frame, scoring):
    model = RareLabelEncoder(inputCols=["c"], tol=0.3, nCategories=2).fit(frame)
    assert model.learned_state()["frequent"] == {"c": ["a", "b"]}
    assert [r.c for r in model.transform(frame).collect()] == ["a", "a", "a", "b", "b", "Rare"]
    assert [r.c for r in model.transform(scoring).collect()] == ["a", "Rare", None]


def test_rare_label_keeps_all_when_few_categories(frame):
    model = RareLabelEncoder(inputCols=["c"], tol=0.3, nCategories=3).fit(frame)
    assert model.learned_state()["frequent"] == {"c": ["a", "b", "z"]}


def test_ordinal_ordered_by_target_mean_with_unseen_encoded_as_minus_one(frame, scoring):
    model = OrdinalEncoder(inputCols=["c"], labelCol="y").fit(frame)
    # means: b 0, a 2/3, z 1
    assert model.learned_state()["mapping"] == {"c": {"b": 0, "a": 1, "z": 2}}
    assert [r.c for r in model.transform(scoring).collect()] == [1.0, -1.0, -1.0]


def test_ordinal_ignore_gives_null_and_raise_fails_with_the_value(frame, scoring):
    ignoring = OrdinalEncoder(inputCols=["c"], labelCol="y", unseen="ignore").fit(frame)
    assert [r.c for r in ignoring.transform(scoring).collect()] == [1.0, None, None]
    raising = OrdinalEncoder(inputCols=["c"], labelCol="y", unseen="raise").fit(frame)
    with pytest.raises((PySparkException, PythonException), match="unseen category in 'c': new"):
        raising.transform(scoring).collect()


def test_ordinal_arbitrary_needs_no_label(spark):
    frame = spark.createDataFrame([("q",), ("p",)], "c string")
    model = OrdinalEncoder(inputCols=["c"], encodingMethod="arbitrary").fit(frame)
    assert model.learned_state()["mapping"] == {"c": {"p": 0, "q": 1}}


def test_supervised_encoder_without_label_is_a_clear_error(spark):
    frame = spark.createDataFrame([("q",)], "c string")
    with pytest.raises(ValueError, match="needs the label column 'label'"):
        OrdinalEncoder(inputCols=["c"]).fit(frame)


def test_count_and_frequency(frame, scoring):
    counts = CountFrequencyEncoder(inputCols=["c"]).fit(frame)
    assert [r.c for r in counts.transform(scoring).collect()] == [3.0, 0.0, 0.0]
    frequencies = CountFrequencyEncoder(inputCols=["c"], encodingMethod="frequency").fit(frame)
    assert frequencies.learned_state()["mapping"]["c"] == {"a": 0.5, "b": 2 / 6, "z": 1 / 6}


def test_mean_encoder_smoothing_and_prior_for_unseen(frame, scoring):
    model = MeanEncoder(inputCols=["c"], labelCol="y", smoothing=1.0).fit(frame)
    prior = 0.5
    # a: n=3, mean 2/3 -> (3·2/3 + 1·0.5) / 4
    assert model.learned_state()["mapping"]["c"]["a"] == pytest.approx((2 + prior) / 4)
    values = [r.c for r in model.transform(scoring).collect()]
    assert values == pytest.approx([(2 + prior) / 4, prior, prior])


def test_woe_for_binary_label(spark):
    frame = spark.createDataFrame(
        [("a", 1.0), ("a", 1.0), ("a", 0.0), ("b", 0.0), ("b", 0.0), ("b", 1.0)], "c string, y double"
    )
    model = WoEEncoder(inputCols=["c"], labelCol="y").fit(frame)
    # a: P(a|1)=2/3, P(a|0)=1/3
    assert model.learned_state()["mapping"]["c"] == pytest.approx({"a": math.log(2), "b": -math.log(2)})


def test_woe_rejects_a_category_with_one_class(frame):
    with pytest.raises(ValueError, match="one class only"):
        WoEEncoder(inputCols=["c"], labelCol="y").fit(frame)


def test_one_hot_dummies_by_frequency_drop_last_and_unseen_all_zero(spark, frame, scoring):
    model = OneHotEncoder(inputCols=["c"], dropLast=True).fit(frame)
    expected = spark.createDataFrame([(1, 0), (0, 0), (0, 0)], "c_a int, c_b int")
    assert_df_equality(model.transform(scoring), expected, ignore_nullable=True)
