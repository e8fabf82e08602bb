"""Drop features whose distribution drifts between two periods (feature-engine's `DropHighPSIFeatures`)."""

from __future__ import annotations

import math

from pyspark import keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.params import bounded
from transforms.selection._base import (
    Decision,
    SelectionError,
    Selector,
    SelectorModel,
    _SelectorParams,
    decide,
)
from transforms.selection._binning import binned_counts, quantile_edges, shares

_FLOOR = 1e-4  # share given to an empty bin, so ln() stays finite (feature-engine's choice)


class _DriftParams(_SelectorParams):
    referenceCondition: Param[str] = Param(
        Params._dummy(), "referenceCondition",
        "SQL condition true for the reference period's rows (e.g. \"sale_date < '2009-01-01'\"); the rest is compared",
        typeConverter=TypeConverters.toString,
    )
    bins: Param[int] = Param(
        Params._dummy(), "bins", "equal-frequency bins, cut on the reference period",
        typeConverter=bounded("bins", 2, integer=True, error=SelectionError),
    )
    threshold: Param[float] = Param(
        Params._dummy(), "threshold", "drop features whose PSI reaches this (0.25: a significant shift)",
        typeConverter=TypeConverters.toFloat,
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(bins=10, threshold=0.25)


class DropHighPSIFeaturesModel(SelectorModel):
    """Keeps the features that are stable between the periods."""


class DropHighPSIFeatures(Selector, _DriftParams, DefaultParamsReadable, DefaultParamsWritable):
    """Drop features whose population stability index (PSI) between two periods reaches `threshold`.

    `fit` splits rows by `referenceCondition`, cuts equal-frequency bins on the reference rows,
    counts both periods per bin and sums ``(%comparison - %reference) * ln(%comparison / %reference)``.
    """

    model_class = DropHighPSIFeaturesModel

    @keyword_only
    def __init__(
        self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, referenceCondition: str | None = None,
        bins: int = 10, threshold: float = 0.25,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        if not self.isDefined(self.referenceCondition):
            raise SelectionError("DropHighPSIFeatures needs referenceCondition, the SQL condition of the reference period")
        reference = F.coalesce(F.expr(self.getOrDefault(self.referenceCondition)), F.lit(False))
        features_col, threshold = self.getFeaturesCol(), self.getOrDefault(self.threshold)
        edges = quantile_edges(dataset.where(reference), features_col, len(names), self.getOrDefault(self.bins))
        counts = binned_counts(dataset, features_col, edges, reference)
        decisions = []
        for slot, name in enumerate(names):
            psi = population_stability(counts[slot].get(True, {}), counts[slot].get(False, {}))
            keep = psi < threshold
            reason = f"PSI = {psi:.3f} {'<' if keep else '>='} {threshold:g}: {'stable' if keep else 'drifts'} between periods"
            decisions.append(decide(name, "drift", "psi", psi, threshold, keep, reason))
        return decisions


def population_stability(reference: dict[int, int], comparison: dict[int, int]) -> float:
    bins = set(reference) | set(comparison)
    expected, actual = shares(reference, bins, _FLOOR), shares(comparison, bins, _FLOOR)
    return sum((actual[b] - expected[b]) * math.log(actual[b] / expected[b]) for b in bins)
