"""Profiling on tiny hand-checkable frames: statistics, relations, flags, pass count, report."""

from __future__ import annotations

import math
import re

import pytest
from pyspark.sql import functions as F

from transforms.profiling import ProfileSettings, profile_frame
from transforms.profiling.distributions import Bins, NumericBounds, Placement
from transforms.profiling.governance import column_roles
from transforms.profiling.html import render_report
from transforms.profiling.moments import PowerSums, pearson
from transforms.profiling.relations import between_level_r2, level_groups, roc_auc_from_groups

SETTINGS = ProfileSettings(histogram_bins=4, score_bins=10, rare_threshold=0.2)


@pytest.fixture(scope="module")
def passengers(spark):
    rows = [
        # x ranks the survivors above the others; colour's rate orders red > blue > none
        (1.0, "red", "A", "2020-01-03", 1, "b1", 0.0),
        (2.0, "red", "A", "2020-01-01", 1, None, 0.0),
        (3.0, "blue", "B", None, 1, "b2", None),
        (None, "blue", "A", "2021-06-30", 0, None, 5.0),
        (-1.0, None, "B", "2020-02-01", 0, None, 100.0),
        (-2.0, "blue", "C", "2020-03-01", 0, None, 1.0),
    ]
    schema = "x double, colour string, grade string, day string, survived int, boat string, fare double"
    return spark.createDataFrame(rows, schema).withColumn("day", F.to_date("day"))


@pytest.fixture(scope="module")
def profile(passengers):
    roles = column_roles(leaks=["boat"], protected=["grade"], label="survived")
    return profile_frame(passengers, "passengers", target="survived", task="classification",
                         roles=roles, settings=SETTINGS, source_version=3, run_id="run-1")


def test_numeric_statistics(profile):
    x = profile.column("x")
    assert (x.rows, x.count, x.nulls, x.min, x.max) == (6, 5, 1, -2.0, 3.0)
    assert x.mean == pytest.approx(0.6)
    assert x.std == pytest.approx((sum((v - 0.6) ** 2 for v in [1, 2, 3, -1, -2]) / 4) ** 0.5)
    assert x.null_pct == pytest.approx(100 / 6)
    assert x.quantiles["p50"] == 1.0
    assert sum(b["count"] for b in x.histogram) == 5 and len(x.histogram) == 4
    fare = profile.column("fare")
    assert fare.zeros_pct == pytest.approx(40.0)
    assert fare.outliers_pct == pytest.approx(20.0)  # 100 is beyond the upper IQR fence


def test_categories_and_rare_levels(profile):
    colour = profile.column("colour")
    assert colour.top_categories[0] == {"value": "blue", "count": 3, "pct": 60.0, "target_mean": 1 / 3}
    assert (colour.n_levels, colour.nulls) == (2, 1)
    grade = profile.column("grade")
    assert grade.rare_levels == ["C"] and grade.n_rare_levels == 1  # 1 of 6 < 20%
    assert profile.column("day").min_value == "2020-01-01"
    assert profile.column("day").max_value == "2021-06-30"


def test_target_relations(profile):
    x = profile.column("x")
    assert x.target_metric == "roc_auc" and x.target_score == pytest.approx(1.0)
    assert x.target_mean_if_missing == 0.0 and x.target_mean_if_present == pytest.approx(0.6)
    # colour levels: red 2/2, blue 1/3, missing 0/1 -> AUC by hand
    assert profile.column("colour").target_score == pytest.approx(
        roc_auc_from_groups([(1.0, 2, 0), (1 / 3, 1, 2), (0.0, 0, 1)]))
    assert profile.column("survived").target_score is None


def test_governance_and_data_flags(profile):
    assert profile.column("boat").role == "leak" and "leak" in profile.column("boat").flags
    assert profile.column("grade").role == "protected"
    assert profile.column("survived").role == "label"
    assert "mostly_missing" in profile.column("boat").flags
    assert "possible_leak" in profile.column("x").flags


def test_relation_formulas_by_hand():
    # 9 positive-negative pairs: 4 won, 2 tied within a score, 3 lost
    assert roc_auc_from_groups([(0, 1, 2), (1, 2, 1)]) == pytest.approx(6 / 9)
    assert roc_auc_from_groups([(0, 0, 2)]) is None
    assert level_groups([(4, 1.0), (0, 0.0)]) == [(0.25, 1.0, 3.0)]
    # two levels, means 1 and 3, total SS = 4 * 1 (around 2) + within 0
    assert between_level_r2([(2, 2.0), (2, 6.0)], total_ss=4.0) == pytest.approx(1.0)


def test_passes_do_not_grow_with_columns(spark):
    from pyspark.sql import functions as F

    wide = spark.range(200).select(
        *[(F.col("id") * (i + 1) % 17).cast("double").alias(f"n{i}") for i in range(6)],
        *[(F.col("id") % (i + 2)).cast("string").alias(f"s{i}") for i in range(6)],
        (F.col("id") % 2).alias("y"),
    )
    narrow = profile_frame(wide, "t", columns=["n0", "n1", "s0"], target="y", task="classification")
    full = profile_frame(wide, "t", columns=[f"n{i}" for i in range(6)] + [f"s{i}" for i in range(6)],
                         target="y", task="classification")
    assert narrow.passes == full.passes == 3
    assert narrow.pass_names == full.pass_names == ["summary", "distributions", "correlation"]
    # Job counts come from the status tracker, which the listener bus fills asynchronously: a
    # loaded CI run read 7 and 9 for the same three passes, so only their presence is checked.
    assert narrow.spark_jobs > 0 and full.spark_jobs > 0


