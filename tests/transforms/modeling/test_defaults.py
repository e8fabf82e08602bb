"""The default feature steps and candidates chosen from column summaries."""

from __future__ import annotations

import pytest
from pyspark.ml.linalg import Vectors

from transforms.features.pipeline import Step, build_feature_pipeline
from transforms.modeling.candidates import build_candidate
from transforms.modeling.defaults import (
    ColumnSummary,
    DefaultsError,
    default_candidates,
    default_feature_steps,
    describe_candidates,
    describe_steps,
    unused_columns,
)


def _steps(columns: list[ColumnSummary], task: str = "classification") -> dict[str, list[dict]]:
    """Stage -> its steps, to look one kind up by name."""
    by_stage: dict[str, list[dict]] = {}
    for step in default_feature_steps(columns, task):
        by_stage.setdefault(step["stage"], []).append(step)
    return by_stage


def _assembled(columns: list[ColumnSummary], task: str = "classification") -> list[str]:
    return _steps(columns, task)["assemble"][0]["columns"]


def test_numbers_with_nulls_get_an_indicator_and_every_number_a_median() -> None:
    steps = _steps([ColumnSummary("age", "double", 90, 0.2), ColumnSummary("rooms", "int", 8, 0.0)])
    assert steps["missing_indicator"] == [{"stage": "missing_indicator", "columns": ["age"], "params": {}}]
    [impute] = steps["impute_mean_median"]
    assert impute["columns"] == ["age", "rooms"]
    assert impute["params"]["strategy"] == "median"
    assert _assembled([ColumnSummary("age", "double", 90, 0.2)]) == ["age", "age_na"]


def test_no_nulls_no_indicator() -> None:
    assert "missing_indicator" not in _steps([ColumnSummary("rooms", "bigint", 8, 0.0)])


def test_booleans_are_imputed_as_numbers() -> None:
    steps = _steps([ColumnSummary("paid", "boolean", 2, 0.1)])
    assert steps["impute_mean_median"][0]["columns"] == ["paid"]
    assert steps["missing_indicator"][0]["columns"] == ["paid"]
    assert "one_hot" not in steps


def test_few_levels_one_hot_after_rare_grouping_at_five_percent() -> None:
    # 9 levels + a "Missing" one = 10: still one-hot.
    steps = _steps([ColumnSummary("port", "string", 9, 0.01)])
    assert steps["impute_categorical"][0] == {"stage": "impute_categorical", "columns": ["port"],
                                              "params": {"strategy": "missing"}}
    assert steps["rare_label"] == [{"stage": "rare_label", "columns": ["port"],
                                    "params": {"tol": 0.05, "nCategories": 1}}]
    assert steps["one_hot"][0]["columns"] == ["port"]
    assert "ordinal_encode" not in steps


def test_many_levels_get_the_ordered_encoding_after_rare_grouping_at_one_percent() -> None:
    # 10 levels and nulls make 11: over the one-hot limit.
    steps = _steps([ColumnSummary("town", "string", 10, 0.3), ColumnSummary("sex", "string", 2, 0.0)],
                   "regression")
    assert steps["one_hot"][0]["columns"] == ["sex"]
    assert steps["ordinal_encode"] == [{"stage": "ordinal_encode", "columns": ["town"],
                                        "params": {"encodingMethod": "ordered"}}]
    assert {s["params"]["tol"]: s["columns"] for s in steps["rare_label"]} == {0.05: ["sex"], 0.01: ["town"]}
    assert steps["impute_categorical"][0]["columns"] == ["town", "sex"]


def test_dates_give_parts_and_days_since_the_first_date() -> None:
    columns = [ColumnSummary("opened", "date", 300, 0.0), ColumnSummary("closed", "timestamp", 200, 0.5)]
    steps = _steps(columns)
    assert [s["params"]["parts"] for s in steps["date_parts"]] == [
        ["year", "month", "day_of_week"], ["year", "month", "day_of_week", "hour"]]
    assert steps["elapsed_time"] == [{"stage": "elapsed_time", "columns": ["closed"],
                                      "params": {"referenceCol": "opened", "unit": "days"}}]
    assert steps["missing_indicator"][0]["columns"] == ["closed"]
    assembled = _assembled(columns)
    assert "opened" not in assembled  # the reference date is no number
    assert set(assembled) == {"opened_year", "opened_month", "opened_day_of_week", "closed_year", "closed_month",
                              "closed_day_of_week", "closed_hour", "closed", "closed_na"}
    assert steps["impute_mean_median"][0]["columns"] == [c for c in assembled if not c.endswith("_na")]


def test_one_date_has_no_elapsed_time() -> None:
    assert "elapsed_time" not in _steps([ColumnSummary("opened", "date", 300, 0.0)])


def test_constant_and_unreadable_columns_are_left_out() -> None:
    columns = [
        ColumnSummary("country", "string", 1, 0.0),     # one value everywhere
        ColumnSummary("nothing", "double", 0, 1.0),     # only nulls
        ColumnSummary("pool", "string", 1, 0.9),        # one value or null: presence is information
        ColumnSummary("tags", "array<string>", 5, 0.0),  # no stage reads it
        ColumnSummary("area", "decimal(10,2)", 500, 0.0),
    ]
    assert unused_columns(columns) == {"country": "one value in every row", "nothing": "only nulls",
                                       "tags": "type array<string> is not a feature type"}
    assert _assembled(columns) == ["area", "pool"]


