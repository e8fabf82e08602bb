"""Keep features with enough information value about a binary label (`SelectByInformationValue`)."""

from __future__ import annotations

import math

from pyspark import keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasLabelCol
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

# Siddiqi's rule of thumb, as quoted by feature-engine.
_STRENGTH = [(0.02, "not predictive"), (0.1, "weak"), (0.3, "medium"), (0.5, "strong")]


def strength(iv: float) -> str:
    return next((label for bound, label in _STRENGTH if iv < bound), "very strong (check for a leak)")


class _InformationValueParams(_SelectorParams, HasLabelCol):
    bins: Param[int] = Param(
        Params._dummy(), "bins", "equal-frequency bins per numeric feature (fewer when values repeat)",
        typeConverter=bounded("bins", 2, integer=True, error=SelectionError),
    )
    threshold: Param[float] = Param(
        Params._dummy(), "threshold", "keep features whose information value exceeds this",
        typeConverter=TypeConverters.toFloat,
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(labelCol="label", bins=5, threshold=0.2)


class SelectByInformationValueModel(SelectorModel):
    """Keeps the features with information value above the threshold."""


class SelectByInformationValue(Selector, _InformationValueParams, DefaultParamsReadable, DefaultParamsWritable):
    """Keep features whose information value (IV) about a 0/1 label exceeds `threshold`.

    `fit` bins each feature by quantiles (a missing bin of its own), counts events (label 1)
    and non-events per bin, and sums ``(%events - %non-events) * ln(%events / %non-events)``
    over bins (the weight of evidence times the difference). Empty bins count as half a row.
    """

    model_class = SelectByInformationValueModel

    @keyword_only
    def __init__(
        self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, labelCol: str = "label",
        bins: int = 5, threshold: float = 0.2,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        label = F.col(self.getLabelCol()).cast("double")
        classes = {row[0] for row in dataset.select(label).distinct().collect()}
        if not classes <= {0.0, 1.0} or len(classes) != 2:
            raise SelectionError(f"information value needs a 0/1 label; {self.getLabelCol()!r} holds {sorted(classes)}")
        features_col, threshold = self.getFeaturesCol(), self.getOrDefault(self.threshold)
        edges = quantile_edges(dataset, features_col, len(names), self.getOrDefault(self.bins))
        counts = binned_counts(dataset, features_col, edges, label)
        decisions = []
        for slot, name in enumerate(names):
            iv = information_value(counts[slot].get(1.0, {}), counts[slot].get(0.0, {}))
            keep = iv > threshold
            reason = f"IV = {iv:.3f} ({strength(iv)}), {'above' if keep else 'not above'} {threshold:g}"
            decisions.append(decide(name, "information_value", "information_value", iv, threshold, keep, reason))
        return decisions


def information_value(events: dict[int, int], non_events: dict[int, int]) -> float:
    bins = set(events) | set(non_events)
    half_row = 0.5 / max(sum(events.values()), sum(non_events.values()), 1)
    p_event, p_non_event = shares(events, bins, half_row), shares(non_events, bins, half_row)
    return sum((p_event[b] - p_non_event[b]) * math.log(p_event[b] / p_non_event[b]) for b in bins)
