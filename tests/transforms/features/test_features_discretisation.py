"""Discretisers: right-closed bins like pandas' cut, open outer edges."""

from __future__ import annotations

import math

from transforms.features import (
    ArbitraryDiscretiser,
    EqualFrequencyDiscretiser,
    EqualWidthDiscretiser,
)


def bins(frame):
    return [r.x for r in frame.collect()]


def test_equal_width(spark):
    frame = spark.createDataFrame([(0.0,), (2.5,), (5.0,), (10.0,), (None,)], "x double")
    model = EqualWidthDiscretiser(inputCols=["x"], bins=2).fit(frame)
    assert model.bin_edges() == {"x": [-math.inf, 5.0, math.inf]}
    assert bins(model.transform(frame)) == [0, 0, 0, 1, None]
    beyond = model.transform(frame.sparkSession.createDataFrame([(99.0,)], "x double"))
    assert bins(beyond) == [1]


def test_equal_frequency_merges_repeated_edges(spark):
    frame = spark.createDataFrame([(v,) for v in [1.0, 1.0, 1.0, 1.0, 1.0, 3.0]], "x double")
    model = EqualFrequencyDiscretiser(inputCols=["x"], bins=3).fit(frame)
    assert model.bin_edges()["x"] == [-math.inf, 1.0, math.inf]


def test_arbitrary_bins_leave_values_outside_null(spark):
    frame = spark.createDataFrame([(0.0,), (1.0,), (4.0,), (11.0,)], "x double")
    result = ArbitraryDiscretiser(inputCols=["x"], binEdges=[0.0, 1.0, 10.0]).transform(frame)
    assert bins(result) == [0, 0, 1, None]
