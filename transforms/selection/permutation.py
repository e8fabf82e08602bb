"""Shuffle (permutation) importance with k-fold cross-validation (feature-engine's `SelectByShuffling`)."""

from __future__ import annotations

from pyspark import keyword_only
from pyspark.ml.functions import array_to_vector, vector_to_array
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms.selection._base import (
    Decision,
    Selector,
    SelectorModel,
    _OptionalThresholdParams,
    _SelectorParams,
    decide,
)
from transforms.selection._evaluation import _PerformanceParams

_DONOR = "_donor"


class _ShuffleParams(_SelectorParams, _PerformanceParams, _OptionalThresholdParams):
    shuffleBuckets: Param[int] = Param(
        Params._dummy(), "shuffleBuckets",
        "rows are permuted within this many hash buckets, so no shuffle needs one partition",
        typeConverter=TypeConverters.toInt,
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(shuffleBuckets=8)


def with_donor(rows: DataFrame, features_col: str, buckets: int, seed: int) -> DataFrame:
    """`rows` plus `_donor`: the features vector of another row drawn by a random permutation.

    Rows are hashed into buckets; inside a bucket, the k-th row in a stable order receives the
    features of the k-th row in a random order. Joining on (bucket, k) is a permutation done by
    Spark, in parallel over buckets, without collecting anything.
    """
    rid = rows.withColumn("_rid", F.monotonically_increasing_id())
    rid = rid.withColumn("_bucket", F.pmod(F.xxhash64("_rid", F.lit(seed)), F.lit(buckets)))
    receivers = rid.withColumn("_k", F.row_number().over(Window.partitionBy("_bucket").orderBy("_rid")))
    donors = rid.select(
        "_bucket", F.col(features_col).alias(_DONOR),
        F.row_number().over(Window.partitionBy("_bucket").orderBy(F.rand(seed), "_rid")).alias("_k"),
    )
    return receivers.join(donors, ["_bucket", "_k"]).drop("_bucket", "_k", "_rid")


def shuffled_slot(features_col: str, slot: int) -> F.Column:
    """The features vector with slot `slot` taken from the donor row."""
    donor = vector_to_array(F.col(_DONOR))
    return array_to_vector(
        F.transform(vector_to_array(F.col(features_col)), lambda x, i: F.when(i == slot, donor[slot]).otherwise(x))
    )


class SelectByShufflingModel(SelectorModel):
    """Keeps the features whose shuffling hurt the model."""


class SelectByShuffling(Selector, _ShuffleParams, DefaultParamsReadable, DefaultParamsWritable):
    """Keep features whose random permutation degrades a fitted model by more than `threshold`.

    `fit` trains one model per fold on the other folds, scores the held-out fold, then scores
    it again with each feature's values permuted across rows (a Spark-side shuffle, see
    :func:`with_donor`). A feature's statistic is the mean performance drop over folds; without
    a `threshold` the cut is the mean drop over features.
    """

    model_class = SelectByShufflingModel

    @keyword_only
    def __init__(
        self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, labelCol: str = "label",
        task: str = "regression", modelType: str = "linear", metric: str = "", numFolds: int = 3,
        threshold: float | None = None, shuffleBuckets: int = 8, seed: int = 0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        performance = self.performance()
        evaluator, features_col = performance.evaluator(), self.getFeaturesCol()
        folded = performance.with_folds(dataset)
        drops = [0.0] * len(names)
        for model, held_out in performance.fold_models(folded):
            baseline = evaluator.evaluate(model.transform(held_out))
            donated = with_donor(held_out, features_col, self.getOrDefault(self.shuffleBuckets), self.getSeed()).cache()
            for slot in range(len(names)):
                permuted = donated.withColumn(features_col, shuffled_slot(features_col, slot))
                drops[slot] += performance.gain(baseline, evaluator.evaluate(model.transform(permuted)))
            donated.unpersist()
        folded.unpersist()
        drops = [d / performance.folds for d in drops]
        threshold, basis = self.threshold_for(drops)
        return [
            decide(name, "shuffle", f"{performance.metric}_drop", drop, threshold, drop > threshold,
                   f"shuffling it {'worsens' if drop > 0 else 'does not worsen'} {performance.metric} by "
                   f"{drop:.4g}, {'more' if drop > threshold else 'not more'} than {threshold:.4g} ({basis})")
            for name, drop in zip(names, drops, strict=True)
        ]
