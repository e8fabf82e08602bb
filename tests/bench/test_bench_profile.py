"""The profile bench's floor takes quantiles of the columns the profile sketches, nothing else."""

from __future__ import annotations

import datetime

from bench import bench_profile


def test_the_floor_takes_quantiles_of_numbers_and_dates_as_days(spark) -> None:
    table = spark.createDataFrame(
        [(1, 2.5, "a", datetime.date(1970, 1, 3), True)],
        "n int, x double, level string, day date, flag boolean")

    numbers = bench_profile.quantile_columns(table)

    assert numbers.columns == ["n", "x", "day"]
    assert numbers.first().asDict() == {"n": 1, "x": 2.5, "day": 2}
