"""Model-based selection: L1 coefficients (`SelectFromModel` with Lasso) and tree importances.

On the scale of the penalty: Spark's `LinearRegression` minimises
``1/(2n) ||y - Xw - b||² + regParam * (elasticNetParam ||w||₁ + (1 - elasticNetParam)/2 ||w||²)``,
the objective of scikit-learn's `Lasso`/`ElasticNet` with ``alpha = regParam`` and
``l1_ratio = elasticNetParam``. Spark scales the label by its standard deviation internally
and the penalty with it, which leaves the minimiser unchanged. What differs is
`standardization`: by default Spark penalises the coefficients of *standardized* features
(glmnet's convention); scikit-learn penalises the coefficients of the features as given. So
``regParam=alpha, elasticNetParam=1, standardization=False`` reproduces ``Lasso(alpha)`` on
inputs already scaled (e.g. min-max), which is the default here.
"""

from __future__ import annotations

from pyspark import keyword_only
from pyspark.ml.classification import LogisticRegression, RandomForestClassifier
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasMaxIter, HasRegParam, HasSeed
from pyspark.ml.regression import LinearRegression, RandomForestRegressor
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.params import bounded
from transforms.selection._base import (
    Decision,
    SelectionError,
    Selector,
    SelectorModel,
    _SelectorParams,
    decide,
)
from transforms.selection._evaluation import _TaskParams


class _LassoParams(_SelectorParams, _TaskParams, HasRegParam, HasMaxIter):
    elasticNetParam: Param[float] = Param(
        Params._dummy(), "elasticNetParam", "L1 share of the penalty: 1 is Lasso, between 0 and 1 elastic net",
        typeConverter=TypeConverters.toFloat,
    )
    standardization: Param[bool] = Param(
        Params._dummy(), "standardization",
        "penalise standardized coefficients (Spark/glmnet) instead of raw ones (scikit-learn)",
        typeConverter=TypeConverters.toBoolean,
    )
    threshold: Param[float] = Param(
        Params._dummy(), "threshold", "keep features whose |coefficient| exceeds this (SelectFromModel: 1e-5)",
        typeConverter=TypeConverters.toFloat,
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(regParam=0.001, elasticNetParam=1.0, standardization=False, threshold=1e-5, maxIter=500)


class SelectFromLassoModel(SelectorModel):
    """Keeps the features with a non-zero L1-penalised coefficient."""


class SelectFromLasso(Selector, _LassoParams, DefaultParamsReadable, DefaultParamsWritable):
    """Keep the features an L1-penalised linear model gives a coefficient to.

    `fit` trains Spark's `LinearRegression` (task ``regression``) or `LogisticRegression`
    (``classification``) with the elastic-net penalty and keeps features whose absolute
    coefficient (largest over classes for a multiclass label) exceeds `threshold`.
    `transform` keeps those slots.
    """

    model_class = SelectFromLassoModel

    @keyword_only
    def __init__(
        self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, labelCol: str = "label",
        task: str = "regression", regParam: float = 0.001, elasticNetParam: float = 1.0,
        standardization: bool = False, threshold: float = 1e-5, maxIter: int = 500,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        task = self.getTask()
        estimator = LinearRegression if task == "regression" else LogisticRegression
        model = estimator(
            featuresCol=self.getFeaturesCol(), labelCol=self.getLabelCol(),
            regParam=self.getRegParam(), elasticNetParam=self.getOrDefault(self.elasticNetParam),
            standardization=self.getOrDefault(self.standardization), maxIter=self.getMaxIter(),
        ).fit(dataset.withColumn(self.getLabelCol(), F.col(self.getLabelCol()).cast("double")))
        if task == "regression":
            weights = [abs(w) for w in model.coefficients.toArray()]
        else:
            matrix = model.coefficientMatrix.toArray()
            weights = [float(abs(matrix[:, j]).max()) for j in range(matrix.shape[1])]
        threshold = self.getOrDefault(self.threshold)
        penalty = f"regParam={self.getRegParam():g}, elasticNetParam={self.getOrDefault(self.elasticNetParam):g}"
        return [
            decide(name, "lasso", "abs_coefficient", w, threshold, w > threshold,
                   f"|coefficient| = {w:.4g} > {threshold:g} ({penalty})" if w > threshold
                   else f"coefficient shrunk to {w:.2g} <= {threshold:g} by the L1 penalty ({penalty})")
            for name, w in zip(names, weights, strict=True)
        ]


class _TreeImportanceParams(_SelectorParams, _TaskParams, HasSeed):
    numTrees: Param[int] = Param(Params._dummy(), "numTrees", "trees in the random forest", typeConverter=TypeConverters.toInt)
    maxDepth: Param[int] = Param(Params._dummy(), "maxDepth", "depth of each tree", typeConverter=TypeConverters.toInt)
    threshold: Param[float] = Param(
        Params._dummy(), "threshold", "keep features whose importance reaches this; unset: the mean importance",
        typeConverter=bounded("threshold", 0.0, error=SelectionError),
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(numTrees=50, maxDepth=6, seed=0)


class SelectFromTreeImportanceModel(SelectorModel):
    """Keeps the features a random forest finds important."""


class SelectFromTreeImportance(Selector, _TreeImportanceParams, DefaultParamsReadable, DefaultParamsWritable):
    """Keep the features whose random-forest impurity importance reaches `threshold`.

    `fit` trains Spark's `RandomForestRegressor` or `RandomForestClassifier` and reads its
    normalised `featureImportances` (they sum to 1); without a `threshold` the cut is the mean
    importance, as scikit-learn's `SelectFromModel` does for tree models.
    """

    model_class = SelectFromTreeImportanceModel

    @keyword_only
    def __init__(
        self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, labelCol: str = "label",
        task: str = "regression", numTrees: int = 50, maxDepth: int = 6, threshold: float | None = None, seed: int = 0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        forest = RandomForestRegressor if self.getTask() == "regression" else RandomForestClassifier
        model = forest(
            featuresCol=self.getFeaturesCol(), labelCol=self.getLabelCol(), numTrees=self.getOrDefault(self.numTrees),
            maxDepth=self.getOrDefault(self.maxDepth), seed=self.getSeed(),
        ).fit(dataset.withColumn(self.getLabelCol(), F.col(self.getLabelCol()).cast("double")))
        importances = model.featureImportances.toArray()
        if self.isDefined(self.threshold):
            threshold, basis = self.getOrDefault(self.threshold), "the threshold"
        else:
            threshold, basis = float(importances.mean()), "the mean importance"
        return [
            decide(name, "tree_importance", "importance", float(v), threshold, v >= threshold,
                   f"importance {v:.4f} {'>=' if v >= threshold else '<'} {threshold:.4f} ({basis})")
            for name, v in zip(names, importances, strict=True)
        ]
