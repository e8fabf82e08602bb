"""The profile report's Source section: the contract of the profiled table's source."""

from __future__ import annotations

import re

from transforms.profiling import profile_frame
from transforms.profiling.html import render_report


def test_the_source_section_lists_the_contract_escaped_and_skips_what_is_unset(spark) -> None:
    frame = spark.createDataFrame([(1, 2.0), (2, 3.0), (3, 5.0)], "id int, x double")
    profile = profile_frame(frame, "t", columns=["id", "x"])
    contract = {"source": "passengers", "owner": "the course", "max_staleness": "36h",
                "bias": "<b>sex</b> and class", "cost": None}

    html = render_report(profile, contract)

    # Headings carry the anchors of the report's contents: <h2 id='section-N'>.
    start, end = (re.search(rf"<h2[^>]*>{title}", html).start() for title in ("Source", "Variables"))
    section = html[start:end]
    assert "<em>passengers</em>" in section
    assert "the course" in section and "max staleness" in section and "36h" in section
    assert "&lt;b&gt;sex&lt;/b&gt; and class" in section and "<b>" not in section
    assert "cost" not in section
    assert "no <code>contract:</code> block" in render_report(profile, {"source": "s", "owner": None})
    assert not re.search(r"<h2[^>]*>Source</h2>", render_report(profile))