def test_no_usable_column_is_one_clear_error() -> None:
    with pytest.raises(DefaultsError, match="no column to learn from: country: one value in every row"):
        default_feature_steps([ColumnSummary("country", "string", 1, 0.0)], "regression")
    with pytest.raises(DefaultsError, match="the model has no input columns"):
        default_feature_steps([], "regression")


def test_unknown_task_is_refused() -> None:
    with pytest.raises(DefaultsError, match="unknown task 'clustering'"):
        default_candidates("clustering")
    with pytest.raises(DefaultsError, match="unknown task"):
        default_feature_steps([ColumnSummary("a", "int", 3, 0.0)], "ranking")


@pytest.mark.parametrize(("task", "linear", "boosted"), [
    ("classification", "logistic_regression", "xgboost_classifier"),
    ("regression", "linear_regression", "xgboost_regressor"),
])
def test_candidates_are_small_grids_that_build(spark, task: str, linear: str, boosted: str) -> None:
    candidates = default_candidates(task)
    assert [c["algorithm"] for c in candidates] == [linear, boosted]
    for candidate in candidates:
        built = build_candidate(candidate["name"], candidate["algorithm"], task, candidate["params"],
                                candidate["grid"], "features", "label",
                                early_stopping_rounds=20 if candidate.get("early_stopping") else None)
        assert 2 <= len(built.param_maps) <= 6
    assert "num_workers" not in candidates[1]["params"]  # training gives it the session's task slots
    # Spark's Huber loss takes no L1 penalty: the regression grid has no elasticNetParam.
    points = 6 if task == "classification" else 3
    assert describe_candidates(candidates) == f"{linear} ({points} grid points), {boosted} (4 grid points)"


def test_the_linear_regression_candidate_is_not_pulled_by_one_far_off_label(spark) -> None:
    # y = 2x + 1 on ten rows and one row far off it: a squared loss tilts the slope below 0
    # (-3.6 unpenalised), the Huber loss keeps it near 2 (less the L2 shrinkage, 1.6 at regParam 0.1).
    rows = [(Vectors.dense([float(x)]), 2.0 * x + 1) for x in range(1, 11)] + [(Vectors.dense([11.0]), -100.0)]
    frame = spark.createDataFrame(rows, ["features", "label"])
    [linear] = [c for c in default_candidates("regression") if c["algorithm"] == "linear_regression"]
    built = build_candidate(linear["name"], linear["algorithm"], "regression", linear["params"], linear["grid"],
                            "features", "label")
    for param_map in built.param_maps:
        fitted = built.estimator.fit(frame, param_map)
        assert fitted.coefficients[0] == pytest.approx(2.0, abs=0.5), param_map
    assert linear["params"]["loss"] == "huber"


def test_describe_steps_names_each_stage_and_its_column_count() -> None:
    steps = default_feature_steps([ColumnSummary("age", "double", 90, 0.2)], "regression")
    assert describe_steps(steps) == "missing_indicator (1), impute_mean_median (1), assemble (2)"


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_rule_builds_and_fits_into_a_pipeline(spark, task: str) -> None:
    frame = spark.createDataFrame(
        [(1.0, 30, True, "a", "x1", "2020-01-06", "2020-01-07 10:00:00", "k", 1.0),
         (None, 40, False, "b", "x2", "2021-03-01", None, "k", 0.0),
         (5.0, None, None, None, "x3", "2022-05-04", "2022-05-05 08:30:00", "k", 1.0),
         (3.0, 20, True, "a", "x4", None, "2023-07-01 00:00:00", "k", 0.0)],
        "fare double, age int, paid boolean, port string, town string, opened string, closed string, "
        "country string, y double",
    ).selectExpr("*", "CAST(opened AS DATE) AS opened_on", "CAST(closed AS TIMESTAMP) AS closed_at") \
        .drop("opened", "closed")
    columns = [ColumnSummary("fare", "double", 3, 0.25), ColumnSummary("age", "int", 3, 0.25),
               ColumnSummary("paid", "boolean", 2, 0.25), ColumnSummary("port", "string", 2, 0.25),
               ColumnSummary("town", "string", 40, 0.0), ColumnSummary("country", "string", 1, 0.0),
               ColumnSummary("opened_on", "date", 3, 0.25), ColumnSummary("closed_at", "timestamp", 3, 0.25)]
    steps = [Step(s["stage"], s["columns"], s["params"]) for s in default_feature_steps(columns, task)]
    model = build_feature_pipeline(steps, frame.columns, label="y").fit(frame)
    features = {tuple(r.features.toArray()) for r in model.transform(frame).collect()}
    assert len(features) == 4
    # Every slot is a number: nothing left null (NaN) for the linear candidate to choke on.
    assert all(value == value for row in features for value in row)
    first = model.transform(frame.limit(1)).first().features
    # fare, age, paid, 3 opened parts, 4 closed parts, closed elapsed, 5 indicators, port's 3 levels
    # (a, b, Missing) one-hot plus a slot for unseen ones, town
    assert first.size == 3 + 3 + 4 + 1 + 5 + 4 + 1
    # opened 2020-01-06 (a Monday) is 1 day 10 hours before closed
    assert first.toArray()[3:11].round(4).tolist() == [2020, 1, 1, 2020, 1, 2, 10, -1.4167]
    assert first.toArray()[:3].tolist() == [1.0, 30.0, 1.0]
