"""Moments from power sums of shifted values: what pass 2's plain sums give back.

Pass 2 sums d = x - shift, d², d³ (and, over rows with a target, d·e with e = target - its
shift) per group; adding the groups' sums gives the column's, from which the central moments
follow exactly as from the values. With the shift near the centre (the median) the sums hold
no large common offset, so subtracting the mean loses no precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PowerSums:
    """n values' sums of d, d² and d³, where d is the value minus `shift`."""

    shift: float
    n: int
    s1: float
    s2: float
    s3: float

    @property
    def mean(self) -> float | None:
        return self.shift + self.s1 / self.n if self.n else None

    def _m2_m3(self) -> tuple[float, float]:
        mu = self.s1 / self.n
        m2 = max(0.0, self.s2 - self.s1 * mu)
        m3 = self.s3 - 3 * mu * self.s2 + 2 * self.n * mu ** 3
        return m2, m3

    @property
    def std(self) -> float | None:
        """Sample standard deviation (n - 1), as pandas and Spark's `stddev_samp`."""
        if self.n < 2:
            return None
        return math.sqrt(self._m2_m3()[0] / (self.n - 1))

    @property
    def population_skewness(self) -> float | None:
        """g1 = √n·M3 / M2^1.5, as Spark's `skewness`; None for a constant column."""
        if not self.n:
            return None
        m2, m3 = self._m2_m3()
        if m2 <= 0:
            return None
        return math.sqrt(self.n) * m3 / m2 ** 1.5


def pearson(n: int, sx: float, sxx: float, sy: float, syy: float, sxy: float) -> float | None:
    """Pearson correlation of n pairs from their (shifted) sums; None if either is constant."""
    if n < 2:
        return None
    covariance = sxy - sx * sy / n
    var_x, var_y = sxx - sx * sx / n, syy - sy * sy / n
    if var_x <= 0 or var_y <= 0:
        return None
    return max(-1.0, min(1.0, covariance / math.sqrt(var_x * var_y)))


def sample_skewness(population_skewness: float | None, count: int) -> float | None:
    """Spark's `skewness` is the population g1; pandas reports the adjusted G1 = g1·√(n(n-1))/(n-2)."""
    if population_skewness is None or count < 3 or math.isnan(population_skewness):
        return None
    return population_skewness * math.sqrt(count * (count - 1)) / (count - 2)
