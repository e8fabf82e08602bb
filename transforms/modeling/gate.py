"""The promotion decision: absolute thresholds, then the champion beaten by a margin."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from transforms.modeling.metrics import higher_is_better

# Relative difference under which two metrics are the same figure.
TIE_TOLERANCE = 1e-9
# Why a test metric can have no value (NaN) on a set of rows.
NAN_CAUSES = {
    "rmsle": "rmsle needs labels > 0: log has no value at 0 or below",
    "mape": "mape leaves out rows whose label is 0, and every label is 0",
}


class GateError(ValueError):
    """A metric the gate compares has no value (NaN) on the test rows: every comparison with NaN is
    false, so the gate would reject with a reason ("nan above the maximum") that hides the cause."""


@dataclass(frozen=True)
class Bound:
    min: float | None = None
    max: float | None = None


@dataclass
class Decision:
    promote: bool
    reasons: list[str] = field(default_factory=list)


def decide(
    challenger: Mapping[str, float],
    champion: Mapping[str, float] | None,
    metric: str,
    margin: float,
    thresholds: Mapping[str, Bound],
) -> Decision:
    """Whether the challenger may replace the champion, with a reason for every check.

    Every threshold must hold; then, if there is a champion, the challenger's `metric` on the
    same test rows must be strictly better than the champion's, by at least `margin` times
    |champion's metric|.
    """
    refuse_nan(challenger, champion, metric, thresholds)
    reasons: list[str] = []
    passed = True
    for name, bound in sorted(thresholds.items()):
        if name not in challenger:
            passed = False
            reasons.append(f"{name}: no such test metric (known: {', '.join(sorted(challenger))})")
            continue
        value = challenger[name]
        if bound.min is not None and not value >= bound.min:
            passed = False
            reasons.append(f"{name} {value:.6g} below the minimum {bound.min:.6g}")
        elif bound.max is not None and not value <= bound.max:
            passed = False
            reasons.append(f"{name} {value:.6g} above the maximum {bound.max:.6g}")
        else:
            reasons.append(f"{name} {value:.6g} within bounds")
    if champion is None:
        reasons.append("no champion yet")
        return Decision(passed, reasons)
    ours, theirs = challenger[metric], champion[metric]
    gain = ours - theirs if higher_is_better(metric) else theirs - ours
    # Strictly better, by at least the margin: with margin 0 a tie (the same model registered
    # twice, scored on the same rows; the last bits of a sum may differ) is not a win.
    tied = abs(gain) <= TIE_TOLERANCE * abs(theirs)
    better = not tied and gain > 0 and gain >= margin * abs(theirs)
    if better:
        reasons.append(f"{metric} {ours:.6g} beats the champion's {theirs:.6g} by the margin {margin:g}")
    elif tied:
        reasons.append(f"{metric} {ours:.6g} ties the champion's {theirs:.6g}: a tie does not beat the champion")
    else:
        reasons.append(f"{metric} {ours:.6g} does not beat the champion's {theirs:.6g} by the margin {margin:g}")
    return Decision(passed and better, reasons)


def refuse_nan(
    challenger: Mapping[str, float], champion: Mapping[str, float] | None, metric: str, thresholds: Mapping[str, Bound]
) -> None:
    """Raise `GateError`, naming the metric, whose it is and why, when a metric the gate compares is NaN."""
    keys = {name: f"gate.thresholds.{name}" for name in sorted(thresholds)}
    keys[metric] = "gate.metric"
    for name, key in keys.items():
        for whose, metrics in (("challenger", challenger), ("champion", champion or {})):
            value = metrics.get(name)
            if value is not None and math.isnan(value):
                cause = NAN_CAUSES.get(name, f"{name} has no value on these rows")
                raise GateError(f"gate: the {whose}'s {name} on the test rows is NaN ({cause}), so the gate cannot "
                                f"compare it; use another metric than {name} in {key}")
