"""Imputation: fill missing values with statistics learned in ``fit``, flag missing values.

Missing means null, or NaN in floating point columns. Every imputer learns a value for each of
its columns (even those with no missing value during fit), so nulls that appear only at scoring
time are filled too.
"""

from __future__ import annotations

from typing import Any

from pyspark import keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.features._base import (
    FeatureConfigError,
    FeatureEstimator,
    FeatureModel,
    FeatureTransformer,
    HasColumnPairs,
    HasRelativeError,
    aggregate,
    category_statistics,
    finite,
    missing_condition,
    present,
    quantile,
)
from transforms.params import one_of

MISSING_LABEL = "Missing"


class _NumericFillModel(FeatureModel, HasColumnPairs):
    """Replaces missing values of each input column by its learned ``fill`` value (a double)."""

    def _transform(self, dataset: DataFrame) -> DataFrame:
        fills = self.learned_state()["fill"]
        return dataset.withColumns({
            out: F.when(missing_condition(dataset, src), F.lit(fills[src]))
            .otherwise(F.col(src).cast("double"))
            for src, out in self.column_pairs()
        })


class _MeanMedianParams(HasColumnPairs, HasRelativeError):
    strategy: Param[str] = Param(
        Params._dummy(), "strategy", "'mean' or 'median'",
        typeConverter=one_of("strategy", "mean", "median", error=FeatureConfigError),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(strategy="mean")

    def getStrategy(self) -> str:
        return self.getOrDefault(self.strategy)


class MeanMedianImputerModel(_NumericFillModel, _MeanMedianParams):
    """Fills missing values with the mean or median learned by :class:`MeanMedianImputer`."""


class MeanMedianImputer(FeatureEstimator, _MeanMedianParams):
    """Mean or median imputation of numeric columns.

    ``fit`` learns each column's mean or median over its non-missing values (one pass for all
    columns); ``transform`` replaces missing values with it. Output columns are double.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        strategy: str = "mean", relativeError: float = 0.0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> MeanMedianImputerModel:
        strategy, error = self.getStrategy(), self.getRelativeError()
        stats = aggregate(dataset, {
            src: F.avg(present(dataset, src)) if strategy == "mean"
            else quantile(present(dataset, src), 0.5, error)
            for src, _ in self.column_pairs()
        })
        fill = {c: finite(v, f"the {strategy} of {c!r}") for c, v in stats.items()}
        return self._model(MeanMedianImputerModel, {"fill": fill})


class _ArbitraryNumberParams(HasColumnPairs):
    arbitraryNumber: Param[float] = Param(
        Params._dummy(), "arbitraryNumber", "the value that replaces missing values",
        typeConverter=TypeConverters.toFloat,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(arbitraryNumber=999.0)

    def getArbitraryNumber(self) -> float:
        return self.getOrDefault(self.arbitraryNumber)


class ArbitraryNumberImputer(FeatureTransformer, _ArbitraryNumberParams):
    """Replaces missing values of numeric columns by ``arbitraryNumber`` (nothing to learn)."""

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        arbitraryNumber: float = 999.0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        value = F.lit(self.getArbitraryNumber())
        return dataset.withColumns({
            out: F.when(missing_condition(dataset, src), value).otherwise(F.col(src).cast("double"))
            for src, out in self.column_pairs()
        })


class _EndTailParams(HasColumnPairs, HasRelativeError):
    imputationMethod: Param[str] = Param(
        Params._dummy(), "imputationMethod",
        "'gaussian' (mean ± fold·std), 'iqr' (q75 + fold·IQR or q25 - fold·IQR) or 'max' (fold·max)",
        typeConverter=one_of("imputationMethod", "gaussian", "iqr", "max", error=FeatureConfigError),
    )
    tail: Param[str] = Param(
        Params._dummy(), "tail", "'right' or 'left' end of the distribution",
        typeConverter=one_of("tail", "right", "left", error=FeatureConfigError),
    )
    fold: Param[float] = Param(
        Params._dummy(), "fold", "how far into the tail", typeConverter=TypeConverters.toFloat
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(imputationMethod="gaussian", tail="right", fold=3.0)

    def getImputationMethod(self) -> str:
        return self.getOrDefault(self.imputationMethod)

    def getTail(self) -> str:
        return self.getOrDefault(self.tail)

    def getFold(self) -> float:
        return self.getOrDefault(self.fold)


class EndTailImputerModel(_NumericFillModel, _EndTailParams):
    """Fills missing values with the end-of-tail value learned by :class:`EndTailImputer`."""


class EndTailImputer(FeatureEstimator, _EndTailParams):
    """End-of-tail imputation, as feature-engine's ``EndTailImputer``.

    ``fit`` learns, per column and in one pass, a value at the end of the distribution:
    gaussian ``mean ± fold·std`` (sample std), iqr ``q75 + fold·IQR`` / ``q25 - fold·IQR``, or
    ``fold·max`` (right tail only). ``transform`` replaces missing values with it.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        imputationMethod: str = "gaussian", tail: str = "right", fold: float = 3.0, relativeError: float = 0.0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> EndTailImputerModel:
        method, tail = self.getImputationMethod(), self.getTail()
        fold, error = self.getFold(), self.getRelativeError()
        if method == "max" and tail == "left":
            raise ValueError("imputationMethod 'max' imputes the right tail only")
        columns = [src for src, _ in self.column_pairs()]
        if method == "gaussian":
            sign = 1.0 if tail == "right" else -1.0
            exprs = {c: F.avg(present(dataset, c)) + sign * fold * F.stddev_samp(present(dataset, c))
                     for c in columns}
        elif method == "iqr":
            exprs = {}
            for c in columns:
                q1, q3 = (quantile(present(dataset, c), p, error) for p in (0.25, 0.75))
                exprs[c] = q3 + fold * (q3 - q1) if tail == "right" else q1 - fold * (q3 - q1)
        else:
            exprs = {c: F.max(present(dataset, c)) * fold for c in columns}
        fill = {c: finite(v, f"the end of tail of {c!r}") for c, v in aggregate(dataset, exprs).items()}
        return self._model(EndTailImputerModel, {"fill": fill})


class _CategoricalImputerParams(HasColumnPairs):
    strategy: Param[str] = Param(
        Params._dummy(), "strategy",
        "'missing' fills with fillValue; 'frequent' fills with the most frequent category",
        typeConverter=one_of("strategy", "missing", "frequent", error=FeatureConfigError),
    )
    fillValue: Param[str] = Param(
        Params._dummy(), "fillValue", "the label for missing values with strategy 'missing'",
        typeConverter=TypeConverters.toString,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(strategy="missing", fillValue=MISSING_LABEL)

    def getStrategy(self) -> str:
        return self.getOrDefault(self.strategy)

    def getFillValue(self) -> str:
        return self.getOrDefault(self.fillValue)


class CategoricalImputerModel(FeatureModel, _CategoricalImputerParams):
    """Replaces nulls of string columns by the learned label; outputs are strings."""

    def _transform(self, dataset: DataFrame) -> DataFrame:
        fills = self.learned_state()["fill"]
        return dataset.withColumns({
            out: F.coalesce(F.col(src).cast("string"), F.lit(fills[src]))
            for src, out in self.column_pairs()
        })


class CategoricalImputer(FeatureEstimator, _CategoricalImputerParams):
    """Categorical imputation with a "Missing" label or the most frequent category.

    ``fit`` learns nothing for strategy 'missing'; for 'frequent' it learns each column's mode
    (ties: the alphabetically first) in one grouped pass for all columns. ``transform``
    replaces nulls with it; values are treated as strings.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        strategy: str = "missing", fillValue: str = MISSING_LABEL,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> CategoricalImputerModel:
        columns = [src for src, _ in self.column_pairs()]
        if self.getStrategy() == "missing":
            fill = dict.fromkeys(columns, self.getFillValue())
        else:
            stats = category_statistics(dataset, columns)
            fill = {}
            for column, categories in stats.items():
                seen = [s for s in categories if s.category is not None]
                if not seen:
                    raise ValueError(f"cannot learn the most frequent category of {column!r}: all null")
                fill[column] = seen[0].category
        return self._model(CategoricalImputerModel, {"fill": fill})


class _MissingIndicatorParams(HasColumnPairs):
    suffix: Param[str] = Param(
        Params._dummy(), "suffix", "appended to an input name to name its indicator column",
        typeConverter=TypeConverters.toString,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(suffix="_na")

    def getSuffix(self) -> str:
        return self.getOrDefault(self.suffix)


class MissingIndicator(FeatureTransformer, _MissingIndicatorParams):
    """Adds, per input column, an integer column that is 1 where the value is missing, else 0.

    Output names are ``outputCols`` when set, else the input name plus ``suffix``
    (feature-engine's ``AddMissingIndicator`` naming). The inputs are kept unchanged.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None, suffix: str = "_na",
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def column_pairs(self) -> list[tuple[str, str]]:
        if self.isDefined(self.outputCols):
            return super().column_pairs()
        suffix = self.getSuffix()
        return [(c, c + suffix) for c in self.getInputCols()]

    def _transform(self, dataset: DataFrame) -> DataFrame:
        return dataset.withColumns({
            out: missing_condition(dataset, src).cast("int") for src, out in self.column_pairs()
        })
