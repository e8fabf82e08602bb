"""The HTML building blocks both reports use: escaped text, readable numbers, inline plots."""

from __future__ import annotations

import base64

from transforms.reporting.html import format_value, html_table, new_figure, png_image


def test_cells_and_headers_from_the_data_are_escaped():
    page = html_table(["<b>col</b>", "n"], [["<script>x</script>", 3]])
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "&lt;b&gt;col&lt;/b&gt;" in page
    assert "<td class='l'>&lt;script&gt;" in page and "<td>3</td>" in page


def test_null_is_empty_and_floats_keep_four_significant_digits():
    assert format_value(None) == ""
    assert format_value(0.123456) == "0.1235"
    assert format_value("a&b") == "a&amp;b"


def test_a_plot_is_an_inline_png():
    figure, axes = new_figure(2, 1)
    axes.plot([0, 1], [1, 0])
    image = png_image(figure)
    assert image.startswith('<img alt="plot" src="data:image/png;base64,')
    payload = image.split("base64,", 1)[1].rstrip('">')
    assert base64.b64decode(payload).startswith(b"\x89PNG")
