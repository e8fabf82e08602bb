"""The HTML building blocks both reports use: escaped text, readable numbers, inline plots, contents."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from transforms.reporting.html import format_value, html_page, html_table, new_figure, png_image
from transforms.reporting.numbers import format_figures, format_number


def test_cells_and_headers_from_the_data_are_escaped():
    page = html_table(["<b>col</b>", "n"], [["<script>x</script>", 3]])
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "&lt;b&gt;col&lt;/b&gt;" in page
    assert "<td class='l'>&lt;script&gt;" in page and "<td>3</td>" in page


@pytest.mark.parametrize(("value", "text"), [
    (37960.123, "37,960"),  # an RMSE: not 3.796e+04
    (1234567.0, "1,234,567"),
    (123.456, "123.5"),
    (12.3456, "12.35"),
    (1.23456, "1.235"),
    (0.855213, "0.8552"),  # an AUC
    (0.0123456, "0.0123"),
    (0.00052, "0.00052"),  # small, still in plain digits
    (1.2345e-05, "1.2e-05"),  # really tiny: scientific
    (0.0, "0"),
    (-37960.4, "-37,960"),
    (-0.855213, "-0.8552"),
    (2.5e16, "2.500e+16"),
    (20000, "20,000"),  # an integer measure keeps every digit
    (np.float64(37960.123), "37,960"),
    (np.int64(20000), "20,000"),
])
def test_measures_get_separators_and_decimals_by_magnitude(value, text):
    assert format_number(value) == text


def test_ids_are_plain_integers_and_counts_whole_numbers():
    assert format_number(20000, "id") == "20000" and format_number(20000.0, "id") == "20000"
    assert format_number(np.int64(1460), "id") == "1460" and format_number(2.5, "id") == "2.5"
    assert format_number(1460.0, "count") == "1,460" and format_number(145.6, "count") == "146"


def test_percentages_from_percents_and_fractions():
    assert format_number(12.5, "percent") == "12.5%" and format_number(0.0, "percent") == "0.0%"
    assert format_number(100 / 1460, "percent") == "0.068%"  # one in 1,460 must not read 0.0%
    assert format_number(0.25, "fraction") == "25.0%" and format_number(1.0, "fraction") == "100.0%"


def test_missing_not_a_number_infinity_and_text():
    assert format_number(None) == "" and format_number(float("nan")) == ""
    assert format_number(None, missing="-") == "-" and format_number(float("nan"), "count", missing="-") == "-"
    assert format_number(float("inf")) == "inf" and format_number(float("-inf"), "percent") == "-inf"
    assert format_number(True) == "True" and format_number("abc") == "abc"
    with pytest.raises(ValueError, match="unknown number kind 'money'"):
        format_number(1.0, "money")


def test_figures_on_one_line():
    assert format_figures({"rmse": 27056.4, "r2": 0.88104, "mae": float("nan")}) == "rmse 27,056, r2 0.8810, mae -"


def test_cells_are_formatted_by_their_column_kind_and_escaped():
    assert format_value(None) == "" and format_value(0.123456) == "0.1235" and format_value("a&b") == "a&amp;b"
    assert format_value(20000.0, "id") == "20000"
    page = html_table(["key", "rmse", "null %"], [[20000, 37960.1, 12.5]], kinds=["id", "number", "percent"])
    assert "<td class='l'>20000</td><td>37,960</td><td>12.5%</td>" in page


def test_a_plot_is_an_inline_png():
    figure, axes = new_figure(2, 1)
    axes.plot([0, 1], [1, 0])
    image = png_image(figure)
    assert image.startswith('<img alt="plot" src="data:image/png;base64,')
    payload = image.split("base64,", 1)[1].rstrip('">')
    assert base64.b64decode(payload).startswith(b"\x89PNG")


def test_page_contents_link_every_section_and_listed_subsection():
    body = ("<h2>Overview &amp; more</h2><p>x</p><h2 id='cols'>Columns</h2>"
            "<h3 id='col-0'>a&lt;b</h3><h3>not listed</h3><h2>Last</h2>")
    page = html_page("Title <x>", body)
    assert "<title>Title &lt;x&gt;</title>" in page and "<h1>Title &lt;x&gt;</h1>" in page
    contents = page.split("<nav class='toc'>", 1)[1].split("</nav>", 1)[0]
    links = re.findall(r"<a href='#([^']+)'>([^<]*)</a>", contents)
    assert links == [("section-1", "Overview &amp; more"), ("cols", "Columns"), ("col-0", "a&lt;b"),
                     ("section-3", "Last")]
    ids = re.findall(r"\sid='([^']+)'", page)
    assert len(ids) == len(set(ids)) and {target for target, _ in links} <= set(ids)
    assert page.index("<nav class='toc'>") < page.index("<h2")


def test_a_page_without_sections_has_no_contents():
    assert "<nav" not in html_page("T", "<p>only text</p>")
