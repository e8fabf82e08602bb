"""Shared pieces of the feature stages.

* :class:`HasColumnPairs` — ``inputCols`` with optional ``outputCols`` (default: transform in
  place, as feature-engine does).
* :class:`FeatureEstimator`, :class:`FeatureModel`, :class:`FeatureTransformer` — pyspark's
  ``@keyword_only`` constructors over ``setParams`` and default persistence; a model's learned state is a JSON ``learned`` Param,
  so ``DefaultParamsWriter`` saves it with the other Params and a ``PipelineModel`` saved by
  ``mlflow.spark`` loads back with only this package installed.
* :func:`aggregate` and :func:`category_statistics` — compute the statistics of many columns in
  one pass over the data (one ``agg`` / one ``groupBy``), never one job per column.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pyspark.ml.base import Estimator, Model, Transformer
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasInputCols, HasLabelCol, HasOutputCols
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms.params import KeywordParams, ParamConfigError, bounded, one_of

K = TypeVar("K")
M = TypeVar("M", bound="FeatureModel")


class HasColumnPairs(HasInputCols, HasOutputCols):
    """``inputCols`` and, optionally, ``outputCols`` of the same length (default: in place)."""

    def column_pairs(self) -> list[tuple[str, str]]:
        """(input, output) column pairs; raises when the lists are missing or mismatched."""
        if not self.isDefined(self.inputCols) or not self.getInputCols():
            raise ValueError(f"{type(self).__name__}: inputCols must name at least one column")
        inputs = self.getInputCols()
        outputs = self.getOutputCols() if self.isDefined(self.outputCols) else inputs
        if len(outputs) != len(inputs):
            raise ValueError(
                f"{type(self).__name__}: {len(inputs)} inputCols but {len(outputs)} outputCols"
            )
        return list(zip(inputs, outputs, strict=True))


class FeatureConfigError(ParamConfigError):
    """A feature stage or step was given an unknown parameter, a refused value or an unknown column."""

    # Where in the list given to ``build_steps`` the failing step stands, when it was built there.
    step_index: int | None = None


class HasRelativeError(Params):
    """Precision of the quantiles a stage learns."""

    relativeError: Param[float] = Param(
        Params._dummy(),
        "relativeError",
        "quantile precision: 0 computes exact quantiles (linear interpolation, as pandas); "
        "a positive value uses the approximate, bounded-memory algorithm",
        typeConverter=bounded("relativeError", 0.0, 1.0, error=FeatureConfigError),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(relativeError=0.0)

    def getRelativeError(self) -> float:
        return self.getOrDefault(self.relativeError)


UNSEEN_CHOICES = ("encode", "ignore", "raise")


class HasUnseen(Params):
    """What an encoder does with a category (or null) not seen while fitting."""

    unseen: Param[str] = Param(
        Params._dummy(),
        "unseen",
        "category not seen in fit (or null): 'encode' gives the documented stand-in value, "
        "'ignore' gives null, 'raise' fails the query with the column and value",
        typeConverter=one_of("unseen", *UNSEEN_CHOICES, error=FeatureConfigError),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(unseen="encode")

    def getUnseen(self) -> str:
        return self.getOrDefault(self.unseen)


class HasTarget(HasLabelCol):
    """The supervised encoders read the label column during ``fit`` only."""

    def _label(self, dataset: DataFrame) -> Column:
        label = self.getLabelCol()
        if label not in dataset.columns:
            raise ValueError(
                f"{type(self).__name__} needs the label column {label!r} to fit; "
                f"the frame has {', '.join(dataset.columns)}"
            )
        return F.col(label).cast("double")


class _FeatureParams(KeywordParams, DefaultParamsReadable, DefaultParamsWritable):
    """Keyword constructors (see :class:`transforms.params.KeywordParams`), default persistence."""

    param_error = FeatureConfigError


class FeatureTransformer(Transformer, _FeatureParams):
    """A stateless stage: a ``@keyword_only`` constructor per subclass, default persistence."""


class FeatureModel(Model, _FeatureParams):
    """A fitted stage whose learned state is the JSON ``learned`` Param."""

    learned: Param[str] = Param(
        Params._dummy(), "learned", "what fit learned, as JSON", typeConverter=TypeConverters.toString
    )

    def learned_state(self) -> dict[str, Any]:
        if not self.isDefined(self.learned):
            raise ValueError(f"{type(self).__name__} has no learned state: fit its estimator")
        return json.loads(self.getOrDefault(self.learned))


class FeatureEstimator(Estimator, _FeatureParams):
    """An estimator whose ``fit`` returns a :class:`FeatureModel` carrying ``learned``."""

    def _model(self, model_class: type[M], learned: Mapping[str, Any]) -> M:
        model = model_class().setParams(learned=json.dumps(learned))
        return self._copyValues(model)


def is_missing(column: Column, data_type: T.DataType) -> Column:
    """Null, or NaN for floating point columns (Spark's Imputer counts both as missing)."""
    if isinstance(data_type, T.FloatType | T.DoubleType):
        return column.isNull() | F.isnan(column)
    return column.isNull()


def missing_condition(dataset: DataFrame, name: str) -> Column:
    return is_missing(F.col(name), dataset.schema[name].dataType)


def present(dataset: DataFrame, name: str) -> Column:
    """The column as double, null where missing, so aggregates skip missing values."""
    return F.when(~missing_condition(dataset, name), F.col(name).cast("double"))


def aggregate(dataset: DataFrame, statistics: Mapping[K, Column]) -> dict[K, Any]:
    """Evaluate every aggregate expression in ONE pass; returns key -> value."""
    keys = list(statistics)
    row = dataset.agg(*[expr.alias(f"s{i}") for i, expr in enumerate(statistics.values())]).first()
    return {key: row[i] for i, key in enumerate(keys)}


def quantile(column: Column, probability: float, relative_error: float) -> Column:
    """Exact (linear interpolation, as pandas) when relative_error is 0, else approximate."""
    if relative_error == 0:
        return F.percentile(column, F.lit(probability))
    accuracy = max(1, round(1.0 / relative_error))
    return F.percentile_approx(column, F.lit(probability), F.lit(accuracy))


@dataclass(frozen=True)
class CategoryStats:
    """Per category of one column: rows, and the label's sum and sum of squares."""

    category: str | None
    count: int
    label_sum: float = 0.0
    label_sum_squares: float = 0.0

    @property
    def label_mean(self) -> float:
        return self.label_sum / self.count


def category_statistics(
    dataset: DataFrame, columns: Sequence[str], label: Column | None = None
) -> dict[str, list[CategoryStats]]:
    """Counts (and label sums) per category of every column, in ONE shuffle for all columns.

    Each row is exploded into one (column, category) pair per input column, so a single
    ``groupBy`` covers all columns. Categories are compared as strings. Null is a category
    (``None``) so callers decide how to treat it. Sorted by column, then count descending,
    then category, so the result is deterministic.
    """
    value = label if label is not None else F.lit(0.0)
    if label is not None:  # a row without a label says nothing about its category
        dataset = dataset.where(label.isNotNull())
    pairs = F.array(*[
        F.struct(F.lit(c).alias("column"), F.col(c).cast("string").alias("category"))
        for c in columns
    ])
    exploded = dataset.select(F.explode(pairs).alias("p"), value.alias("y")).select("p.*", "y")
    grouped = exploded.groupBy("column", "category").agg(
        F.count(F.lit(1)).alias("n"), F.sum("y").alias("s"), F.sum(F.col("y") * F.col("y")).alias("ss")
    )
    result: dict[str, list[CategoryStats]] = {c: [] for c in columns}
    for row in grouped.collect():  # one row per distinct category: statistics, not data
        result[row["column"]].append(CategoryStats(row["category"], row["n"], row["s"], row["ss"]))
    for stats in result.values():
        stats.sort(key=lambda s: (-s.count, s.category is None, s.category or ""))
    return result


def lookup(mapping: Mapping[str, Any], key: Column) -> Column:
    """``mapping[key]`` as a Spark expression (a literal map); null where the key is absent."""
    if not mapping:
        return F.lit(None)
    literal = F.create_map(*[F.lit(x) for item in mapping.items() for x in item])
    return F.try_element_at(literal, key)


def finite(value: float | None, what: str) -> float:
    """A learned statistic, or a clear error when the data gave none (all missing, say)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(f"cannot learn {what}: the column has no usable (non-missing) values")
    return float(value)
