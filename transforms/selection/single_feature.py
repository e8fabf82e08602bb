"""Keep features that predict the label on their own (`SelectBySingleFeaturePerformance`)."""

from __future__ import annotations

from pyspark import keyword_only
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame

from transforms.selection._base import (
    Decision,
    Selector,
    SelectorModel,
    _OptionalThresholdParams,
    _SelectorParams,
    decide,
)
from transforms.selection._evaluation import _PerformanceParams


class SelectBySingleFeaturePerformanceModel(SelectorModel):
    """Keeps the features whose single-feature model performed well enough."""


class SelectBySingleFeaturePerformance(
    Selector, _SelectorParams, _PerformanceParams, _OptionalThresholdParams,
    DefaultParamsReadable, DefaultParamsWritable,
):
    """Train a model on each feature alone; keep features whose cross-validated metric beats `threshold`.

    `fit` scores one model per feature and fold (`modelType`, `metric`, `numFolds`); without a
    `threshold` the cut is the mean score over features. For rmse/mae (smaller is better) a
    feature is kept when its error is below the threshold.
    """

    model_class = SelectBySingleFeaturePerformanceModel

    @keyword_only
    def __init__(
        self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, labelCol: str = "label",
        task: str = "regression", modelType: str = "linear", metric: str = "", numFolds: int = 3,
        threshold: float | None = None, seed: int = 0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        performance = self.performance()
        folded = performance.with_folds(dataset)
        scores = [performance.score(folded, [i]) for i in range(len(names))]
        folded.unpersist()
        threshold, basis = self.threshold_for(scores)
        decisions = []
        for name, score in zip(names, scores, strict=True):
            keep = performance.gain(score, threshold) > 0
            relation = "better than" if keep else "not better than"
            reason = f"single-feature {performance.metric} = {score:.4g}, {relation} {threshold:.4g} ({basis})"
            decisions.append(decide(name, "single_feature", performance.metric, score, threshold, keep, reason))
        return decisions
