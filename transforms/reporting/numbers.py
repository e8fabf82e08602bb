"""Numbers as people read them: thousands separators and decimals chosen by magnitude.

One function, `format_number`, formats every figure the reports and the jobs' summaries show,
so an RMSE reads 37,960 (not 3.796e+04), an AUC 0.8552, an id 20000 (not 2e+04) and a share
of missing values 12.5%. The caller says what a value means (`kind`), because its magnitude
alone cannot tell an id from a count or a share from a score.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

NUMBER, COUNT, ID, PERCENT, FRACTION = "number", "count", "id", "percent", "fraction"
KINDS = (NUMBER, COUNT, ID, PERCENT, FRACTION)
# Below this a measure keeps two significant digits, in scientific notation under 1e-4.
TINY = 1e-3
# Above this separators stop helping: 1.235e+15 is easier to read than sixteen digits.
HUGE = 1e15


def _decimals(magnitude: float) -> int:
    """Fixed decimals giving about four significant digits: 37,960 / 123.4 / 12.35 / 1.235 / 0.8552."""
    if magnitude >= 1000:
        return 0
    if magnitude >= 100:
        return 1
    if magnitude >= 10:
        return 2
    if magnitude >= 1:
        return 3
    return 4


def _measure(value: float) -> str:
    magnitude = abs(value)
    if value == 0:
        return "0"
    if magnitude >= HUGE:
        return f"{value:.3e}"
    if magnitude < TINY:
        return f"{value:.2g}"
    return f"{value:,.{_decimals(magnitude)}f}"


def _percent(value: float) -> str:
    magnitude = abs(value)
    if value == 0 or magnitude >= 0.1:
        return f"{value:,.1f}%"
    # A nonzero share must not read 0.0%: one missing value in 1,460 rows is 0.068%.
    return f"{value:.2g}%"


def format_number(value: object, kind: str = NUMBER, missing: str = "") -> str:
    """`value` as text for a reader; `missing` for None and NaN, `inf`/`-inf` for infinities.

    Kinds: ``number`` (a measure: integers with separators, floats with decimals by magnitude),
    ``count`` (rounded to a whole number, with separators), ``id`` (a key or identifier: whole
    numbers as plain digits, no separators), ``percent`` (a value already in 0-100) and
    ``fraction`` (a share in 0-1, shown as a percentage). Anything not a number is ``str()``-ed.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown number kind {kind!r}; one of: {', '.join(KINDS)}")
    if value is None:
        return missing
    # numbers.Real also takes numpy's scalars (np.int64 is no int), not bool (a flag, not a figure).
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if not isinstance(value, numbers.Integral):
        value = float(value)
        if math.isnan(value):
            return missing
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    if kind == ID:
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if kind == COUNT:
        return f"{round(value):,d}"
    if kind == PERCENT:
        return _percent(float(value))
    if kind == FRACTION:
        return _percent(100.0 * value)
    return f"{int(value):,d}" if isinstance(value, numbers.Integral) else _measure(value)


def format_figures(figures: Mapping[str, object], missing: str = "-") -> str:
    """Named figures on one line, e.g. ``rmse 27,056, r2 0.8810`` (for log and summary lines)."""
    return ", ".join(f"{name} {format_number(value, missing=missing)}" for name, value in figures.items())
