"""Categorical encoding: rare-label grouping, ordinal, one-hot, count/frequency, mean, WoE.

All encoders treat values as strings and learn, in ONE grouped pass over all their columns,
per-category counts (and label sums for the supervised ones). ``transform`` is a literal-map
lookup per column, no UDF.

Unseen categories — values absent during fit, and nulls — follow ``unseen``:
``'encode'`` (default) gives the documented stand-in (ordinal: -1; count/frequency: 0; mean:
the label's overall mean; WoE: 0, i.e. no evidence; one-hot: all dummies 0), ``'ignore'``
gives null, ``'raise'`` fails the query naming the column and value. Never a silent guess.
"""

from __future__ import annotations

import math
from typing import Any

from pyspark import keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.features._base import (
    CategoryStats,
    FeatureConfigError,
    FeatureEstimator,
    FeatureModel,
    HasColumnPairs,
    HasTarget,
    HasUnseen,
    category_statistics,
    lookup,
)
from transforms.params import bounded, one_of

RARE_LABEL = "Rare"


def _encoded(model: HasUnseen, column: str, mapping: dict[str, float], stand_in: float) -> Column:
    """The mapped value of ``column``, unseen values and nulls handled as ``unseen`` says."""
    value = F.col(column).cast("string")
    mapped = lookup(mapping, value)
    unseen = model.getUnseen()
    if unseen == "ignore":
        return mapped
    if unseen == "raise":
        message = F.concat(F.lit(f"unseen category in {column!r}: "), F.coalesce(value, F.lit("null")))
        return F.when(mapped.isNull(), F.raise_error(message).cast("double")).otherwise(mapped)
    return F.coalesce(mapped, F.lit(stand_in))


class _MappingModel(FeatureModel, HasColumnPairs, HasUnseen):
    """Maps each column's categories through the learned ``mapping``; see the module docstring."""

    stand_in = 0.0

    def _stand_in(self, learned: dict[str, Any]) -> float:
        return self.stand_in

    def _transform(self, dataset: DataFrame) -> DataFrame:
        learned = self.learned_state()
        stand_in = self._stand_in(learned)
        return dataset.withColumns({
            out: _encoded(self, src, learned["mapping"][src], stand_in).cast("double")
            for src, out in self.column_pairs()
        })


def _seen(stats: list[CategoryStats]) -> list[CategoryStats]:
    return [s for s in stats if s.category is not None]


