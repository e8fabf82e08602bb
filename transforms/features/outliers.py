"""Outliers: cap values at learned limits (winsorizer) or remove the rows beyond them (trimmer)."""

from __future__ import annotations

from typing import Any

from pyspark import keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.features._base import (
    FeatureConfigError,
    FeatureEstimator,
    FeatureModel,
    HasColumnPairs,
    HasRelativeError,
    aggregate,
    finite,
    present,
    quantile,
)
from transforms.params import one_of

DEFAULT_FOLD = {"gaussian": 3.0, "iqr": 1.5, "quantiles": 0.05, "mad": 3.29}
# MAD / 0.67449 estimates the standard deviation of normally distributed data (feature-engine).
MAD_TO_STD = 0.67449


class _CapsParams(HasColumnPairs, HasRelativeError):
    cappingMethod: Param[str] = Param(
        Params._dummy(), "cappingMethod",
        "'gaussian' (mean ± fold·std), 'iqr' (q25 - fold·IQR, q75 + fold·IQR), "
        "'quantiles' (the fold and 1 - fold quantiles) or 'mad' (median ± fold·MAD/0.67449)",
        typeConverter=one_of("cappingMethod", *DEFAULT_FOLD, error=FeatureConfigError),
    )
    tail: Param[str] = Param(
        Params._dummy(), "tail", "'right', 'left' or 'both'",
        typeConverter=one_of("tail", "right", "left", "both", error=FeatureConfigError),
    )
    fold: Param[float] = Param(
        Params._dummy(), "fold", "distance of the caps; negative: 3 (gaussian), 1.5 (iqr), 0.05 (quantiles), 3.29 (mad)",
        typeConverter=TypeConverters.toFloat,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(cappingMethod="gaussian", tail="right", fold=-1.0)

    def getCappingMethod(self) -> str:
        return self.getOrDefault(self.cappingMethod)

    def getTail(self) -> str:
        return self.getOrDefault(self.tail)

    def getFold(self) -> float:
        return self.getOrDefault(self.fold)

    def _learn_caps(self, dataset: DataFrame) -> dict[str, dict[str, float | None]]:
        """Per column {'left': cap or None, 'right': cap or None}: one pass for all columns (two for 'mad').

        A column without spread (zero std, IQR, quantile range or MAD) is refused, as in
        feature-engine: its caps would collapse onto one value and erase the column.
        """
        method, tail, fold = self.getCappingMethod(), self.getTail(), self.getFold()
        fold = DEFAULT_FOLD[method] if fold < 0 else fold
        columns = [c for c, _ in self.column_pairs()]
        values = aggregate(dataset, self._spread_statistics(dataset, columns, method, fold))
        sides = ("left", "right") if tail == "both" else (tail,)
        caps: dict[str, dict[str, float | None]] = {}
        for c in columns:
            low, high, scale = (finite(values[(c, name)], f"the {name} statistic of {c!r}")
                                for name in ("low", "high", "scale"))
            if scale == 0:
                raise ValueError(f"column {c!r} has no spread for cappingMethod {method!r}: "
                                 "choose another method or drop the column")
            if method != "quantiles":
                low, high = low - fold * scale, high + fold * scale
            caps[c] = {"left": low if "left" in sides else None, "right": high if "right" in sides else None}
        return caps

    def _spread_statistics(
        self, dataset: DataFrame, columns: list[str], method: str, fold: float
    ) -> dict[tuple[str, str], Column]:
        """Per column: the centre or quantiles the caps start from ('low', 'high') and the 'scale'."""
        error = self.getRelativeError()
        medians = {}
        if method == "mad":  # the deviations need the medians first: one extra pass
            medians = aggregate(dataset, {c: quantile(present(dataset, c), 0.5, error) for c in columns})
        exprs: dict[tuple[str, str], Column] = {}
        for c in columns:
            x = present(dataset, c)
            if method == "gaussian":
                low = high = F.avg(x)
                scale = F.stddev_pop(x)  # feature-engine: std(ddof=0)
            elif method == "iqr":
                low, high = quantile(x, 0.25, error), quantile(x, 0.75, error)
                scale = high - low
            elif method == "quantiles":
                low, high = quantile(x, fold, error), quantile(x, 1 - fold, error)
                scale = high - low
            else:
                low = high = F.lit(medians[c]).cast("double")
                scale = quantile(F.abs(x - low), 0.5, error) / MAD_TO_STD
            exprs.update({(c, "low"): low, (c, "high"): high, (c, "scale"): scale})
        return exprs


class _CapsEstimator(FeatureEstimator, _CapsParams):
    """The constructor the winsorizer and the trimmer share."""

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        cappingMethod: str = "gaussian", tail: str = "right", fold: float = -1.0, relativeError: float = 0.0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)


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


class Winsorizer(_CapsEstimator):
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


class OutlierTrimmer(_CapsEstimator):
    """Removes outlier rows, as feature-engine's ``OutlierTrimmer``.

    ``fit`` learns caps as :class:`Winsorizer`; ``transform`` filters out the rows beyond them.
    Meant for training data: in a scoring pipeline it would drop rows to be scored.
    """

    def _fit(self, dataset: DataFrame) -> OutlierTrimmerModel:
        return self._model(OutlierTrimmerModel, {"caps": self._learn_caps(dataset)})
