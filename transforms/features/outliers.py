"""Outliers: cap values at learned limits (winsorizer) or remove the rows beyond them (trimmer)."""

from __future__ import annotations

from typing import Any

from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.features._base import (
    FeatureEstimator,
    FeatureModel,
    HasColumnPairs,
    HasRelativeError,
    aggregate,
    finite,
    present,
    quantile,
)

DEFAULT_FOLD = {"gaussian": 3.0, "iqr": 1.5, "quantiles": 0.05}


class _CapsParams(HasColumnPairs, HasRelativeError):
    cappingMethod: Param[str] = Param(
        Params._dummy(), "cappingMethod",
        "'gaussian' (mean ± fold·std), 'iqr' (q25 - fold·IQR, q75 + fold·IQR) or "
        "'quantiles' (the fold and 1 - fold quantiles)",
        typeConverter=TypeConverters.toString,
    )
    tail: Param[str] = Param(
        Params._dummy(), "tail", "'right', 'left' or 'both'", typeConverter=TypeConverters.toString
    )
    fold: Param[float] = Param(
        Params._dummy(), "fold", "distance of the caps; negative: 3 (gaussian), 1.5 (iqr), 0.05 (quantiles)",
        typeConverter=TypeConverters.toFloat,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(cappingMethod="gaussian", tail="right", fold=-1.0)

    def _learn_caps(self, dataset: DataFrame) -> dict[str, dict[str, float | None]]:
        """Per column {'left': cap or None, 'right': cap or None}, in one pass for all columns."""
        method, tail = self.getOrDefault(self.cappingMethod), self.getOrDefault(self.tail)
        if method not in DEFAULT_FOLD or tail not in ("right", "left", "both"):
            raise ValueError(f"unsupported cappingMethod/tail: {method!r}/{tail!r}")
        fold = self.getOrDefault(self.fold)
        fold = DEFAULT_FOLD[method] if fold < 0 else fold
        error = self.getOrDefault(self.relativeError)
        exprs: dict[tuple[str, str], Column] = {}
        for c, _ in self.column_pairs():
            x = present(dataset, c)
            if method == "gaussian":
                mean, std = F.avg(x), F.stddev_pop(x)  # feature-engine: std(ddof=0)
                exprs[(c, "left")], exprs[(c, "right")] = mean - fold * std, mean + fold * std
            elif method == "iqr":
                q1, q3 = quantile(x, 0.25, error), quantile(x, 0.75, error)
                exprs[(c, "left")], exprs[(c, "right")] = q1 - fold * (q3 - q1), q3 + fold * (q3 - q1)
            else:
                exprs[(c, "left")], exprs[(c, "right")] = quantile(x, fold, error), quantile(x, 1 - fold, error)
        values = aggregate(dataset, exprs)
        sides = ("left", "right") if tail == "both" else (tail,)
        return {
            c: {side: finite(values[(c, side)], f"the {side} cap of {c!r}") if side in sides else None
                for side in ("left", "right")}
            for c, _ in self.column_pairs()
        }


class WinsorizerModel(FeatureModel, _CapsParams):
    """Clips each column to its learned caps; nulls stay null."""

    def caps(self) -> dict[str, dict[str, float | None]]:
        return self.learned_state()["caps"]

    def _transform(self, dataset: DataFrame) -> DataFrame:
        caps = self.caps()
        columns = {}
        for src, out in self.column_pairs():
            value = F.col(src).cast("double")
            left, right = caps[src]["left"], caps[src]["right"]
            if right is not None:
                value = F.when(value > right, F.lit(right)).otherwise(value)
            if left is not None:
                value = F.when(value < left, F.lit(left)).otherwise(value)
            columns[out] = value
        return dataset.withColumns(columns)


class Winsorizer(FeatureEstimator, _CapsParams):
    """Caps outliers, as feature-engine's ``Winsorizer``.

    ``fit`` learns the left and/or right cap of each column (one pass, population std, exact
    quantiles by default); ``transform`` replaces values beyond a cap by the cap.
    """

    def _fit(self, dataset: DataFrame) -> WinsorizerModel:
        return self._model(WinsorizerModel, {"caps": self._learn_caps(dataset)})


class OutlierTrimmerModel(FeatureModel, _CapsParams):
    """Drops the rows with a value beyond a learned cap; rows with nulls are kept."""

    def _transform(self, dataset: DataFrame) -> DataFrame:
        caps = self.learned_state()["caps"]
        keep = F.lit(True)
        for src, _ in self.column_pairs():
            value = F.col(src).cast("double")
            left, right = caps[src]["left"], caps[src]["right"]
            if right is not None:
                keep = keep & ~F.coalesce(value > right, F.lit(False))
            if left is not None:
                keep = keep & ~F.coalesce(value < left, F.lit(False))
        return dataset.where(keep)


class OutlierTrimmer(FeatureEstimator, _CapsParams):
    """Removes outlier rows, as feature-engine's ``OutlierTrimmer``.

    ``fit`` learns caps as :class:`Winsorizer`; ``transform`` filters out the rows beyond them.
    Meant for training data: in a scoring pipeline it would drop rows to be scored.
    """

    def _fit(self, dataset: DataFrame) -> OutlierTrimmerModel:
        return self._model(OutlierTrimmerModel, {"caps": self._learn_caps(dataset)})
