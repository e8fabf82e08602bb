"""Explicit value maps: mapped values, default for unmapped and null, bad mappings."""

from __future__ import annotations

import pytest

from transforms.features import ValueMapper

QUALITY = {"Po": 1, "Fa": 2, "TA": 3, "Gd": 4, "Ex": 5, "Missing": 0}


def test_quality_words_to_numbers_and_unmapped_to_null(spark):
    frame = spark.createDataFrame([("Gd",), ("Missing",), ("Weird",), (None,)], "q string")
    result = ValueMapper(mapping=QUALITY, inputCols=["q"]).transform(frame)
    assert [r.q for r in result.collect()] == [4.0, 0.0, None, None]


def test_default_value_for_unmapped_and_null(spark):
    frame = spark.createDataFrame([("Ex",), (None,)], "q string")
    result = ValueMapper(mapping=QUALITY, inputCols=["q"], outputCols=["n"], defaultValue=0.0)
    assert [r.n for r in result.transform(frame).collect()] == [5.0, 0.0]


def test_non_numeric_target_is_rejected():
    with pytest.raises(ValueError, match="must be numbers"):
        ValueMapper(mapping={"a": "high"})
