"""Target transforms: fit on a transformed label, predict on the original scale.

The model learns `log(label)`; `InverseLogPrediction` is the last stage of the fitted
pipeline and turns its output back into the label's scale, so a registered model answers in
prices, not log-prices, and metrics are computed where the business reads them.
"""

from __future__ import annotations

from pyspark import keyword_only
from pyspark.ml import Transformer
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

TRANSFORMS = ("none", "log")


class InverseLogPrediction(Transformer, DefaultParamsReadable, DefaultParamsWritable):
    """`outputCol` = exp(`inputCol`): the prediction of a model fitted on log(label).

    Learns nothing; in `transform` it adds (or replaces) `outputCol`.
    """

    inputCol = Param(Params._dummy(), "inputCol", "prediction on the log scale", TypeConverters.toString)
    outputCol = Param(Params._dummy(), "outputCol", "prediction on the original scale", TypeConverters.toString)

    @keyword_only
    def __init__(self, *, inputCol: str = "log_prediction", outputCol: str = "prediction") -> None:
        super().__init__()
        self._setDefault(inputCol="log_prediction", outputCol="prediction")
        self._set(**self._input_kwargs)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        source = self.getOrDefault(self.inputCol)
        if source not in dataset.columns:
            raise ValueError(f"InverseLogPrediction: column {source!r} not in {dataset.columns}")
        return dataset.withColumn(self.getOrDefault(self.outputCol), F.exp(F.col(source)))


def transformed_label(label: str, transform: str) -> Column:
    """The column a model is fitted on for `transform` of `label`."""
    if transform == "none":
        return F.col(label).cast("double")
    if transform == "log":
        # log of a non-positive label is null: Spark estimators would fail later, less clearly.
        return F.when(F.col(label) > 0, F.log(F.col(label))).otherwise(
            F.raise_error(F.concat(F.lit(f"log target: {label} must be > 0, got "), F.col(label).cast("string")))
        )
    raise ValueError(f"unknown target transform {transform!r}; known: {', '.join(TRANSFORMS)}")
