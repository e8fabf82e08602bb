"""What the profile report shows: keys and bookkeeping listed but not plotted or related, dates
counted per period in the same pass, readable numbers, and a table of contents that resolves."""

from __future__ import annotations

import re

import pytest
from pyspark.sql import functions as F

from transforms.profiling import STATS_TABLE_SCHEMA, ProfileSettings, profile_frame
from transforms.profiling.governance import column_roles
from transforms.profiling.html import render_report
from transforms.profiling.periods import MAX_PERIODS, Periods

PLOT = '<img alt="plot"'


@pytest.fixture(scope="module")
def orders(spark):
    rows = [
        # id is the key; name an identifier; x and y move together and with the target
        (20000, "ann", 1.0, 2.0, "2020-01-15", "2024-05-01 10:00:00", "b1", 0),
        (20001, "bob", 2.0, 4.5, "2020-01-20", "2024-05-01 10:00:00", "b1", 0),
        (20002, "cyd", 3.0, 6.0, "2020-03-02", "2024-05-02 10:00:00", "b2", 1),
        (20003, "dan", 4.0, 8.5, None, "2024-05-02 10:00:00", "b2", 1),
        (20004, "eve", 5.0, 9.0, "2020-03-31", "2024-05-02 10:00:00", "b2", 1),
    ]
    schema = ("id int, name string, x double, y double, day string, _ingested_at string, "
              "_batch_id string, bought int")
    return (spark.createDataFrame(rows, schema).withColumn("day", F.to_date("day"))
            .withColumn("_ingested_at", F.to_timestamp("_ingested_at")))


@pytest.fixture(scope="module")
def profile(orders):
    roles = column_roles(identifiers=["name"], key=["id"], label="bought")
    return profile_frame(orders, "orders", target="bought", task="classification", roles=roles,
                         settings=ProfileSettings(histogram_bins=4, score_bins=10))


@pytest.fixture(scope="module")
def page(profile):
    return render_report(profile)


def _section(page: str, profile, name: str) -> str:
    start = page.index(f"<h3 id='col-{profile.column(name).position}'>")
    end = page.find("<div class='col'>", start)
    return page[start:end if end > 0 else None]


def test_keys_and_bookkeeping_are_counted_but_not_correlated_or_related(profile):
    roles = {c.column: c.role for c in profile.columns}
    assert roles == {"id": "key", "name": "identifier", "x": "feature", "y": "feature", "day": "feature",
                     "_ingested_at": "bookkeeping", "_batch_id": "bookkeeping", "bought": "label"}
    key = profile.column("id")
    assert (key.count, key.approx_distinct, key.min, key.max) == (5, 5, 20000.0, 20004.0)
    assert key.correlations == {} and "id" not in profile.column("x").correlations
    assert profile.column("x").correlations["y"] == pytest.approx(0.99, abs=0.01)
    for name in ("id", "name", "_batch_id", "_ingested_at"):
        column = profile.column(name)
        assert column.target_score is None and column.target_metric is None, name
        assert "possible_leak" not in column.flags, name
    assert profile.correlation_matrix()[0] == ["x", "y", "bought"]
    assert profile.column("x").target_score == pytest.approx(1.0)
    assert profile.passes == 3  # nothing above adds a pass


def test_dates_are_counted_per_month_in_the_distribution_pass(profile, spark):
    day = profile.column("day")
    assert day.period == "month"
    assert day.periods == [{"start": "2020-01", "count": 2, "target_mean": 0.0},
                           {"start": "2020-02", "count": 0, "target_mean": None},
                           {"start": "2020-03", "count": 2, "target_mean": 1.0}]
    assert profile.column("_ingested_at").periods == []  # bookkeeping: no plot, nothing counted
    stats = spark.createDataFrame(profile.stats_rows(), STATS_TABLE_SCHEMA)
    row = stats.where("column = 'day'").selectExpr("period", "periods[2].count AS march").first()
    assert (row.period, row.march) == ("month", 2)


def test_periods_cover_any_range_in_a_bounded_number_of_bars():
    months = Periods.spanning("2019-12-31 23:59:59.5", "2020-02-01")
    assert (months.name, months.label(0), months.label(2)) == ("month", "2019-12", "2020-02")
    decades = Periods.spanning("2000-01-01", "2030-12-31")
    assert (decades.name, decades.label(0), decades.label(30)) == ("year", "2000", "2030")
    quarters = Periods.spanning("2010-05-01", "2019-12-01")
    assert (quarters.name, quarters.label(0), quarters.label(1)) == ("quarter", "2010-Q2", "2010-Q3")
    widest = Periods.spanning("0001-01-01", "+10000-12-31")
    assert (10000 * 12) // widest.months < MAX_PERIODS and widest.label(1) == "1000"
    assert Periods.spanning(None, "2020-01-01") is None and Periods.spanning("garbage", "2020-01") is None


def test_report_plots_dates_but_not_keys_or_bookkeeping(profile, page):
    assert _section(page, profile, "day").count(PLOT) == 1
    assert "day: rows per month" not in page  # the title is inside the PNG, not text
    for name in ("id", "name", "_ingested_at", "_batch_id"):
        assert PLOT not in _section(page, profile, name), name
    for name in ("x", "y", "bought"):
        assert _section(page, profile, name).count(PLOT) == 1, name


def test_report_numbers_are_readable_and_ids_stay_ids(profile, page):
    key = _section(page, profile, "id")
    assert "<td>20000</td>" in key and "<td>20004</td>" in key and "e+04" not in page
    assert ">mean<" not in key  # a mean of ids means nothing
    assert "<td>20.0%</td>" in _section(page, profile, "day")  # null % of one in five rows
    assert "<td>10,000 (rank error ≤ n/10,000)</td>" in page


def test_contents_link_every_section_and_column_to_an_id_in_the_page(profile, page):
    contents = page.split("<nav class='toc'>", 1)[1].split("</nav>", 1)[0]
    targets = re.findall(r"href='#([^']+)'", contents)
    ids = re.findall(r"\sid='([^']+)'", page)
    assert len(ids) == len(set(ids))
    assert targets and set(targets) <= set(ids)
    assert {f"col-{c.position}" for c in profile.columns} <= set(targets)
    headings = re.findall(r"<h2 id='[^']+'>", page)
    assert len(headings) == len(re.findall(r"<h2", page)) == 6
