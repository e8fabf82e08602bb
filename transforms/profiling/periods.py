"""Rows per period of a date or time column, counted in pass 2 (no pass of its own).

Pass 1 gives each temporal column its first and last value; from them `Periods` picks the
shortest period (month, quarter, year, then 2, 5, 10, ... years) that covers the range in at
most `MAX_PERIODS` bars. Pass 2 then counts a temporal value under its period's index instead
of a bare "present" code, so the column adds at most `MAX_PERIODS` + 1 groups to the grouped
pass, whatever its range or number of distinct values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

MAX_PERIODS = 60
# Months per bar, shortest first; past 100 years every further step is 10 times longer.
_STEPS = (1, 3, 12, 24, 60, 120, 240, 600, 1200)
# The year and month at the start of Spark's text of a date or timestamp ("+10000-01-01" too).
_YEAR_MONTH = re.compile(r"^([+-]?\d+)-(\d{2})")


def _month_index(text: str | None) -> int | None:
    match = _YEAR_MONTH.match(text or "")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1 if match else None


@dataclass(frozen=True)
class Periods:
    """Bars of `months` months each, the first starting at month index `first` (year·12 + month-1)."""

    first: int
    months: int

    @classmethod
    def spanning(cls, first_value: str | None, last_value: str | None) -> Periods | None:
        """Periods for a column whose values run from `first_value` to `last_value` (Spark's
        text of them); None when either is missing or unreadable."""
        first, last = _month_index(first_value), _month_index(last_value)
        if first is None or last is None:
            return None
        step = next(s for s in _steps() if last // s - first // s < MAX_PERIODS)
        # Bars start on a calendar boundary: a quarter, a year, a decade.
        return cls(first - first % step, step)

    def code(self, value: Column) -> Column:
        """The index of the bar holding `value` (a date or timestamp column)."""
        month = F.year(value) * 12 + F.month(value) - 1
        # Never below 0: -1 is pass 2's code for a missing value, and a timestamp past 2255
        # comes back from pass 1's double as text that may be a hair later than its value.
        return F.greatest(F.floor((month - F.lit(self.first)) / F.lit(self.months)), F.lit(0))

    def label(self, code: int) -> str:
        """The start of bar `code`: 2020-01 (months), 2020-Q1 (quarters), 2020 (years)."""
        year, month = divmod(self.first + code * self.months, 12)
        if self.months == 1:
            return f"{year}-{month + 1:02d}"
        if self.months == 3:
            return f"{year}-Q{month // 3 + 1}"
        return str(year)

    @property
    def name(self) -> str:
        return {1: "month", 3: "quarter", 12: "year"}.get(self.months, f"{self.months // 12} years")


def _steps() -> Iterator[int]:
    yield from _STEPS
    step = _STEPS[-1]
    while True:
        step *= 10
        yield step
