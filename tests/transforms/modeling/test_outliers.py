"""Training rows far off a robust linear fit: which are left out, and at most how many."""

from __future__ import annotations

import math

import pytest
from pyspark.ml.feature import VectorAssembler

from transforms.modeling.outliers import (
    RESIDUAL_COLUMN,
    OutlierRule,
    far_off_rows,
    find_far_off_rows,
)

# Residuals (label - prediction) of 5 rows: 0.5, -1, 2, 10, -7; with scale 1 and 3 scales, rows 4 and 5 are off.
RESIDUALS = [(1, 10.5, 10.0), (2, 9.0, 10.0), (3, 12.0, 10.0), (4, 20.0, 10.0), (5, 3.0, 10.0)]


def _far(spark, rule: OutlierRule, scale: float = 1.0, rows: list[tuple] = RESIDUALS) -> list[tuple[int, float]]:
    scored = spark.createDataFrame(rows, "id int, y double, p double")
    return [(r["id"], r[RESIDUAL_COLUMN]) for r in far_off_rows(scored, ["id"], "y", "p", scale, rule, len(rows)).collect()]


def test_rows_beyond_the_bound_are_off_the_farthest_first(spark) -> None:
    assert _far(spark, OutlierRule(3, 1.0)) == [(4, 10.0), (5, 7.0)]
    # The bound is max_scales x scale: with scale 2.5, 7 is within 3 scales (7.5), 10 is not.
    assert _far(spark, OutlierRule(3, 1.0), scale=2.5) == [(4, 10.0)]


def test_the_share_caps_the_rows_left_out(spark) -> None:
    assert _far(spark, OutlierRule(3, 0.2)) == [(4, 10.0)]  # floor(0.2 x 5) = 1: the farthest
    assert _far(spark, OutlierRule(3, 0.19)) == []  # floor(0.95) = 0: none may go


def test_no_row_beyond_the_bound_leaves_none_out(spark) -> None:
    assert _far(spark, OutlierRule(11, 1.0)) == []


def _line(spark, rows: int, off: dict[int, float]):
    """y = 2x + a small wobble (within ±0.2), plus `off` added to some rows' labels."""
    data = [(i, float(i % 50), 2.0 * (i % 50) + ((i * 7) % 5 - 2) / 10 + off.get(i, 0.0)) for i in range(1, rows + 1)]
    return spark.createDataFrame(data, "id int, x double, y double")


DEFAULT_RULE = OutlierRule(6, 0.01)


def _find(spark, rows: int, off: dict[int, float], rule: OutlierRule = DEFAULT_RULE):
    assembler = VectorAssembler(inputCols=["x"], outputCol="features")
    return find_far_off_rows([assembler], _line(spark, rows, off), ["id"], "features", "y", rule)


def test_a_robust_fit_finds_the_one_far_off_row(spark) -> None:
    found = _find(spark, 200, {37: 40.0})
    assert found.keys == [(37,)] and found.judged == 200 and found.beyond == 1
    assert 0 < found.scale < 0.3  # the wobble's, not pulled towards the far-off row
    assert found.scales[0] > 100


def test_a_clean_label_loses_no_row(spark) -> None:
    found = _find(spark, 200, {})
    assert found.keys == [] and found.count == 0 and found.frame is None and found.scale > 0


def test_the_share_caps_the_far_off_rows_the_farthest_first(spark) -> None:
    # Three far-off rows, at most 1% of 200 = 2 may go: the two farthest.
    found = _find(spark, 200, {5: 30.0, 80: -60.0, 150: 45.0})
    assert found.keys == [(80,), (150,)] and found.count == 2 and found.beyond == 3
    assert sorted(tuple(r) for r in found.frame.collect()) == [(80,), (150,)]


def test_only_the_first_keys_come_back_the_frame_holds_all(spark) -> None:
    off = {i: 40.0 + i for i in range(10, 80, 10)}  # 7 far-off rows, the last the farthest
    found = _find(spark, 700, off)
    assert found.count == 7 and found.keys == [(70,), (60,), (50,), (40,), (30,)]
    assert sorted(r["id"] for r in found.frame.collect()) == list(range(10, 80, 10))


def test_too_few_rows_for_one_to_go_are_not_fitted(spark) -> None:
    found = _find(spark, 99, {37: 40.0})  # floor(0.01 x 99) = 0
    assert found.keys == [] and math.isnan(found.scale) and found.judged == 99


def test_a_label_in_the_hundred_thousands_is_fitted_as_well(spark) -> None:
    # Unstandardised, Spark's Huber fit stopped at a slope of 2.3 and a scale of 35 000 here.
    found = _find(spark, 200, {37: 40.0}).scale
    big = find_far_off_rows([VectorAssembler(inputCols=["x"], outputCol="features")],
                            _line(spark, 200, {37: 40.0}).selectExpr("id", "x", "y * 10000 + 50000 AS y"),
                            ["id"], "features", "y", DEFAULT_RULE)
    assert big.keys == [(37,)]
    assert big.scale == pytest.approx(found * 10000, rel=0.05)
