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


def test_trimmer_drops_rows_beyond_the_caps_and_keeps_nulls(frame):
    model = OutlierTrimmer(inputCols=["x"], cappingMethod="iqr").fit(frame)
    assert [r.x for r in model.transform(frame).collect()] == [1.0, 2.0, 3.0, 4.0, None]
