"""Winsorizer and trimmer on a tiny frame."""

from __future__ import annotations

import pytest

from transforms.features import OutlierTrimmer, Winsorizer

VALUES = [1.0, 2.0, 3.0, 4.0, 100.0]


@pytest.fixture(scope="module")
def frame(spark):
    return spark.createDataFrame([(v,) for v in [*VALUES, None]], "x double")


def test_iqr_caps_both_tails(frame):
    model = Winsorizer(inputCols=["x"], cappingMethod="iqr", tail="both").fit(frame)
    # q25=2, q75=4, IQR=2, fold 1.5 -> caps -1 and 7
    assert model.caps() == {"x": {"left": -1.0, "right": 7.0}}
    assert [r.x for r in model.transform(frame).collect()] == [1.0, 2.0, 3.0, 4.0, 7.0, None]


def test_quantile_caps(frame):
    model = Winsorizer(inputCols=["x"], cappingMethod="quantiles", fold=0.25).fit(frame)
    assert model.caps()["x"] == {"left": None, "right": 4.0}


def test_mad_caps_around_the_median(frame):
    model = Winsorizer(inputCols=["x"], cappingMethod="mad", tail="both").fit(frame)
    # median 3, |x - 3| = 2, 1, 0, 1, 97 -> MAD 1, scaled 1 / 0.67449; fold 3.29
    spread = 3.29 / 0.67449
    assert model.caps()["x"] == pytest.approx({"left": 3 - spread, "right": 3 + spread})
    assert model.transform(frame).collect()[4].x == pytest.approx(3 + spread)


def test_a_column_without_spread_is_refused(spark):
    mostly_zero = spark.createDataFrame([(v,) for v in [0.0, 0.0, 0.0, 5.0, 9.0]], "x double")
    with pytest.raises(ValueError, match="no spread"):
        Winsorizer(inputCols=["x"], cappingMethod="mad").fit(mostly_zero)


def test_trimmer_drops_rows_beyond_the_caps_and_keeps_nulls(frame):
    model = OutlierTrimmer(inputCols=["x"], cappingMethod="iqr").fit(frame)
    assert [r.x for r in model.transform(frame).collect()] == [1.0, 2.0, 3.0, 4.0, None]
