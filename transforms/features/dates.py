"""Date features: parts of a date, time elapsed between two columns, cyclical encoding."""

from __future__ import annotations

import math
from typing import Any

from pyspark import keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.features._base import (
    FeatureConfigError,
    FeatureEstimator,
    FeatureModel,
    FeatureTransformer,
    HasColumnPairs,
    aggregate,
    finite,
    present,
)
from transforms.params import each_one_of, one_of

DATE_PARTS: dict[str, Any] = {
    "year": F.year,
    "quarter": F.quarter,
    "month": F.month,
    "week": F.weekofyear,
    "day_of_month": F.dayofmonth,
    "day_of_week": lambda c: F.weekday(c) + 1,  # Monday = 1, as pandas' dayofweek + 1
    "day_of_year": F.dayofyear,
    "hour": F.hour,
    "minute": F.minute,
    "weekend": lambda c: (F.weekday(c) >= 5).cast("int"),
}

SECONDS_PER_UNIT = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": 86400.0,
                    "weeks": 7 * 86400.0, "years": 365.25 * 86400.0}


class _DatePartsParams(HasColumnPairs):
    parts: Param[list[str]] = Param(
        Params._dummy(), "parts", f"parts to extract, of: {', '.join(DATE_PARTS)}",
        typeConverter=each_one_of("parts", list(DATE_PARTS), error=FeatureConfigError),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(parts=["year", "month", "day_of_week"])

    def getParts(self) -> list[str]:
        return self.getOrDefault(self.parts)


class DatePartExtractor(FeatureTransformer, _DatePartsParams):
    """Adds ``<output>_<part>`` integer columns for each date/timestamp (or ISO string) input.

    Nothing to learn. Nulls and unparseable strings give null parts. Inputs are kept.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        parts: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        parts = self.getParts()
        return dataset.withColumns({
            f"{out}_{part}": DATE_PARTS[part](F.try_to_timestamp(F.col(src).cast("string")))
            for src, out in self.column_pairs() for part in parts
        })


class _ElapsedParams(HasColumnPairs):
    referenceCol: Param[str] = Param(
        Params._dummy(), "referenceCol", "the later column each input is subtracted from",
        typeConverter=TypeConverters.toString,
    )
    unit: Param[str] = Param(
        Params._dummy(), "unit",
        "'number' for numeric columns (e.g. years as integers), else one of: "
        + ", ".join(SECONDS_PER_UNIT),
        typeConverter=one_of("unit", "number", *SECONDS_PER_UNIT, error=FeatureConfigError),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(unit="number")

    def getReferenceCol(self) -> str:
        return self.getOrDefault(self.referenceCol)

    def getUnit(self) -> str:
        return self.getOrDefault(self.unit)


class ElapsedTime(FeatureTransformer, _ElapsedParams):
    """``referenceCol - input`` per input column: e.g. years before the sale year.

    With unit 'number' the columns are numbers (the course's ``YrSold - YearBuilt``); with a
    time unit they are dates or timestamps and the difference is expressed in that unit.
    Nothing to learn; a null on either side gives null.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        referenceCol: str | None = None, unit: str = "number",
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _difference(self, dataset: DataFrame, src: str, reference: str) -> Column:
        unit = self.getUnit()
        if unit == "number":
            return F.col(reference).cast("double") - F.col(src).cast("double")
        seconds = (F.unix_timestamp(F.col(reference).cast("timestamp"))
                   - F.unix_timestamp(F.col(src).cast("timestamp")))
        return seconds / SECONDS_PER_UNIT[unit]

    def _transform(self, dataset: DataFrame) -> DataFrame:
        if not self.isDefined(self.referenceCol):
            raise ValueError("ElapsedTime needs referenceCol")
        reference = self.getReferenceCol()
        return dataset.withColumns({
            out: self._difference(dataset, src, reference) for src, out in self.column_pairs()
        })


class _CyclicalParams(HasColumnPairs):
    maxValues: Param[list[float]] = Param(
        Params._dummy(), "maxValues", "the period per input column; empty: learn the maximum",
        typeConverter=TypeConverters.toListFloat,
    )
    dropOriginal: Param[bool] = Param(
        Params._dummy(), "dropOriginal", "drop the input columns", typeConverter=TypeConverters.toBoolean
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(maxValues=[], dropOriginal=False)

    def getMaxValues(self) -> list[float]:
        return self.getOrDefault(self.maxValues)

    def getDropOriginal(self) -> bool:
        return self.getOrDefault(self.dropOriginal)


class CyclicalFeaturesModel(FeatureModel, _CyclicalParams):
    """Adds ``<output>_sin`` and ``<output>_cos``: sin/cos(2π·x / period)."""

    def _transform(self, dataset: DataFrame) -> DataFrame:
        periods = self.learned_state()["period"]
        columns = {}
        for src, out in self.column_pairs():
            angle = F.col(src).cast("double") * (2 * math.pi / periods[src])
            columns[f"{out}_sin"], columns[f"{out}_cos"] = F.sin(angle), F.cos(angle)
        result = dataset.withColumns(columns)
        if self.getDropOriginal():
            result = result.drop(*[src for src, _ in self.column_pairs()])
        return result


class CyclicalFeatures(FeatureEstimator, _CyclicalParams):
    """Sine/cosine encoding of cyclical variables (month, hour), as feature-engine's.

    ``fit`` learns each column's maximum as its period (one pass) unless ``maxValues`` gives
    the periods; ``transform`` adds the sine and cosine columns.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        maxValues: list[float] | None = None, dropOriginal: bool = False,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> CyclicalFeaturesModel:
        columns = [src for src, _ in self.column_pairs()]
        given = self.getMaxValues()
        if given:
            if len(given) != len(columns):
                raise ValueError("maxValues needs one period per input column")
            periods = dict(zip(columns, given, strict=True))
        else:
            maxima = aggregate(dataset, {c: F.max(present(dataset, c)) for c in columns})
            periods = {c: finite(v, f"the maximum of {c!r}") for c, v in maxima.items()}
        zero = [c for c, p in periods.items() if p == 0]
        if zero:
            raise ValueError(f"a period of 0 cannot encode a cycle: {', '.join(zero)}")
        return self._model(CyclicalFeaturesModel, {"period": periods})


