"""Explicit value maps from config, e.g. quality words to numbers (Po=1 … Ex=5)."""

from __future__ import annotations

import json

from pyspark import keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.features._base import FeatureConfigError, FeatureTransformer, HasColumnPairs, lookup


class _ValueMapParams(HasColumnPairs):
    mappingJson: Param[str] = Param(
        Params._dummy(), "mappingJson", "JSON object: value (as string) -> number",
        typeConverter=TypeConverters.toString,
    )
    defaultValue: Param[float] = Param(
        Params._dummy(), "defaultValue",
        "the number for nulls and values absent from the mapping; unset: null",
        typeConverter=TypeConverters.toFloat,
    )

    def getDefaultValue(self) -> float | None:
        return self.getOrDefault(self.defaultValue) if self.isDefined(self.defaultValue) else None


class ValueMapper(FeatureTransformer, _ValueMapParams):
    """Replaces values by the numbers of an explicit mapping (nothing to learn).

    Values are compared as strings. A value absent from the mapping, or null, becomes
    ``defaultValue`` when set and null otherwise — never a guessed number.
    """

    @keyword_only
    def __init__(
        self, *, mapping: dict[str, float] | None = None, inputCols: list[str] | None = None,
        outputCols: list[str] | None = None, mappingJson: str | None = None, defaultValue: float | None = None,
    ) -> None:
        super().__init__()
        params = dict(self._input_kwargs)
        mapping = params.pop("mapping", None)
        self.setParams(**params)
        if mapping is not None:
            self.set_mapping(mapping)

    def set_mapping(self, mapping: dict[str, float]) -> ValueMapper:
        bad = {k: v for k, v in mapping.items() if not isinstance(v, int | float)}
        if bad:
            raise FeatureConfigError(f"value map targets must be numbers: {bad}")
        return self._set(mappingJson=json.dumps({str(k): float(v) for k, v in mapping.items()}))

    def mapping(self) -> dict[str, float]:
        if not self.isDefined(self.mappingJson):
            raise ValueError("ValueMapper needs a mapping")
        return json.loads(self.getOrDefault(self.mappingJson))

    def _transform(self, dataset: DataFrame) -> DataFrame:
        mapping = self.mapping()
        default = self.getDefaultValue()
        columns = {}
        for src, out in self.column_pairs():
            mapped = lookup(mapping, F.col(src).cast("string")).cast("double")
            columns[out] = mapped if default is None else F.coalesce(mapped, F.lit(default))
        return dataset.withColumns(columns)
