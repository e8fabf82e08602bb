"""HTML building blocks of the project's self-contained reports: style, tables, inlined plots.

Both the profile report and the model report use them, so a page looks the same whichever job
wrote it and neither report reaches into the other's private helpers.
"""

from __future__ import annotations

import base64
import io
from html import escape

from matplotlib.axes import Axes
from matplotlib.figure import Figure

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f0f0f0}td.l,th.l{text-align:left}
.flag{background:#fde2e1;border-radius:3px;padding:0 4px;margin-right:3px;font-size:12px}
.col{border-top:2px solid #ddd;margin-top:1.5em;padding-top:0.5em}
.plots img{max-width:48%;vertical-align:top}
"""


def new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of `width` x `height` inches with one set of axes."""
    # A bare Figure, not pyplot: no global state, no GUI backend, nothing to close.
    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def png_image(figure: Figure) -> str:
    """The figure as an inline ``<img>``: the report stays one self-contained file."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="plot" src="data:image/png;base64,{data}">'


def format_value(value: object) -> str:
    """A cell's text, HTML-escaped (values come from the data): empty for null, floats to 4 digits."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return escape(str(value))


def html_table(headers: list[str], rows: list[list[object]]) -> str:
    """A table with the first column left-aligned as a label and every header and cell escaped."""
    head = "".join(f"<th class='l'>{escape(h)}</th>" if i == 0 else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td class='l'>{format_value(v)}</td>" if i == 0 else f"<td>{format_value(v)}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"
