"""Unsupervised selectors (constant, duplicates, correlated) and the shared selector behaviour."""

from __future__ import annotations

import pytest
from chispa import assert_df_equality
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.linalg import Vectors

from tests.selection_fixtures import FEATURES, planted_frame
from transforms.selection import (
    DropConstantFeatures,
    DropCorrelatedFeatures,
    DropDuplicateFeatures,
    SelectionError,
    SmartCorrelatedSelection,
    feature_names,
    selection_report,
)


@pytest.fixture(scope="module")
def planted(spark):
    return planted_frame(spark, rows=2000)


@pytest.fixture
def tiny(spark):
    frame = spark.createDataFrame(
        [(1, 1.0, 5.0, 2.0), (2, 2.0, 5.0, 4.0), (3, 3.0, 5.0, 1.0), (4, 4.0, 5.0, 3.0)], "id int, a double, b double, c double"
    )
    return VectorAssembler(inputCols=["a", "b", "c"], outputCol="features").transform(frame)


def _kept(model) -> list[str]:
    return model.selectedFeatures()


def test_model_slices_the_vector_and_keeps_slot_names(spark, tiny) -> None:
    model = DropConstantFeatures().fit(tiny)
    out = model.transform(tiny)
    expected = spark.createDataFrame(
        [(1, Vectors.dense([1.0, 2.0])), (2, Vectors.dense([2.0, 4.0])), (3, Vectors.dense([3.0, 1.0])), (4, Vectors.dense([4.0, 3.0]))],
        ["id", "features"],
    )
    actual = out.select(out["id"].cast("long"), "features")
    assert_df_equality(actual, expected, ignore_nullable=True, ignore_metadata=True)
    assert feature_names(out, "features") == ["a", "c"]


def test_output_to_another_column_leaves_the_input_alone(tiny) -> None:
    out = DropConstantFeatures(outputCol="selected").fit(tiny).transform(tiny)
    assert feature_names(out, "features") == ["a", "b", "c"]
    assert feature_names(out, "selected") == ["a", "c"]


def test_constant_and_quasi_constant(planted) -> None:
    constant_only = DropConstantFeatures().fit(planted)
    assert _kept(constant_only) == [f for f in FEATURES if f != "const"]
    quasi = DropConstantFeatures(tol=0.99).fit(planted)
    assert _kept(quasi) == [f for f in FEATURES if f not in ("const", "quasi")]
    decisions = {d.feature: d for d in quasi.report()}
    assert decisions["const"].reason.startswith("constant")
    assert decisions["quasi"].reason.startswith("quasi-constant")
    assert decisions["quasi"].value == pytest.approx(0.995, abs=0.004)
    assert decisions["x1"].decision == "kept"


def test_duplicates_keep_the_first_copy(planted) -> None:
    model = DropDuplicateFeatures().fit(planted)
    assert _kept(model) == [f for f in FEATURES if f != "x1_copy"]
    dropped = next(d for d in model.report() if d.decision == "dropped")
    assert "identical to 'x1'" in dropped.reason


def test_pairwise_correlation_drops_later_copies(planted) -> None:
    model = DropCorrelatedFeatures(threshold=0.9).fit(planted)
    assert _kept(model) == [f for f in FEATURES if f not in ("x1_copy", "x2_near")]
    near = next(d for d in model.report() if d.feature == "x2_near")
    assert near.value > 0.99 and "'x2'" in near.reason


def test_smart_correlation_keeps_the_larger_variance(spark, planted) -> None:
    # x2_scaled is x2 * 3: perfectly correlated, nine times the variance; the smart selector
    # keeps it although it comes later, the pairwise one keeps x2.
    frame = VectorAssembler(inputCols=["x2", "x3", "x2_scaled"], outputCol="features").transform(
        planted.drop("features").withColumn("x2_scaled", planted["x2"] * 3)
    )
    assert _kept(SmartCorrelatedSelection().fit(frame)) == ["x3", "x2_scaled"]
    assert _kept(DropCorrelatedFeatures().fit(frame)) == ["x2", "x3"]


def test_smart_correlation_by_model_performance(planted) -> None:
    model = SmartCorrelatedSelection(
        threshold=0.9, selectionMethod="model_performance", labelCol="y", numFolds=2
    ).fit(planted)
    kept = _kept(model)
    assert "x1_copy" not in kept and ("x2" in kept) != ("x2_near" in kept)
    assert {"x1", "x3", "noise1"} <= set(kept)


def test_selectors_persist_inside_a_pipeline_model(tmp_path, planted) -> None:
    pipeline = Pipeline(stages=[
        DropConstantFeatures(tol=0.99), DropDuplicateFeatures(), DropCorrelatedFeatures(threshold=0.9)
    ])
    model = pipeline.fit(planted)
    model.write().overwrite().save(str(tmp_path / "selection"))
    loaded = PipelineModel.load(str(tmp_path / "selection"))
    columns = ["id", "features"]
    assert_df_equality(loaded.transform(planted).select(columns), model.transform(planted).select(columns))
    assert selection_report(loaded) == selection_report(model)
    assert feature_names(loaded.transform(planted), "features") == ["x1", "x2", "x3", "noise1", "noise2"]
    # one row per feature each step saw: 9 + 7 + 6
    assert len(selection_report(model)) == 22


def test_bad_input_gets_a_clear_error(spark, tiny) -> None:
    with pytest.raises(SelectionError, match="tol"):
        DropConstantFeatures(tol=1.5).fit(tiny)
    with pytest.raises(SelectionError, match="no column 'vec'"):
        DropConstantFeatures(featuresCol="vec").fit(tiny)
    constant = VectorAssembler(inputCols=["b"], outputCol="features").transform(tiny.drop("features"))
    with pytest.raises(SelectionError, match="drop all 1 features"):
        DropConstantFeatures().fit(constant)
    model = DropConstantFeatures().fit(tiny)
    with pytest.raises(SelectionError, match="fitted on 3 features"):
        model.transform(VectorAssembler(inputCols=["a", "c"], outputCol="features").transform(tiny.drop("features")))


def test_vectors_without_metadata_get_positional_names(spark) -> None:
    frame = spark.createDataFrame([(Vectors.dense([1.0, 0.0]),), (Vectors.dense([2.0, 0.0]),)], ["features"])
    model = DropConstantFeatures().fit(frame)
    assert model.selectedFeatures() == ["features_0"]
    assert [d.feature for d in model.report()] == ["features_0", "features_1"]


def test_selectors_work_on_columns_too(tmp_path, planted) -> None:
    columns = planted.drop("features")
    pipeline = Pipeline(stages=[
        DropConstantFeatures(inputCols=FEATURES, tol=0.99),
        DropDuplicateFeatures(inputCols=[f for f in FEATURES if f not in ("const", "quasi")]),
    ])
    model = pipeline.fit(columns)
    out = model.transform(columns)
    dropped = {"const", "quasi", "x1_copy"}
    assert [c for c in out.columns if c in FEATURES] == [f for f in FEATURES if f not in dropped]
    assert {r["feature"] for r in selection_report(model) if r["decision"] == "dropped"} == dropped
    model.write().overwrite().save(str(tmp_path / "columns"))
    reloaded = PipelineModel.load(str(tmp_path / "columns"))
    assert_df_equality(reloaded.transform(columns), out)
    with pytest.raises(SelectionError, match="missing"):
        model.transform(columns.drop("x2"))
