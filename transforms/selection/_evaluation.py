"""Cross-validated model performance on a subset of slots, for the performance-based selectors.

Single-feature performance, shuffle importance, recursive elimination/addition and the smart
correlated selection all ask one question: how well does a model do with these slots? They
share the params that say which model, which metric and how many folds.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.ml import Estimator, Model
from pyspark.ml.classification import LogisticRegression, RandomForestClassifier
from pyspark.ml.evaluation import Evaluator
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasLabelCol, HasSeed
from pyspark.ml.regression import LinearRegression, RandomForestRegressor
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.modeling.metrics import build_evaluator, higher_is_better, metric_of_spark_name
from transforms.params import bounded, one_of
from transforms.selection._base import SelectionError, slice_vector

FOLD = "_fold"
SUBSET = "_subset"
# The metrics a selector may score with, by Spark's names (as `metric` takes them).
METRICS = {
    "regression": ("r2", "rmse", "mae"),
    "classification": ("areaUnderROC", "accuracy", "f1"),
}
MODEL_TYPES = ("linear", "random_forest")


class _TaskParams(HasLabelCol):
    task: Param[str] = Param(
        Params._dummy(), "task", "regression or classification (binary or multiclass label)",
        typeConverter=one_of("task", *sorted(METRICS), error=SelectionError),
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(labelCol="label", task="regression")

    def getTask(self) -> str:
        return self.getOrDefault(self.task)


class _PerformanceParams(_TaskParams, HasSeed):
    modelType: Param[str] = Param(
        Params._dummy(), "modelType",
        "model that measures performance: 'linear' (linear/logistic regression) or 'random_forest'",
        typeConverter=one_of("modelType", *MODEL_TYPES, error=SelectionError),
    )
    metric: Param[str] = Param(
        Params._dummy(), "metric",
        "regression: r2, rmse, mae; classification: areaUnderROC, accuracy, f1; empty: r2 or areaUnderROC",
        typeConverter=TypeConverters.toString,
    )
    numFolds: Param[int] = Param(
        Params._dummy(), "numFolds", "folds of the cross-validation (>= 2)",
        typeConverter=bounded("numFolds", 2, integer=True, error=SelectionError),
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(modelType="linear", metric="", numFolds=3, seed=0)

    def performance(self) -> Performance:
        task = self.getTask()
        metric = self.getOrDefault(self.metric) or METRICS[task][0]
        if metric not in METRICS[task]:
            raise SelectionError(f"metric for {task} must be one of {METRICS[task]}, got {metric!r}")
        return Performance(task, self.getOrDefault(self.modelType), metric, self.getOrDefault(self.numFolds),
                           self.getLabelCol(), self.getFeaturesCol(), self.getOrDefault(self.seed))


class Performance:
    """Fits a model on k-1 folds and scores the held-out fold, for any subset of slots."""

    def __init__(
        self, task: str, model_type: str, metric: str, folds: int, label_col: str, features_col: str, seed: int
    ) -> None:
        self.task, self.model_type, self.metric = task, model_type, metric
        self.folds, self.label_col, self.features_col, self.seed = folds, label_col, features_col, seed

    @property
    def larger_is_better(self) -> bool:
        return higher_is_better(metric_of_spark_name(self.task, self.metric))

    def gain(self, new: float, old: float) -> float:
        """How much better `new` is than `old` (negative: worse), whatever the metric's direction."""
        return new - old if self.larger_is_better else old - new

    def estimator(self, features_col: str) -> Estimator:
        common = {"featuresCol": features_col, "labelCol": self.label_col}
        if self.model_type == "linear":
            if self.task == "regression":
                return LinearRegression(**common)
            return LogisticRegression(**common)
        forest = RandomForestRegressor if self.task == "regression" else RandomForestClassifier
        return forest(numTrees=30, maxDepth=6, seed=self.seed, **common)

    def evaluator(self) -> Evaluator:
        return build_evaluator(self.task, metric_of_spark_name(self.task, self.metric), self.label_col)

    def with_folds(self, dataset: DataFrame) -> DataFrame:
        """`dataset`'s label and features with a fold number, cached: every fit re-reads it."""
        if self.label_col not in dataset.columns:
            raise SelectionError(f"no label column {self.label_col!r}; columns: {dataset.columns}")
        fold = F.floor(F.rand(self.seed) * self.folds).cast("int")
        return dataset.select(
            F.col(self.label_col).cast("double").alias(self.label_col), self.features_col
        ).withColumn(FOLD, fold).cache()

    def fold_models(self, folded: DataFrame) -> list[tuple[Model, DataFrame]]:
        """For each fold: a model fitted on the other folds (all slots) and the held-out rows."""
        estimator = self.estimator(self.features_col)
        return [
            (estimator.fit(folded.where(F.col(FOLD) != k)), folded.where(F.col(FOLD) == k))
            for k in range(self.folds)
        ]

    def importances(self, models: Sequence[Model]) -> list[float]:
        """Per-slot importance averaged over fold models: |coefficient| or impurity importance."""
        rows = []
        for model in models:
            if self.model_type == "linear":
                weights = model.coefficientMatrix.toArray() if self.task == "classification" else None
                rows.append(abs(weights).max(axis=0).tolist() if weights is not None
                            else [abs(w) for w in model.coefficients.toArray()])
            else:
                rows.append(model.featureImportances.toArray().tolist())
        return [sum(column) / len(column) for column in zip(*rows, strict=True)]

    def score(self, folded: DataFrame, indices: Sequence[int]) -> float:
        """Mean held-out metric of a model on the slots `indices` of the features vector."""
        if not indices:
            raise SelectionError("cannot score a model on no features")
        subset = slice_vector(folded, self.features_col, SUBSET, indices)
        estimator, evaluator = self.estimator(SUBSET), self.evaluator()
        scores = [
            evaluator.evaluate(estimator.fit(subset.where(F.col(FOLD) != k)).transform(subset.where(F.col(FOLD) == k)))
            for k in range(self.folds)
        ]
        return sum(scores) / len(scores)
