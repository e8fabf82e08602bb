"""Discretisation: equal-width, equal-frequency and arbitrary bins.

Bins are right-closed intervals ``(edge_i, edge_i+1]`` numbered 0..k-1, as pandas' ``cut``;
the outer edges of learned bins are ±infinity, so values beyond the training range at scoring
time fall in the first or last bin. Nulls stay null.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from pyspark import keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.features._base import (
    FeatureConfigError,
    FeatureEstimator,
    FeatureModel,
    FeatureTransformer,
    HasColumnPairs,
    HasRelativeError,
    aggregate,
    finite,
    present,
    quantile,
)
from transforms.params import bounded


def bin_index(value: Column, edges: list[float]) -> Column:
    """The index of the right-closed interval of ``edges`` holding ``value``; null outside."""
    expression = F.when(value.isNull() | F.isnan(value), F.lit(None).cast("int"))
    for i in range(len(edges) - 1):
        low, high = edges[i], edges[i + 1]
        # pandas' include_lowest: the first interval also holds its left edge
        above = value >= low if i == 0 else value > low
        expression = expression.when(above & (value <= high), F.lit(i))
    return expression


class _BinsModel(FeatureModel, HasColumnPairs):
    """Replaces each value by the index of its learned bin."""

    def bin_edges(self) -> dict[str, list[float]]:
        return self.learned_state()["edges"]

    def _transform(self, dataset: DataFrame) -> DataFrame:
        edges = self.bin_edges()
        return dataset.withColumns({
            out: bin_index(F.col(src).cast("double"), edges[src]) for src, out in self.column_pairs()
        })


class _BinsParams(HasColumnPairs):
    bins: Param[int] = Param(
        Params._dummy(), "bins", "the number of intervals (at least 2)",
        typeConverter=bounded("bins", 2, integer=True, error=FeatureConfigError),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(bins=10)

    def getBins(self) -> int:
        return self.getOrDefault(self.bins)


def _open_ended(inner: list[float]) -> list[float]:
    return [-math.inf, *sorted(set(inner)), math.inf]


class EqualWidthDiscretiserModel(_BinsModel, _BinsParams):
    """Bins learned by :class:`EqualWidthDiscretiser`."""


class EqualWidthDiscretiser(FeatureEstimator, _BinsParams):
    """Equal-width bins, as feature-engine's ``EqualWidthDiscretiser``.

    ``fit`` learns each column's min and max in one pass and cuts the range into ``bins``
    intervals of equal width (outer edges open).
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        bins: int = 10,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> EqualWidthDiscretiserModel:
        bins = self.getBins()
        columns = [src for src, _ in self.column_pairs()]
        stats = aggregate(dataset, {
            (c, name): fn(present(dataset, c)) for c in columns for name, fn in (("min", F.min), ("max", F.max))
        })
        edges = {}
        for c in columns:
            low, high = finite(stats[(c, "min")], f"the range of {c!r}"), finite(stats[(c, "max")], c)
            edges[c] = _open_ended([low + (high - low) * i / bins for i in range(1, bins)])
        return self._model(EqualWidthDiscretiserModel, {"edges": edges})


class _EqualFrequencyParams(_BinsParams, HasRelativeError):
    """Bins and quantile precision."""


class EqualFrequencyDiscretiserModel(_BinsModel, _EqualFrequencyParams):
    """Bins learned by :class:`EqualFrequencyDiscretiser`."""


class EqualFrequencyDiscretiser(FeatureEstimator, _EqualFrequencyParams):
    """Equal-frequency bins, as feature-engine's ``EqualFrequencyDiscretiser``.

    ``fit`` learns the quantiles 1/bins … (bins-1)/bins of each column in one pass; repeated
    edges are merged (fewer bins), as ``qcut(duplicates='drop')``.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        bins: int = 10, relativeError: float = 0.0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> EqualFrequencyDiscretiserModel:
        bins, error = self.getBins(), self.getRelativeError()
        columns = [src for src, _ in self.column_pairs()]
        stats = aggregate(dataset, {
            (c, i): quantile(present(dataset, c), i / bins, error) for c in columns for i in range(1, bins)
        })
        edges = {c: _open_ended([finite(stats[(c, i)], f"quantiles of {c!r}") for i in range(1, bins)])
                 for c in columns}
        return self._model(EqualFrequencyDiscretiserModel, {"edges": edges})


class _ArbitraryParams(HasColumnPairs):
    binEdges: Param[list[float]] = Param(
        Params._dummy(), "binEdges", "increasing edges, the same for every input column",
        typeConverter=TypeConverters.toListFloat,
    )

    def getBinEdges(self) -> list[float]:
        return self.getOrDefault(self.binEdges)


class ArbitraryDiscretiser(FeatureTransformer, _ArbitraryParams):
    """Bins given in config (nothing to learn); values outside the edges give null.

    Use ``-inf``/``inf`` as the outer edges to catch every value.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        binEdges: list[float] | None = None,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        if not self.isDefined(self.binEdges):
            raise ValueError("ArbitraryDiscretiser needs binEdges")
        edges = self.getBinEdges()
        if len(edges) < 2 or any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError(f"binEdges must be at least two increasing numbers, not {edges}")
        return dataset.withColumns({
            out: bin_index(F.col(src).cast("double"), edges) for src, out in self.column_pairs()
        })
