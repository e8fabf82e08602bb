"""Drop features that repeat another feature exactly (feature-engine's `DropDuplicateFeatures`)."""

from __future__ import annotations

from collections import defaultdict

from pyspark import keyword_only
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.selection._base import (
    SLOTS,
    Decision,
    Selector,
    SelectorModel,
    _SelectorParams,
    decide,
    with_slots,
)

_MODULUS = 1_000_000_007


class DropDuplicateFeaturesModel(SelectorModel):
    """Keeps the first feature of each group of identical features."""


class DropDuplicateFeatures(Selector, _SelectorParams, DefaultParamsReadable, DefaultParamsWritable):
    """Drop features whose values equal an earlier feature's in every row.

    `fit` makes two passes: the first sums, per slot, hashes of (row content, slot value), so
    equal slots get equal signatures; the second checks the candidate pairs row by row, so a
    hash collision can never drop a feature. The first feature of each group is kept.
    """

    model_class = DropDuplicateFeaturesModel

    @keyword_only
    def __init__(
        self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        duplicate_of = find_duplicates(dataset, self.getFeaturesCol(), len(names))
        return [
            decide(name, "duplicates", "duplicate_of_index", duplicate_of.get(i), None, i not in duplicate_of,
                   f"identical to {names[duplicate_of[i]]!r} in every row" if i in duplicate_of
                   else "no earlier feature has the same values")
            for i, name in enumerate(names)
        ]


def find_duplicates(dataset: DataFrame, features_col: str, size: int) -> dict[int, int]:
    """Slot index -> index of the first earlier slot with identical values in every row."""
    arrays = with_slots(dataset, features_col).select(SLOTS, F.xxhash64(SLOTS).alias("_row"))
    signatures = arrays.agg(*[
        F.sum(F.pmod(F.xxhash64("_row", F.col(SLOTS)[i]), F.lit(_MODULUS))).alias(str(i)) for i in range(size)
    ]).first()
    groups: dict[object, list[int]] = defaultdict(list)
    for i in range(size):
        groups[signatures[str(i)]].append(i)
    candidates = [(group[0], j) for group in groups.values() for j in group[1:]]
    if not candidates:
        return {}
    differing = arrays.agg(*[
        F.sum(F.when(~F.col(SLOTS)[i].eqNullSafe(F.col(SLOTS)[j]), 1).otherwise(0)).alias(f"{i}_{j}")
        for i, j in candidates
    ]).first()
    return {j: i for i, j in candidates if differing[f"{i}_{j}"] == 0}
