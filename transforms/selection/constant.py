"""Drop constant and quasi-constant features (feature-engine's `DropConstantFeatures`)."""

from __future__ import annotations

from pyspark import keyword_only
from pyspark.ml.param import Param, Params
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.params import bounded
from transforms.selection._base import (
    SLOTS,
    Decision,
    SelectionError,
    Selector,
    SelectorModel,
    _SelectorParams,
    decide,
    with_slots,
)


class _ConstantParams(_SelectorParams):
    tol: Param[float] = Param(
        Params._dummy(), "tol",
        "drop a feature whose most frequent value covers at least this share of rows "
        "(1.0: constant only; 0.98: quasi-constant too)",
        typeConverter=bounded("tol", 0.0, 1.0, low_open=True, error=SelectionError),
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(tol=1.0)

    def getTol(self) -> float:
        return self.getOrDefault(self.tol)


class DropConstantFeaturesModel(SelectorModel):
    """Keeps the features that vary; see :class:`DropConstantFeatures`."""


class DropConstantFeatures(Selector, _ConstantParams, DefaultParamsReadable, DefaultParamsWritable):
    """Drop features dominated by a single value.

    `fit` counts, per slot, the rows holding its most frequent value (nulls and NaN count as a
    value) with one distributed group-by over (slot, value); a slot whose top share reaches
    `tol` is dropped. `transform` keeps the other slots.
    """

    model_class = DropConstantFeaturesModel

    @keyword_only
    def __init__(self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, tol: float = 1.0) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        tol = self.getTol()
        shares = top_value_shares(dataset, self.getFeaturesCol())
        decisions = []
        for index, name in enumerate(names):
            share = shares.get(index, 1.0)
            constant = share >= 1.0
            drop = share >= tol
            reason = (
                "constant: a single value in every row" if constant
                else f"quasi-constant: the most frequent value fills {share:.1%} of rows (>= {tol:.1%})" if drop
                else f"varies: the most frequent value fills {share:.1%} of rows (< {tol:.1%})"
            )
            decisions.append(decide(name, "constant", "top_value_share", share, tol, not drop, reason))
        return decisions


def top_value_shares(dataset: DataFrame, features_col: str) -> dict[int, float]:
    """Slot index -> share of rows holding the slot's most frequent value."""
    exploded = with_slots(dataset, features_col).select(F.posexplode(SLOTS).alias("slot", "value"))
    per_value = exploded.groupBy("slot", "value").count()
    rows = per_value.groupBy("slot").agg(
        F.max("count").alias("top"), F.sum("count").alias("rows")
    ).collect()
    return {row["slot"]: row["top"] / row["rows"] for row in rows}
