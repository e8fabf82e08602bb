"""Recursive feature elimination and addition (feature-engine's `RecursiveFeatureElimination`/`Addition`).

Both rank features by the importance a model fitted on all of them gives (mean over folds of
|coefficient| or impurity importance), then walk that ranking one feature at a time,
re-scoring a cross-validated model each step.
"""

from __future__ import annotations

from pyspark import keyword_only
from pyspark.ml.param import Param, Params
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame

from transforms.params import bounded
from transforms.selection._base import (
    Decision,
    SelectionError,
    Selector,
    SelectorModel,
    _SelectorParams,
    decide,
)
from transforms.selection._evaluation import Performance, _PerformanceParams


class _RecursiveParams(_SelectorParams, _PerformanceParams):
    threshold: Param[float] = Param(
        Params._dummy(), "threshold",
        "smallest change of the metric that counts: removing a feature must cost more, adding one gain more",
        typeConverter=bounded("threshold", 0.0, error=SelectionError),
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(threshold=0.01)


class _RecursiveSelector(Selector, _RecursiveParams, DefaultParamsReadable, DefaultParamsWritable):
    """What elimination and addition share: their params and the importance ranking."""

    @keyword_only
    def __init__(
        self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, labelCol: str = "label",
        task: str = "regression", modelType: str = "linear", metric: str = "", numFolds: int = 3,
        threshold: float = 0.01, seed: int = 0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def ranked(self, dataset: DataFrame) -> tuple[Performance, float, DataFrame, list[int]]:
        """Performance, threshold, the dataset with folds (cached), slots from most to least important."""
        performance = self.performance()
        threshold = self.getOrDefault(self.threshold)
        folded = performance.with_folds(dataset)
        importance = performance.importances([model for model, _ in performance.fold_models(folded)])
        return performance, threshold, folded, sorted(range(len(importance)), key=lambda i: (-importance[i], i))


class RecursiveFeatureEliminationModel(SelectorModel):
    """Keeps the features whose removal cost performance."""


class RecursiveFeatureElimination(_RecursiveSelector):
    """Remove features from the least important up, keeping those whose removal costs > `threshold`.

    `fit` scores a model on all features, then for each feature in increasing importance scores
    one without it (and without those already removed): if the metric drops by more than
    `threshold` the feature stays, otherwise it goes and the new score becomes the reference.
    """

    model_class = RecursiveFeatureEliminationModel

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        performance, threshold, folded, order = self.ranked(dataset)
        current = list(range(len(names)))
        reference = performance.score(folded, current)
        decisions: dict[int, Decision] = {}
        for rank, slot in reversed(list(enumerate(order, start=1))):
            rest = [i for i in current if i != slot]
            if not rest:
                decisions[slot] = decide(names[slot], "recursive_elimination", "performance_drop", None, threshold,
                                         True, "last feature left")
                continue
            score = performance.score(folded, rest)
            drop = performance.gain(reference, score)
            keep = drop > threshold
            if keep:
                reason = f"removing it worsens {performance.metric} by {drop:.4g} > {threshold:g}"
            else:
                reason = f"removing it changes {performance.metric} by {-drop:+.4g}, a loss not above {threshold:g}"
                current, reference = rest, score
            decisions[slot] = decide(names[slot], "recursive_elimination", "performance_drop", drop, threshold, keep,
                                     f"{reason} (importance rank {rank})")
        folded.unpersist()
        return [decisions[i] for i in range(len(names))]


class RecursiveFeatureAdditionModel(SelectorModel):
    """Keeps the features whose addition improved performance."""


class RecursiveFeatureAddition(_RecursiveSelector):
    """Add features from the most important down, keeping those that improve the metric by > `threshold`.

    `fit` starts from a model on the most important feature alone, then for each next feature
    scores a model with it added to the kept set; it stays if the metric improves by more than
    `threshold` (and the new score becomes the reference).
    """

    model_class = RecursiveFeatureAdditionModel

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        performance, threshold, folded, order = self.ranked(dataset)
        first = order[0]
        kept = [first]
        reference = performance.score(folded, kept)
        decisions = {first: decide(names[first], "recursive_addition", "performance_gain", None, threshold, True,
                                   f"most important feature: the starting set ({performance.metric} = {reference:.4g})")}
        for rank, slot in enumerate(order[1:], start=2):
            score = performance.score(folded, sorted([*kept, slot]))
            gain = performance.gain(score, reference)
            keep = gain > threshold
            if keep:
                kept, reference = [*kept, slot], score
            verdict = f"> {threshold:g}" if keep else f"not above {threshold:g}"
            decisions[slot] = decide(names[slot], "recursive_addition", "performance_gain", gain, threshold, keep,
                                     f"adding it changes {performance.metric} by {gain:+.4g}, {verdict} (importance rank {rank})")
        folded.unpersist()
        return [decisions[i] for i in range(len(names))]
