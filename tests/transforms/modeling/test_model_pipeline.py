"""One model: feature stages, selectors and estimator tuned as one pipeline, fold by fold.

Tiny frames whose answer is known: a pure-noise category shows whether fold labels leak into
a target encoding, planted constant and duplicate columns show what selection inside the
model hands to the estimator.
"""

from __future__ import annotations

import pytest
from pyspark.ml import Pipeline
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.features.pipeline import FEATURES_COLUMN, Step, build_feature_pipeline
from transforms.modeling.candidates import build_candidate
from transforms.modeling.labels import LabelError, LabelMapping, apply_label, check_labels
from transforms.modeling.metrics import baseline_metrics, build_evaluator
from transforms.modeling.statistics import vector_slot_names
from transforms.modeling.tuning import (
    FOLD_COLUMN,
    Preprocessing,
    stable_layout,
    tune_pipeline,
    with_folds,
)
from transforms.selection import SelectionStep, build_selection_pipeline

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

ROWS, LEVELS, FOLDS = 1200, 400, 3


@pytest.fixture(scope="module")
def noise(spark) -> DataFrame:
    """A 400-level category and a label, both drawn from independent hashes of the id."""
    frame = spark.range(ROWS, numPartitions=2).select(
        F.col("id"),
        F.concat(F.lit("level_"), F.pmod(F.xxhash64("id", F.lit(1)), F.lit(LEVELS)).cast("string")).alias("noise"),
        (F.pmod(F.xxhash64("id", F.lit(2)), F.lit(2))).cast("double").alias("y"),
    )
    return with_folds(frame, ["id"], FOLDS, 3).cache()


def _logistic():
    return build_candidate("logistic", "logistic_regression", "classification", {"maxIter": 20}, {},
                           FEATURES_COLUMN, "y")


def _noise_stages():
    steps = [Step("mean_encode", ["noise"]), Step("assemble", ["noise"])]
    return build_feature_pipeline(steps, ["noise"], label="y").getStages()


def _tune(stages, rows, candidates, histogram_label=None):
    return tune_pipeline(Preprocessing.of(stages), candidates, rows,
                         build_evaluator("classification", "roc_auc", "y"), FOLDS,
                         lambda candidate, frame: stable_layout(frame, ["id"], 2), lambda candidate: 1,
                         histogram_label)


def test_a_target_encoded_noise_column_scores_chance_in_cross_validation(noise) -> None:
    [result] = _tune(_noise_stages(), noise, [_logistic()])
    assert result.tuned and abs(result.best_mean - 0.5) < 0.06


def test_the_same_encoding_fitted_before_the_folds_would_flatter_the_model(noise) -> None:
    # What training did before the encoder moved inside the model: fitted once on every
    # training row, the encoding carries each validation row's own label.
    encoded = Pipeline(stages=_noise_stages()).fit(noise).transform(noise)
    [leaky] = _tune([], encoded, [_logistic()])
    assert leaky.best_mean > 0.65


def test_stages_are_cut_where_the_label_is_first_read() -> None:
    stages = build_feature_pipeline(
        [Step("impute_categorical", ["noise"]), Step("mean_encode", ["noise"]), Step("assemble", ["noise"])],
        ["noise"], label="y").getStages()
    cut = Preprocessing.of(stages)
    assert [type(s).__name__ for s in cut.shared] == ["CategoricalImputer"]
    assert [type(s).__name__ for s in cut.per_fold] == ["MeanEncoder", "VectorAssembler"]


def test_out_of_fold_predictions_cover_every_training_row_once(noise) -> None:
    [result] = _tune(_noise_stages(), noise, [_logistic()], histogram_label="y")
    assert sum(b.rows for b in result.validation_histogram) == ROWS
    positives = noise.where("y = 1").count()
    assert sum(b.positives for b in result.validation_histogram) == positives


@pytest.fixture(scope="module")
def planted(spark) -> DataFrame:
    """y depends on x1 and x2; `const` never changes and `x1_copy` repeats x1."""
    frame = spark.range(300, numPartitions=2).select(
        "id",
        (F.col("id") % 17).cast("double").alias("x1"),
        ((F.col("id") * 7) % 11).cast("double").alias("x2"),
        F.lit(1.0).alias("const"),
    ).withColumn("x1_copy", F.col("x1")).withColumn("y", 3 * F.col("x1") - 2 * F.col("x2"))
    return with_folds(frame, ["id"], FOLDS, 5).cache()


def test_selection_inside_the_model_keeps_dropped_columns_from_the_estimator(planted) -> None:
    features = build_feature_pipeline([Step("assemble", ["x1", "const", "x1_copy", "x2"])],
                                      ["x1", "const", "x1_copy", "x2"], label="y").getStages()
    selectors = build_selection_pipeline([SelectionStep("constant"), SelectionStep("duplicates")],
                                         FEATURES_COLUMN, "y", "regression").getStages()
    lasso = build_candidate("lasso", "linear_regression", "regression", {}, {"regParam": [0.0, 0.1]},
                            FEATURES_COLUMN, "y")
    [result] = tune_pipeline(Preprocessing.of([*features, *selectors]), [lasso], planted,
                             build_evaluator("regression", "rmse", "y"), FOLDS,
                             lambda candidate, frame: frame, lambda candidate: 2)
    assert result.best_params == {"regParam": 0.0}
    scored = result.model.transform(planted.drop("y"))
    assert vector_slot_names(scored, FEATURES_COLUMN) == ["x1", "x2"]
    assert result.estimator.numFeatures == 2
    assert scored.where(F.abs(F.col("prediction") - (3 * F.col("x1") - 2 * F.col("x2"))) > 1e-6).count() == 0
    assert FOLD_COLUMN in planted.columns


def test_a_text_label_maps_to_one_and_zero_and_bad_values_are_named(spark) -> None:
    raw = spark.createDataFrame([("Yes",), ("No",), (" Yes",), (None,)], "churn string")
    mapping = LabelMapping("churn", "Yes", "No")
    assert [r[0] for r in apply_label(raw, mapping).collect()] == [1.0, 0.0, 1.0, None]
    assert check_labels(raw, mapping, 0.25) == 1
    with pytest.raises(LabelError, match=r"label 'churn': 1 of 4 rows have no usable label \(values such as null\)"):
        check_labels(raw, mapping, 0.0)
    typo = LabelMapping("churn", "yes", "no")
    with pytest.raises(LabelError, match=r"4 of 4 rows .*'Yes'"):
        check_labels(raw, typo, 0.5)
    with pytest.raises(LabelError, match=r"needs use_case\.positive_label"):
        check_labels(raw, LabelMapping("churn"), 0.0)


def test_the_baseline_f1_is_the_positive_class_f1_as_the_model_s(spark) -> None:
    train = spark.createDataFrame([(0.0,), (0.0,), (1.0,)], "y double")
    test = spark.createDataFrame([(0.0,), (1.0,), (0.0,), (0.0,)], "y double")
    metrics = baseline_metrics(train, test, "classification", "y")
    # The majority class is 0: no row is called positive, so the positive class's F1 is 0
    # (a class-weighted F1 would have said 0.64).
    assert metrics["f1"] == 0.0 and metrics["recall"] == 0.0
    assert metrics["accuracy"] == pytest.approx(0.75) and metrics["roc_auc"] == pytest.approx(0.5)