def test_report_is_self_contained_html(profile):
    html = render_report(profile)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    images = re.findall(r'<img alt="plot" src="data:image/png;base64,', html)
    # missingness, target relation, heat map, 3 histograms (x, fare, survived), 3 category charts,
    # the day column's rows per month
    assert len(images) == 10
    assert not re.search(r'(src|href)="(http|//)', html)
    assert "3 passes" not in html and "3: summary, distributions, correlation" in html


def test_stats_rows_carry_run_and_source_version(profile, spark):
    from transforms.profiling import STATS_TABLE_SCHEMA

    stats = spark.createDataFrame(profile.stats_rows(), STATS_TABLE_SCHEMA)
    row = stats.where("column = 'colour'").selectExpr(
        "run_id", "source_version", "passes", "top_categories[0].value AS top").first()
    assert (row.run_id, row.source_version, row.passes, row.top) == ("run-1", 3, 3, "blue")


def test_empty_table_is_a_clear_error(passengers):
    with pytest.raises(ValueError, match="has no rows"):
        profile_frame(passengers.limit(0), "empty")


def test_moments_from_shifted_power_sums_by_hand():
    # values 1, 2, 6 shifted by 2: d = -1, 0, 4
    sums = PowerSums(shift=2.0, n=3, s1=3.0, s2=17.0, s3=63.0)
    assert sums.mean == pytest.approx(3.0)
    assert sums.std == pytest.approx(math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + (6 - 3) ** 2) / 2))
    m2, m3 = 14.0, (-2) ** 3 + (-1) ** 3 + 3 ** 3
    assert sums.population_skewness == pytest.approx(math.sqrt(3) * m3 / m2 ** 1.5)
    assert PowerSums(shift=5.0, n=2, s1=0.0, s2=0.0, s3=0.0).population_skewness is None
    # pairs (0, 0), (1, 2), (2, 4): a straight line; shifts do not matter
    assert pearson(3, 3.0, 5.0, 6.0, 20.0, 10.0) == pytest.approx(1.0)
    assert pearson(3, 3.0, 5.0, 3.0, 3.0, 3.0) is None  # the second is constant


def test_bins_place_buckets_score_bins_fences_and_zero():
    bounds = NumericBounds(minimum=-2.0, maximum=6.0, lower_fence=-1.0, upper_fence=4.0,
                           score_edges=[1.0, 3.0], shift=1.0)
    bins = Bins(bounds, ProfileSettings(histogram_bins=4), score_bins=True)
    # breakpoints: buckets 0, 2, 4; score edges 1, 3; fences -1 and just above 4; zero [0, 5e-324)
    assert bins.splits == [-math.inf, -1.0, 0.0, 5e-324, 1.0, 2.0, 3.0, 4.0,
                           math.nextafter(4.0, math.inf), math.inf]
    place = [bins.placement(i) for i in range(len(bins.splits) - 1)]
    assert place[0] == Placement(bucket=0, score_bin=0, side="low", zero=False)  # below -1
    assert place[2] == Placement(bucket=1, score_bin=0, side="", zero=True)  # exactly 0
    assert place[5] == Placement(bucket=2, score_bin=1, side="", zero=False)  # [2, 3)
    assert place[7] == Placement(bucket=3, score_bin=2, side="", zero=False)  # exactly 4
    assert place[8] == Placement(bucket=3, score_bin=2, side="high", zero=False)  # above 4
    assert Bins(bounds, ProfileSettings(histogram_bins=4), score_bins=False).placement(6).score_bin == 0


def test_edge_values_distinct_levels_and_times(spark):
    rows = [(-0.0, "a", "2020-01-02 03:04:05"), (0.0, "b", None), (1.0, "a", "2019-12-31 23:59:59.5"),
            (3.0, "c", "2020-01-01 00:00:00"), (None, "a", None)]
    frame = spark.createDataFrame(rows, "x double, s string, at string").withColumn("at", F.to_timestamp("at"))
    profile = profile_frame(frame, "edges", settings=ProfileSettings(histogram_bins=3))
    x = profile.column("x")
    assert x.zeros_pct == pytest.approx(50.0)  # -0.0 is a zero too
    # buckets [0, 1), [1, 2), [2, 3]: each value in the bucket whose reported edges hold it
    assert [(b["lower"], b["count"]) for b in x.histogram] == [(0.0, 2), (1.0, 1), (2.0, 1)]
    assert (x.approx_distinct, x.count) == (3, 4)
    assert profile.column("s").approx_distinct == 3  # category levels are counted exactly
    at = profile.column("at")
    assert (at.min_value, at.max_value) == ("2019-12-31 23:59:59.5", "2020-01-02 03:04:05")
    assert (at.count, at.approx_distinct) == (3, 3)
    assert len(profile.pass_seconds) == profile.passes == 2  # one numeric column: no correlation
