"""Freshness of a source against its contract: is the newest data older than `max_staleness`?

Pure functions of times and durations, so the rule is tested with fixed datetimes; the ingest
and monitor jobs find the times (newest landing file, newest `_ingested_at`) and act on the line.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_DURATION = re.compile(r"^\s*([1-9][0-9]{0,5})\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """`30m`, `36h`, `7d`, `2w` as a timedelta; anything else raises ValueError saying what is accepted."""
    found = _DURATION.match(text) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"{text!r} is not a duration: write a whole number and a unit m, h, d or w (e.g. 36h, 7d)")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def _moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def stale_line(source: str, max_staleness: str, now: datetime, newest_file: datetime | None,
               newest_ingested: datetime | None) -> str | None:
    """The warning line if `source` is stale at `now`, else None.

    Stale: the newest landing file, or the newest ingested row, is older than `max_staleness`
    (a source that has neither has never delivered, which is stale too). The file is named
    first: a file that did not arrive is the upstream's problem, an old ingest is ours.
    All datetimes must be alike (all UTC-aware, or all naive).
    """
    limit = parse_duration(max_staleness)
    for what, newest in (("newest file", newest_file), ("newest ingested row", newest_ingested)):
        if newest is None:
            return f"source {source!r} is stale: no {what.removeprefix('newest ')} yet, max_staleness {max_staleness}"
        if now - newest > limit:
            return f"source {source!r} is stale: {what} {_moment(newest)}, older than max_staleness {max_staleness}"
    return None
