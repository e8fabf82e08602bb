"""The YAML step list -> Spark ML Pipeline builder (the built-in stage kinds)."""

from __future__ import annotations

import pytest
from pyspark.ml.linalg import Vectors

from tests.paths import REPO_ROOT
from transforms.features.pipeline import (
    STAGE_BUILDERS,
    FeatureConfigError,
    Step,
    build_feature_pipeline,
)

README = REPO_ROOT / "README.md"


@pytest.fixture
def houses(spark):
    return spark.createDataFrame(
        [(1, 100.0, "a", 2000), (2, None, "b", 1990), (3, 300.0, "a", None), (4, 200.0, None, 2010)],
        "id int, area double, hood string, year int",
    )


def test_steps_build_and_refer_to_feature_names(houses) -> None:
    steps = [
        Step("derive", params={"expressions": {"age": "2020 - year"}}),
        Step("impute_numeric", ["area", "age"], {"strategy": "median"}),
        Step("one_hot", ["hood"]),
        Step("assemble", ["area", "age", "hood"]),
    ]
    model = build_feature_pipeline(steps, houses.columns).fit(houses)
    rows = {r.id: r.features for r in model.transform(houses).collect()}
    # median area of (100, 300, 200) is 200; median age of (20, 30, 10) is 20.
    # hood: 'a' is most frequent -> slot 0, 'b' -> slot 1; null falls in the "keep" slot 2,
    # which unseen levels share at scoring time.
    assert rows[1] == Vectors.dense([100.0, 20.0, 1.0, 0.0, 0.0])
    assert rows[2] == Vectors.dense([200.0, 30.0, 0.0, 1.0, 0.0])
    assert rows[3] == Vectors.dense([300.0, 20.0, 1.0, 0.0, 0.0])
    assert rows[4] == Vectors.dense([200.0, 10.0, 0.0, 0.0, 1.0])


def test_unseen_category_at_scoring_time_does_not_fail(spark, houses) -> None:
    steps = [Step("one_hot", ["hood"]), Step("assemble", ["hood"])]
    model = build_feature_pipeline(steps, houses.columns).fit(houses)
    new = spark.createDataFrame([(9, 1.0, "zzz", 2000)], houses.schema)
    assert model.transform(new).first().features == Vectors.dense([0.0, 0.0, 1.0])


@pytest.mark.parametrize("stage", ["target_encode", "mean_encode"])
def test_spark_target_encoder_blends_as_our_mean_encoder(spark, stage) -> None:
    frame = spark.createDataFrame(
        [("a", 1.0), ("a", 3.0), ("a", 5.0), ("b", 4.0), ("b", 6.0)], "hood string, price double")
    steps = [Step(stage, ["hood"], {"smoothing": 2.0}), Step("assemble", ["hood"])]
    model = build_feature_pipeline(steps, frame.columns, label="price").fit(frame)
    scoring = spark.createDataFrame([("a",), ("b",), ("zzz",)], "hood string")
    # overall mean 19/5 = 3.8; a: n=3, sum 9; b: n=2, sum 10; unseen: the overall mean
    expected = [(9 + 2 * 3.8) / 5, (10 + 2 * 3.8) / 4, 3.8]
    assert [r.features[0] for r in model.transform(scoring).collect()] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([Step("teleport", ["area"])], "unknown stage 'teleport'"),
        ([Step("assemble", ["nope"])], "unknown column 'nope'"),
        ([Step("impute_numeric", ["area"], {"strategy_": "mean"})], "unknown parameter 'strategy_'"),
        ([Step("derive")], "params.expressions"),
    ],
)
def test_config_errors_are_clear(houses, steps, message) -> None:
    with pytest.raises(FeatureConfigError, match=message):
        build_feature_pipeline(steps, houses.columns)


def test_readme_documents_every_stage_kind() -> None:
    section = README.read_text().split("## Feature stages", 1)[1].split("\n## ", 1)[0]
    assert [kind for kind in STAGE_BUILDERS if f"`{kind}`" not in section] == []
