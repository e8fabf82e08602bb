"""HTML building blocks of the project's self-contained reports: style, tables, inlined plots.

Both the profile report and the model report use them, so a page looks the same whichever job
wrote it and neither report reaches into the other's private helpers.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from html import escape

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from transforms.reporting.numbers import NUMBER, format_number

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f0f0f0}td.l,th.l{text-align:left}
.flag{background:#fde2e1;border-radius:3px;padding:0 4px;margin-right:3px;font-size:12px}
.col{border-top:2px solid #ddd;margin-top:1.5em;padding-top:0.5em}
.plots img{max-width:48%;vertical-align:top}
.meta{margin:0.2em 0;color:#555;font-size:13px}
nav.toc{background:#f7f7f7;border:1px solid #ddd;padding:0.3em 1em;font-size:14px}
nav.toc li{margin:0.15em 0}
"""
# The headings a page's contents list: every <h2>, and every <h3> that has an id (a column).
_HEADING = re.compile(r"<(h2|h3)((?:\s[^>]*)?)>(.*?)</\1>", re.S)
_ID = re.compile(r"""\sid=(['"])(.*?)\1""")
_TAG = re.compile(r"<[^>]*>")


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


def format_value(value: object, kind: str = NUMBER) -> str:
    """A cell's text, HTML-escaped (values come from the data): empty for null, numbers by
    `format_number` (`kind` says what the number means: an id, a count, a percentage...)."""
    return escape(format_number(value, kind))


def html_table(headers: list[str], rows: list[list[object]], kinds: Sequence[str] | None = None) -> str:
    """A table with the first column left-aligned as a label and every header and cell escaped;
    `kinds` gives each column's number kind (default: plain numbers)."""
    kinds = list(kinds or [])
    kinds += [NUMBER] * (len(headers) - len(kinds))
    head = "".join(f"<th class='l'>{escape(h)}</th>" if i == 0 else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td class='l'>{format_value(v, kinds[i])}</td>" if i == 0
                         else f"<td>{format_value(v, kinds[i])}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _with_contents(body: str) -> tuple[str, str]:
    """The contents of `body` (links to its headings) and `body` with an id on every <h2>.

    Found in the rendered body rather than passed in, so a section added to a report is
    listed without anyone remembering to list it. <h3>s with an id are listed inline under
    the <h2> before them (a profile's columns).
    """
    entries: list[tuple[str, str, list[tuple[str, str]]]] = []

    def anchor(match: re.Match[str]) -> str:
        tag, attributes, text = match.groups()
        found = _ID.search(attributes)
        if tag == "h3" and (found is None or not entries):
            return match.group(0)
        target = found.group(2) if found else f"section-{len(entries) + 1}"
        label = _TAG.sub("", text).strip()
        if tag == "h3":
            entries[-1][2].append((target, label))
            return match.group(0)
        entries.append((target, label, []))
        return match.group(0) if found else f"<h2 id='{target}'{attributes}>{text}</h2>"

    body = _HEADING.sub(anchor, body)
    items = "".join(
        f"<li><a href='#{target}'>{label}</a>"
        + (": " + " · ".join(f"<a href='#{t}'>{name}</a>" for t, name in children) if children else "")
        + "</li>" for target, label, children in entries)
    return (f"<nav class='toc'><strong>Contents</strong><ol>{items}</ol></nav>" if entries else ""), body


def html_page(title: str, body: str) -> str:
    """A whole self-contained page: `title` as its <h1>, then its contents, then `body`.

    `title` is text (escaped here); `body` is HTML whose <h2> headings become the contents."""
    contents, body = _with_contents(body)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{escape(title)}</title><style>{STYLE}</style></head><body>
<h1>{escape(title)}</h1>
{contents}
{body}
</body></html>"""
