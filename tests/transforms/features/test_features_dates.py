"""Date parts, elapsed time and cyclical features on tiny frames."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from transforms.features import CyclicalFeatures, DatePartExtractor, ElapsedTime


def test_date_parts(spark):
    frame = spark.createDataFrame([(dt.date(2024, 3, 2),), (None,)], "d date")  # a Saturday
    result = DatePartExtractor(inputCols=["d"], parts=["year", "month", "day_of_week", "weekend"])
    rows = result.transform(frame).collect()
    assert (rows[0].d_year, rows[0].d_month, rows[0].d_day_of_week, rows[0].d_weekend) == (2024, 3, 6, 1)
    assert rows[1].d_year is None


def test_elapsed_years_before_sale_as_the_course(spark):
    frame = spark.createDataFrame([(1990, 2008), (None, 2010)], "built int, sold int")
    result = ElapsedTime(inputCols=["built"], referenceCol="sold").transform(frame)
    assert [r.built for r in result.collect()] == [18.0, None]


def test_elapsed_days_between_dates(spark):
    frame = spark.createDataFrame([(dt.date(2024, 1, 1), dt.date(2024, 1, 31))], "a date, b date")
    result = ElapsedTime(inputCols=["a"], outputCols=["gap"], referenceCol="b", unit="days")
    assert result.transform(frame).first().gap == 30.0


def test_cyclical_learns_the_period_from_the_maximum(spark):
    frame = spark.createDataFrame([(3,), (12,)], "month int")
    model = CyclicalFeatures(inputCols=["month"]).fit(frame)
    row = model.transform(frame).first()
    assert model.learned_state()["period"] == {"month": 12.0}
    assert (row.month_sin, row.month_cos) == pytest.approx((1.0, math.cos(math.pi / 2)), abs=1e-12)
