"""Drop correlated features: pairwise (`DropCorrelatedFeatures`) or smart (`SmartCorrelatedSelection`).

Both learn the Pearson correlation matrix with one `Correlation.corr` pass over the vector.
"""

from __future__ import annotations

import math

from pyspark import keyword_only
from pyspark.ml.param import Param, Params
from pyspark.ml.stat import Correlation, Summarizer
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame

from transforms.params import bounded, one_of
from transforms.selection._base import (
    Decision,
    SelectionError,
    Selector,
    SelectorModel,
    _SelectorParams,
    decide,
)
from transforms.selection._evaluation import _PerformanceParams


class _CorrelationParams(_SelectorParams):
    threshold: Param[float] = Param(
        Params._dummy(), "threshold", "features with |Pearson correlation| above this are correlated",
        typeConverter=bounded("threshold", 0.0, 1.0, low_open=True, high_open=True, error=SelectionError),
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(threshold=0.8)

    def getThreshold(self) -> float:
        return self.getOrDefault(self.threshold)


def correlation_matrix(dataset: DataFrame, features_col: str) -> list[list[float]]:
    """|Pearson correlation| of every pair of slots; constant slots correlate with nothing (0)."""
    matrix = Correlation.corr(dataset, features_col, "pearson").first()[0].toArray()
    return [[0.0 if math.isnan(v) else abs(float(v)) for v in row] for row in matrix]


def correlated_groups(matrix: list[list[float]], threshold: float) -> list[list[int]]:
    """feature-engine's grouping: each feature not yet grouped, with the later ones correlated to it."""
    grouped: set[int] = set()
    groups = []
    for i in range(len(matrix)):
        if i in grouped:
            continue
        group = [i] + [j for j in range(i + 1, len(matrix)) if j not in grouped and matrix[i][j] > threshold]
        grouped.update(group)
        groups.append(group)
    return groups


class DropCorrelatedFeaturesModel(SelectorModel):
    """Keeps the first feature of each correlated group."""


class DropCorrelatedFeatures(Selector, _CorrelationParams, DefaultParamsReadable, DefaultParamsWritable):
    """Drop features correlated above `threshold` with an earlier feature.

    `fit` computes the correlation matrix; walking the features in order, each one not yet
    dropped keeps its place and drops the later features correlated with it.
    """

    model_class = DropCorrelatedFeaturesModel

    @keyword_only
    def __init__(self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, threshold: float = 0.8) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        threshold = self.getThreshold()
        matrix = correlation_matrix(dataset, self.getFeaturesCol())
        decisions: dict[int, Decision] = {}
        for group in correlated_groups(matrix, threshold):
            keeper = group[0]
            decisions[keeper] = _keeper(names, keeper, group, matrix, threshold, "correlation", "first in column order")
            for j in group[1:]:
                decisions[j] = _dropped(names, j, keeper, matrix, threshold, "correlation")
        return [decisions[i] for i in range(len(names))]


def _keeper(
    names: list[str], keeper: int, group: list[int], matrix: list[list[float]], threshold: float, selector: str, why: str
) -> Decision:
    others = [j for j in group if j != keeper]
    top = max((matrix[keeper][j] for j in others), default=max(
        (v for j, v in enumerate(matrix[keeper]) if j != keeper), default=0.0))
    reason = (
        f"kept from correlated group {[names[j] for j in group]}: {why}" if others
        else f"no feature correlated above {threshold} with it"
    )
    return decide(names[keeper], selector, "max_abs_correlation", top, threshold, True, reason)


def _dropped(names: list[str], j: int, keeper: int, matrix: list[list[float]], threshold: float, selector: str) -> Decision:
    value = matrix[keeper][j]
    reason = f"correlated with kept feature {names[keeper]!r} (|r| = {value:.3f} > {threshold})"
    return decide(names[j], selector, "max_abs_correlation", value, threshold, False, reason)


class _SmartCorrelationParams(_CorrelationParams, _PerformanceParams):
    selectionMethod: Param[str] = Param(
        Params._dummy(), "selectionMethod",
        "which feature of a correlated group to keep: 'variance' (largest) or 'model_performance' "
        "(best cross-validated single-feature model)",
        typeConverter=one_of("selectionMethod", "variance", "model_performance", error=SelectionError),
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(selectionMethod="variance")

    def getSelectionMethod(self) -> str:
        return self.getOrDefault(self.selectionMethod)


class SmartCorrelatedSelectionModel(SelectorModel):
    """Keeps the best feature of each correlated group."""


class SmartCorrelatedSelection(Selector, _SmartCorrelationParams, DefaultParamsReadable, DefaultParamsWritable):
    """From each group of correlated features, keep the one with the largest variance or best performance.

    `fit` groups features as :class:`DropCorrelatedFeatures` does, then scores the members of
    groups of two or more: their variance (one `Summarizer` pass) or the cross-validated
    metric of a model on that feature alone (`modelType`, `metric`, `numFolds`, `labelCol`).
    """

    model_class = SmartCorrelatedSelectionModel

    @keyword_only
    def __init__(
        self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, threshold: float = 0.8,
        selectionMethod: str = "variance", labelCol: str = "label", task: str = "regression",
        modelType: str = "linear", metric: str = "", numFolds: int = 3, seed: int = 0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        threshold, method = self.getThreshold(), self.getSelectionMethod()
        matrix = correlation_matrix(dataset, self.getFeaturesCol())
        groups = correlated_groups(matrix, threshold)
        members = sorted(j for group in groups if len(group) > 1 for j in group)
        if method == "variance":
            variances = Summarizer.metrics("variance").summary(dataset[self.getFeaturesCol()]).alias("s")
            variance = dataset.select(variances).first()[0]["variance"].toArray()
            merit = {j: float(variance[j]) for j in members}
        else:
            performance = self.performance()
            folded = performance.with_folds(dataset)
            merit = {j: performance.score(folded, [j]) for j in members}
            if not performance.larger_is_better:
                merit = {j: -v for j, v in merit.items()}
            folded.unpersist()
        decisions: dict[int, Decision] = {}
        for group in groups:
            # Ties go to the earlier feature, as in feature-engine.
            keeper = max(group, key=lambda j: (merit.get(j, 0.0), -j))
            why = f"largest {method.replace('_', ' ')} ({merit.get(keeper, 0.0):.4g})"
            decisions[keeper] = _keeper(names, keeper, group, matrix, threshold, "smart_correlation", why)
            for j in group:
                if j != keeper:
                    decisions[j] = _dropped(names, j, keeper, matrix, threshold, "smart_correlation")
        return [decisions[i] for i in range(len(names))]
