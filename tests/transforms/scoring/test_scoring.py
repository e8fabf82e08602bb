from __future__ import annotations

from datetime import datetime

from chispa import assert_df_equality

from transforms.scoring.table import ModelIdentity, prediction_table


def test_prediction_table_shape(spark) -> None:
    scored = spark.createDataFrame([(1, "a", 0.5, 9.0), (2, "b", 1.5, 8.0)], "id long, hood string, extra double, prediction double")
    at = datetime(2026, 1, 2, 3, 4, 5)
    table = prediction_table(scored, ["id"], ModelIdentity("m", "3", "champion", "run1"), at, ["hood"])
    expected = spark.createDataFrame(
        [(1, 9.0, "a", "m", "3", "champion", "run1", at), (2, 8.0, "b", "m", "3", "champion", "run1", at)],
        "id long, prediction double, hood string, model_name string, model_version string, "
        "model_alias string, run_id string, scored_at timestamp",
    )
    assert_df_equality(table, expected, ignore_nullable=True, ignore_row_order=True)
