"""Univariate tests: Spark's `UnivariateFeatureSelector` (chi², ANOVA F, F-regression) with a report."""

from __future__ import annotations

from pyspark import keyword_only
from pyspark.ml.common import _java2py, _py2java
from pyspark.ml.feature import UnivariateFeatureSelector
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasLabelCol
from pyspark.ml.stat import ChiSquareTest
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.ml.wrapper import _jvm
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.utils import is_remote

from transforms.params import one_of
from transforms.selection._base import (
    Decision,
    SelectionError,
    Selector,
    SelectorModel,
    _SelectorParams,
    decide,
)

_TYPES = ("continuous", "categorical")
_MODES = ("numTopFeatures", "percentile", "fpr", "fdr", "fwe")  # Spark's UnivariateFeatureSelector's
# (featureType, labelType) -> (Spark test class, name of its statistic, name in the report)
_TESTS = {
    ("categorical", "categorical"): ("ChiSquareTest", "statistics", "chi-squared"),
    ("continuous", "categorical"): ("ANOVATest", "fValues", "ANOVA F"),
    ("continuous", "continuous"): ("FValueTest", "fValues", "F-regression"),
}


def univariate_test(test: str, dataset: DataFrame, features_col: str, label_col: str) -> DataFrame:
    """Run `org.apache.spark.ml.stat.<test>` (pyspark wraps only ChiSquareTest of the three)."""
    if test == "ChiSquareTest":
        return ChiSquareTest.test(dataset, features_col, label_col)  # classic and Spark Connect alike
    if is_remote():
        raise SelectionError(f"selector 'univariate': Spark's {test} has no Spark Connect API in Spark 4.0; "
                             "run this selection on a classic session, or choose another selector")
    sc = dataset.sparkSession.sparkContext
    java_test = getattr(_jvm(), f"org.apache.spark.ml.stat.{test}")
    args = [_py2java(sc, arg) for arg in (dataset, features_col, label_col)]
    return _java2py(sc, java_test.test(*args))


class _UnivariateParams(_SelectorParams, HasLabelCol):
    featureType: Param[str] = Param(
        Params._dummy(), "featureType", "'continuous' or 'categorical' features",
        typeConverter=one_of("featureType", *_TYPES, error=SelectionError),
    )
    labelType: Param[str] = Param(
        Params._dummy(), "labelType", "'continuous' or 'categorical' label",
        typeConverter=one_of("labelType", *_TYPES, error=SelectionError),
    )
    selectionMode: Param[str] = Param(
        Params._dummy(), "selectionMode", "numTopFeatures, percentile, fpr, fdr or fwe (as in Spark)",
        typeConverter=one_of("selectionMode", *_MODES, error=SelectionError),
    )
    selectionThreshold: Param[float] = Param(
        Params._dummy(), "selectionThreshold",
        "number of features, percentile, or p-value bound, depending on selectionMode",
        typeConverter=TypeConverters.toFloat,
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(
            labelCol="label", featureType="continuous", labelType="continuous",
            selectionMode="fpr", selectionThreshold=0.05,
        )


class UnivariateSelectorModel(SelectorModel):
    """Keeps the features that Spark's univariate test selected."""


class UnivariateSelector(Selector, _UnivariateParams, DefaultParamsReadable, DefaultParamsWritable):
    """Keep features by a univariate test of each one against the label.

    `fit` runs Spark's `UnivariateFeatureSelector` (which picks the test from `featureType` and
    `labelType`: chi² for categorical/categorical, ANOVA F for continuous/categorical,
    F-regression for continuous/continuous) and the same test from `pyspark.ml.stat` for the
    per-feature statistic and p-value in the report. The default keeps p < 0.05.
    """

    model_class = UnivariateSelectorModel

    @keyword_only
    def __init__(
        self, *, featuresCol: str = "features", outputCol: str = "features", inputCols: list[str] | None = None, labelCol: str = "label",
        featureType: str = "continuous", labelType: str = "continuous",
        selectionMode: str = "fpr", selectionThreshold: float = 0.05,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _decide(self, dataset: DataFrame, names: list[str]) -> list[Decision]:
        feature_type, label_type = self.getOrDefault(self.featureType), self.getOrDefault(self.labelType)
        if (feature_type, label_type) not in _TESTS:
            raise SelectionError(f"no univariate test for {feature_type} features and a {label_type} label")
        mode, threshold = self.getOrDefault(self.selectionMode), self.getOrDefault(self.selectionThreshold)
        label = self.getLabelCol()
        data = dataset.withColumn(label, F.col(label).cast("double"))
        spark_selector = UnivariateFeatureSelector(
            featuresCol=self.getFeaturesCol(), labelCol=label, outputCol="_univariate",
            selectionMode=mode,
        ).setFeatureType(feature_type).setLabelType(label_type).setSelectionThreshold(threshold)
        selected = set(spark_selector.fit(data).selectedFeatures)
        test, statistic_field, test_name = _TESTS[(feature_type, label_type)]
        result = univariate_test(test, data, self.getFeaturesCol(), label).first()
        p_values, statistics = result["pValues"], result[statistic_field]
        decisions = []
        for i, name in enumerate(names):
            keep = i in selected
            verdict = "passes" if keep else "fails"
            reason = (f"{test_name} = {statistics[i]:.4g}, p-value = {p_values[i]:.3g}: "
                      f"{verdict} {mode} selection at {threshold:g}")
            decisions.append(decide(name, "univariate", "p_value", float(p_values[i]), threshold, keep, reason))
        return decisions