class _RareLabelParams(HasColumnPairs):
    tol: Param[float] = Param(
        Params._dummy(), "tol", "minimum share of rows for a category to be kept",
        typeConverter=bounded("tol", 0.0, 1.0, error=FeatureConfigError),
    )
    nCategories: Param[int] = Param(
        Params._dummy(), "nCategories",
        "columns with at most this many distinct values are left as they are",
        typeConverter=TypeConverters.toInt,
    )
    maxNCategories: Param[int] = Param(
        Params._dummy(), "maxNCategories", "keep at most this many frequent categories (0: no limit)",
        typeConverter=TypeConverters.toInt,
    )
    replaceWith: Param[str] = Param(
        Params._dummy(), "replaceWith", "the label of grouped rare categories",
        typeConverter=TypeConverters.toString,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(tol=0.05, nCategories=10, maxNCategories=0, replaceWith=RARE_LABEL)

    def getTol(self) -> float:
        return self.getOrDefault(self.tol)

    def getNCategories(self) -> int:
        return self.getOrDefault(self.nCategories)

    def getMaxNCategories(self) -> int:
        return self.getOrDefault(self.maxNCategories)

    def getReplaceWith(self) -> str:
        return self.getOrDefault(self.replaceWith)


class RareLabelEncoderModel(FeatureModel, _RareLabelParams):
    """Keeps the learned frequent categories; every other value (also unseen ones) becomes
    ``replaceWith``. Nulls stay null (impute them first)."""

    def _transform(self, dataset: DataFrame) -> DataFrame:
        frequent = self.learned_state()["frequent"]
        rare = F.lit(self.getReplaceWith())
        columns = {}
        for src, out in self.column_pairs():
            value = F.col(src).cast("string")
            columns[out] = F.when(value.isNull(), value).when(value.isin(frequent[src]), value).otherwise(rare)
        return dataset.withColumns(columns)


class RareLabelEncoder(FeatureEstimator, _RareLabelParams):
    """Groups infrequent categories under one label, as feature-engine's ``RareLabelEncoder``.

    ``fit`` learns, per column, the categories whose share of non-null rows is at least ``tol``
    (the ``maxNCategories`` most frequent of them, if set); columns with no more than
    ``nCategories`` distinct values (null counted) keep all their categories.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        tol: float = 0.05, nCategories: int = 10, maxNCategories: int = 0, replaceWith: str = RARE_LABEL,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> RareLabelEncoderModel:
        tol, limit, few = self.getTol(), self.getMaxNCategories(), self.getNCategories()
        frequent: dict[str, list[str]] = {}
        for column, stats in category_statistics(dataset, [s for s, _ in self.column_pairs()]).items():
            seen = _seen(stats)
            if len(stats) <= few:
                frequent[column] = [s.category for s in seen]
                continue
            total = sum(s.count for s in seen)
            kept = [s.category for s in seen if s.count / total >= tol]
            frequent[column] = kept[:limit] if limit > 0 else kept
        return self._model(RareLabelEncoderModel, {"frequent": frequent})


class _OrdinalParams(HasColumnPairs, HasUnseen, HasTarget):
    encodingMethod: Param[str] = Param(
        Params._dummy(), "encodingMethod",
        "'ordered': codes follow the label's mean per category (ascending); "
        "'arbitrary': codes follow the categories' alphabetical order (no label needed)",
        typeConverter=one_of("encodingMethod", "ordered", "arbitrary", error=FeatureConfigError),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(encodingMethod="ordered", labelCol="label")

    def getEncodingMethod(self) -> str:
        return self.getOrDefault(self.encodingMethod)


class OrdinalEncoderModel(_MappingModel, _OrdinalParams):
    """Replaces categories by their learned integer code; unseen: -1 (see module docstring)."""

    stand_in = -1.0


class OrdinalEncoder(FeatureEstimator, _OrdinalParams):
    """Ordinal encoding, as feature-engine's ``OrdinalEncoder``.

    ``fit`` learns a code 0..k-1 per category: ordered by ascending mean of the label
    (``'ordered'``; ties by category) or alphabetically (``'arbitrary'``). Nulls get no code.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        labelCol: str = "label", encodingMethod: str = "ordered", unseen: str = "encode",
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> OrdinalEncoderModel:
        label = self._label(dataset) if self.getEncodingMethod() == "ordered" else None
        mapping = {}
        for column, stats in category_statistics(dataset, [s for s, _ in self.column_pairs()], label).items():
            seen = _seen(stats)
            key = (lambda s: (s.label_mean, s.category)) if label is not None else (lambda s: s.category)
            mapping[column] = {s.category: i for i, s in enumerate(sorted(seen, key=key))}
        return self._model(OrdinalEncoderModel, {"mapping": mapping})


class _CountFrequencyParams(HasColumnPairs, HasUnseen):
    encodingMethod: Param[str] = Param(
        Params._dummy(), "encodingMethod",
        "'count' (rows per category) or 'frequency' (share of non-null rows)",
        typeConverter=one_of("encodingMethod", "count", "frequency", error=FeatureConfigError),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(encodingMethod="count")

    def getEncodingMethod(self) -> str:
        return self.getOrDefault(self.encodingMethod)


class CountFrequencyEncoderModel(_MappingModel, _CountFrequencyParams):
    """Replaces categories by their learned count or frequency; unseen: 0."""


class CountFrequencyEncoder(FeatureEstimator, _CountFrequencyParams):
    """Count or frequency encoding, as feature-engine's ``CountFrequencyEncoder``.

    ``fit`` learns each category's number of rows, or its share of the non-null rows.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        encodingMethod: str = "count", unseen: str = "encode",
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> CountFrequencyEncoderModel:
        method = self.getEncodingMethod()
        mapping = {}
        for column, stats in category_statistics(dataset, [s for s, _ in self.column_pairs()]).items():
            seen = _seen(stats)
            total = sum(s.count for s in seen) if method == "frequency" else 1
            mapping[column] = {s.category: s.count / total for s in seen}
        return self._model(CountFrequencyEncoderModel, {"mapping": mapping})


class _MeanEncoderParams(HasColumnPairs, HasUnseen, HasTarget):
    smoothing: Param[float] = Param(
        Params._dummy(), "smoothing",
        "weight m of the overall mean: (n·mean_c + m·mean) / (n + m); a negative value means "
        "'auto' (per-category label variance / overall label variance, as feature-engine)",
        typeConverter=TypeConverters.toFloat,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(smoothing=0.0, labelCol="label")

    def getSmoothing(self) -> float:
        return self.getOrDefault(self.smoothing)


class MeanEncoderModel(_MappingModel, _MeanEncoderParams):
    """Replaces categories by their learned smoothed label mean; unseen: the overall mean."""

    def _stand_in(self, learned: dict[str, Any]) -> float:
        return learned["prior"]


class MeanEncoder(FeatureEstimator, _MeanEncoderParams):
    """Mean (target) encoding with smoothing, as feature-engine's ``MeanEncoder``.

    ``fit`` learns, per category, ``λ·mean_c + (1-λ)·prior`` with ``λ = n_c / (n_c + m)``
    and ``prior`` the label's mean — the same blend as Spark 4's ``TargetEncoder`` (the
    pipeline builder's ``target_encode`` step). This one takes string columns directly and
    shares one grouped pass across all of them, and offers feature-engine's 'auto' smoothing;
    Spark's needs a StringIndexer first.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        labelCol: str = "label", smoothing: float = 0.0, unseen: str = "encode",
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> MeanEncoderModel:
        smoothing = self.getSmoothing()
        stats = category_statistics(dataset, [s for s, _ in self.column_pairs()], self._label(dataset))
        first = next(iter(stats.values()))
        rows = sum(s.count for s in first)
        prior = sum(s.label_sum for s in first) / rows
        label_variance = sum(s.label_sum_squares for s in first) / rows - prior**2
        mapping = {}
        for column, column_stats in stats.items():
            mapping[column] = {}
            for s in _seen(column_stats):
                variance = max(s.label_sum_squares / s.count - s.label_mean**2, 0.0)
                damping = smoothing if smoothing >= 0 else variance / label_variance
                weight = s.count / (s.count + damping)
                mapping[column][s.category] = weight * s.label_mean + (1 - weight) * prior
        return self._model(MeanEncoderModel, {"mapping": mapping, "prior": prior})


class _WoEParams(HasColumnPairs, HasUnseen, HasTarget):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(labelCol="label")


class WoEEncoderModel(_MappingModel, _WoEParams):
    """Replaces categories by their learned weight of evidence; unseen: 0 (no evidence)."""


class WoEEncoder(FeatureEstimator, _WoEParams):
    """Weight of evidence for a binary (0/1) label, as feature-engine's ``WoEEncoder``.

    ``fit`` learns ``ln(P(category | label=1) / P(category | label=0))`` per category; it
    fails clearly when the label is not binary or a category holds only one class.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        labelCol: str = "label", unseen: str = "encode",
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> WoEEncoderModel:
        stats = category_statistics(dataset, [s for s, _ in self.column_pairs()], self._label(dataset))
        mapping = {}
        for column, column_stats in stats.items():
            if any(s.label_sum_squares != s.label_sum for s in column_stats):
                raise ValueError(f"WoEEncoder needs a 0/1 label; {self.getLabelCol()!r} has other values")
            positives = sum(s.label_sum for s in column_stats)
            negatives = sum(s.count - s.label_sum for s in column_stats)
            mapping[column] = {}
            for s in _seen(column_stats):
                if s.label_sum == 0 or s.label_sum == s.count:
                    raise ValueError(
                        f"category {s.category!r} of {column!r} holds one class only: "
                        "its weight of evidence is infinite (group rare labels first)"
                    )
                mapping[column][s.category] = math.log(
                    (s.label_sum / positives) / ((s.count - s.label_sum) / negatives)
                )
        return self._model(WoEEncoderModel, {"mapping": mapping})


class _OneHotParams(HasColumnPairs, HasUnseen):
    dropLast: Param[bool] = Param(
        Params._dummy(), "dropLast", "drop the dummy of the least frequent category",
        typeConverter=TypeConverters.toBoolean,
    )
    topCategories: Param[int] = Param(
        Params._dummy(), "topCategories", "dummies for the k most frequent categories only (0: all)",
        typeConverter=TypeConverters.toInt,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(dropLast=False, topCategories=0)

    def getDropLast(self) -> bool:
        return self.getOrDefault(self.dropLast)

    def getTopCategories(self) -> int:
        return self.getOrDefault(self.topCategories)


class OneHotEncoderModel(FeatureModel, _OneHotParams):
    """Adds one 0/1 integer column ``<output>_<category>`` per learned category and drops the
    input. Unseen values and nulls get all dummies 0 ('encode'/'ignore') or fail ('raise')."""

    def dummy_columns(self) -> dict[str, list[str]]:
        """Output name -> its dummy column names, in order."""
        categories = self.learned_state()["categories"]
        return {out: [f"{out}_{c}" for c in categories[src]] for src, out in self.column_pairs()}

    def _transform(self, dataset: DataFrame) -> DataFrame:
        learned = self.learned_state()
        categories = learned["categories"]
        columns: dict[str, Column] = {}
        for src, out in self.column_pairs():
            value = F.col(src).cast("string")
            if self.getUnseen() == "raise":
                known = value.isin(learned["known"][src])
                error = F.raise_error(F.concat(F.lit(f"unseen category in {src!r}: "),
                                               F.coalesce(value, F.lit("null"))))
                value = F.when(known, value).otherwise(error.cast("string"))
            for category in categories[src]:
                columns[f"{out}_{category}"] = F.coalesce((value == F.lit(category)).cast("int"), F.lit(0))
        dropped = [src for src, _ in self.column_pairs()]
        return dataset.withColumns(columns).drop(*dropped)


class OneHotEncoder(FeatureEstimator, _OneHotParams):
    """One-hot encoding into integer dummy columns, as feature-engine's ``OneHotEncoder``.

    ``fit`` learns each column's categories ordered by frequency (descending; ties by name),
    keeping the ``topCategories`` most frequent if set and dropping the last if ``dropLast``.
    Spark's own ``OneHotEncoder`` (sparse vectors) remains the better choice for very many
    categories; this one gives named columns that scalers and selectors can address.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        dropLast: bool = False, topCategories: int = 0, unseen: str = "encode",
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> OneHotEncoderModel:
        top, drop_last = self.getTopCategories(), self.getDropLast()
        categories, known = {}, {}
        for column, stats in category_statistics(dataset, [s for s, _ in self.column_pairs()]).items():
            known[column] = [s.category for s in _seen(stats)]
            names = known[column][:top] if top > 0 else known[column]
            categories[column] = names[:-1] if drop_last and len(names) > 1 else names
        return self._model(OneHotEncoderModel, {"categories": categories, "known": known})
