"""The freshness rule of a source contract on fixed datetimes: newest file, then newest ingest."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from transforms.ingestion.freshness import parse_duration, stale_line

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", timedelta(minutes=30)), ("36h", timedelta(hours=36)), ("7d", timedelta(days=7)),
    ("2w", timedelta(weeks=2)), (" 1 d ", timedelta(days=1)),
])
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "36", "h", "0h", "1.5d", "-2d", "36 hours", "1y", "9999999d"])
def test_anything_else_is_refused_with_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration: write a whole number and a unit m, h, d or w"):
        parse_duration(text)


def test_a_file_older_than_max_staleness_is_stale_and_named_first() -> None:
    old_file = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    assert stale_line("x", "36h", NOW, old_file, NOW - timedelta(hours=1)) == (
        "source 'x' is stale: newest file 2026-11-20 10:00, older than max_staleness 36h")


def test_an_old_ingest_is_stale_even_with_a_fresh_file() -> None:
    assert stale_line("x", "1d", NOW, NOW - timedelta(hours=2), datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)) == (
        "source 'x' is stale: newest ingested row 2026-11-20 09:30, older than max_staleness 1d")


def test_within_max_staleness_is_fresh_and_the_bound_is_inclusive() -> None:
    assert stale_line("x", "36h", NOW, NOW - timedelta(hours=36), NOW - timedelta(minutes=5)) is None


def test_a_source_that_never_delivered_is_stale() -> None:
    assert stale_line("x", "7d", NOW, None, None) == "source 'x' is stale: no file yet, max_staleness 7d"
    assert stale_line("x", "7d", NOW, NOW, None) == "source 'x' is stale: no ingested row yet, max_staleness 7d"
