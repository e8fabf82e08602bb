"""What every selector shares: the vector column it works on, feature names, the fitted model.

A selector is an `Estimator` over an assembled vector column. `fit` computes one statistic per
slot with Spark aggregations and returns a :class:`SelectorModel` that remembers the input
feature names, the kept slot indices and one :class:`Decision` per feature. The model's
`transform` slices the vector with `VectorSlicer`, whose output keeps the ML attribute
metadata (names) of the kept slots, so a later selector or model still knows what each slot is.
Given `inputCols` instead, a selector works on those numeric columns (assembled only to compute
its statistics) and its model drops the columns it does not keep.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from pyspark.ml import Estimator, Model
from pyspark.ml.feature import VectorAssembler, VectorSlicer
from pyspark.ml.functions import vector_to_array
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasFeaturesCol, HasInputCols, HasOutputCol
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.modeling.statistics import vector_slot_names
from transforms.params import KeywordParams, ParamConfigError

KEPT, DROPPED = "kept", "dropped"


class SelectionError(ParamConfigError):
    """A selector was given unusable input (no vector column, a bad parameter, nothing left)."""


@dataclass(frozen=True)
class Decision:
    """Why one feature was kept or dropped by one selector: a row of the selection report."""

    feature: str
    selector: str
    statistic: str
    value: float | None
    threshold: float | None
    decision: str
    reason: str

    @property
    def kept(self) -> bool:
        return self.decision == KEPT


def decide(
    feature: str,
    selector: str,
    statistic: str,
    value: float | None,
    threshold: float | None,
    keep: bool,
    reason: str,
) -> Decision:
    """A `Decision`, with NaN statistics stored as None (JSON and Delta both take null)."""

    def clean(number: float | None) -> float | None:
        return None if number is None or math.isnan(number) else float(number)

    return Decision(feature, selector, statistic, clean(value), clean(threshold), KEPT if keep else DROPPED, reason)


class _OptionalThresholdParams(Params):
    threshold: Param[float] = Param(
        Params._dummy(), "threshold", "keep features whose statistic exceeds this; unset: the mean over features",
        typeConverter=TypeConverters.toFloat,
    )

    def threshold_for(self, values: Sequence[float]) -> tuple[float, str]:
        """The configured threshold, or the mean of `values` (feature-engine's default)."""
        if self.isDefined(self.threshold):
            return self.getOrDefault(self.threshold), "the threshold"
        return sum(values) / len(values), "the mean over features"


def feature_names(df: DataFrame, column: str) -> list[str]:
    """Slot names of vector `column` from its ML attribute metadata (VectorAssembler writes it).

    Slots without a name (or a vector without metadata) are called ``<column>_<index>``.
    """
    if column not in df.columns:
        raise SelectionError(f"no column {column!r} to select features from; columns: {df.columns}")
    unnamed = f"{column}_"
    names = vector_slot_names(df, column, unnamed) or [f"{unnamed}{i}" for i in range(_vector_size(df, column))]
    if len(set(names)) != len(names):
        raise SelectionError(f"vector {column!r} has repeated slot names; selectors report by name")
    return names


def _vector_size(df: DataFrame, column: str) -> int:
    row = df.select(column).where(F.col(column).isNotNull()).first()
    if row is None:
        raise SelectionError(f"cannot select features from an empty frame (column {column!r})")
    return int(row[0].size)


def copy_slot_names(df: DataFrame, target: str, source: str) -> DataFrame:
    """`df` with vector `target` carrying the slot names of `source`, a vector of the same size.

    Spark's scalers (MinMaxScaler, StandardScaler) write vectors without slot names; the
    unscaled vector assembled before them still has them.
    """
    names, size = feature_names(df, source), len(feature_names(df, target))
    if len(names) != size:
        raise SelectionError(f"{source!r} has {len(names)} slots, {target!r} has {size}")
    return df.withColumn(target, F.col(target).alias(target, metadata=df.schema[source].metadata))


SLOTS = "_slots"
_ASSEMBLED = "_selection_input"


def with_slots(df: DataFrame, column: str) -> DataFrame:
    """`df` with the vector `column` also as the array column `SLOTS`, for per-slot SQL."""
    return df.withColumn(SLOTS, vector_to_array(F.col(column)))


def slice_vector(df: DataFrame, input_col: str, output_col: str, indices: Sequence[int]) -> DataFrame:
    """Keep `indices` of vector `input_col` in `output_col` (which may be `input_col` itself)."""
    target = f"{output_col}__sliced" if output_col == input_col else output_col
    sliced = VectorSlicer(inputCol=input_col, outputCol=target, indices=list(indices)).transform(df)
    if target != output_col:
        sliced = sliced.drop(input_col).withColumnRenamed(target, output_col)
    return sliced


class _SelectorParams(HasFeaturesCol, HasOutputCol, HasInputCols):
    """Where the features are: a vector column (read from `featuresCol`, sliced into `outputCol`,
    by default in place) or, when `inputCols` is set, numeric columns (the model drops the
    columns it does not keep)."""

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(featuresCol="features", outputCol="features")


class _SelectorModelParams(_SelectorParams):
    inputFeatures: Param[list[str]] = Param(
        Params._dummy(), "inputFeatures", "names of the input vector's slots, in order",
        typeConverter=TypeConverters.toListString,
    )
    selectedIndices: Param[list[int]] = Param(
        Params._dummy(), "selectedIndices", "indices of the kept slots, ascending",
        typeConverter=TypeConverters.toListInt,
    )
    decisions: Param[str] = Param(
        Params._dummy(), "decisions", "JSON list of the per-feature decisions (the report)",
        typeConverter=TypeConverters.toString,
    )


class SelectorModel(Model, _SelectorModelParams, DefaultParamsReadable, DefaultParamsWritable):
    """A fitted selector: keeps the selected slots of the vector; `report()` says why."""

    def __init__(self) -> None:
        super().__init__()

    def selectedFeatures(self) -> list[str]:
        names = self.getOrDefault(self.inputFeatures)
        return [names[i] for i in self.getOrDefault(self.selectedIndices)]

    def report(self) -> list[Decision]:
        return [Decision(**row) for row in json.loads(self.getOrDefault(self.decisions))]

    def _transform(self, dataset: DataFrame) -> DataFrame:
        if self.isDefined(self.inputCols):
            names = self.getOrDefault(self.inputFeatures)
            missing = [c for c in names if c not in dataset.columns]
            if missing:
                raise SelectionError(f"{type(self).__name__} was fitted on columns that are missing: {missing}")
            kept = set(self.selectedFeatures())
            return dataset.drop(*[c for c in names if c not in kept])
        input_col = self.getFeaturesCol()
        expected = len(self.getOrDefault(self.inputFeatures))
        actual = len(feature_names(dataset, input_col))
        if actual != expected:
            raise SelectionError(
                f"{type(self).__name__} was fitted on {expected} features, {input_col!r} has {actual}"
            )
        return slice_vector(dataset, input_col, self.getOutputCol(), self.getOrDefault(self.selectedIndices))


class Selector(Estimator, _SelectorParams, KeywordParams):
    """Base of the selectors: subclasses say how to decide (`_decide`) and which model to make.

    A subclass's ``@keyword_only`` constructor passes its arguments to ``setParams``.
    """

    model_class: type[SelectorModel] = SelectorModel
    param_error = SelectionError

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        raise NotImplementedError

    def _fit(self, dataset: DataFrame) -> SelectorModel:
        if self.isDefined(self.inputCols):
            # Columns are assembled into a vector only to compute the statistics.
            names = list(self.getInputCols())
            decider = self.copy({self.featuresCol: _ASSEMBLED})
            dataset = VectorAssembler(inputCols=names, outputCol=_ASSEMBLED, handleInvalid="keep").transform(dataset)
        else:
            names, decider = feature_names(dataset, self.getFeaturesCol()), self
        decisions = decider._decide(dataset, names)
        if [d.feature for d in decisions] != names:
            raise AssertionError(f"{type(self).__name__} must decide once per feature, in order")
        kept = [i for i, d in enumerate(decisions) if d.kept]
        if not kept:
            raise SelectionError(
                f"{type(self).__name__} would drop all {len(names)} features; relax its threshold"
            )
        model = self.model_class()
        self._copyValues(model)
        model._set(
            inputFeatures=names,
            selectedIndices=kept,
            decisions=json.dumps([asdict(d) for d in decisions]),
        )
        return model
