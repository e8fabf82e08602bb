"""The promotion decision: absolute thresholds, then the champion beaten by a margin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from transforms.modeling.metrics import higher_is_better

# Relative difference under which two metrics are the same figure.
TIE_TOLERANCE = 1e-9


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
