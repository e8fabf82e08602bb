"""The prediction table for classifiers and the latest-prediction view, on tiny frames."""

from __future__ import annotations

from datetime import datetime

import pytest
from chispa import assert_df_equality
from pyspark.ml.linalg import Vectors

from transforms.scoring.table import ModelIdentity, latest_prediction_sql, prediction_table

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

AT = datetime(2026, 1, 2, 3, 4, 5)


def test_classifier_rows_hold_positive_probability_and_thresholded_label(spark) -> None:
    scored = spark.createDataFrame(
        [(1, Vectors.dense([0.8, 0.2]), 0.0), (2, Vectors.dense([0.3, 0.7]), 1.0), (3, Vectors.dense([0.6, 0.4]), 0.0)],
        ["id", "probability", "prediction"],
    )
    table = prediction_table(scored, ["id"], ModelIdentity("m", "2", None, "r"), AT, batch_id="v7", threshold=0.35)
    rows = {r["id"]: r for r in table.collect()}
    assert [round(rows[i]["probability"], 6) for i in (1, 2, 3)] == [0.2, 0.7, 0.4]
    # The threshold decides the label, not Spark's 0.5 argmax: row 3 is positive at 0.35.
    assert [rows[i]["predicted_label"] for i in (1, 2, 3)] == [0, 1, 1]
    assert {(r["decision_threshold"], r["batch_id"], r["scoring_date"], r["model_alias"]) for r in rows.values()} == {
        (0.35, "v7", AT.date(), None)
    }


def test_latest_view_keeps_the_newest_prediction_per_key(spark) -> None:
    later = AT.replace(hour=9)
    spark.createDataFrame(
        [(1, 10.0, AT, "v1"), (1, 11.0, later, "v2"), (2, 20.0, AT, "v1")],
        "id long, prediction double, scored_at timestamp, batch_id string",
    ).createOrReplaceTempView("scoring_table_predictions")
    latest = spark.sql(latest_prediction_sql("scoring_table_predictions", ["id"]))
    expected = spark.createDataFrame(
        [(1, 11.0, later, "v2"), (2, 20.0, AT, "v1")], "id long, prediction double, scored_at timestamp, batch_id string"
    )
    assert_df_equality(latest, expected, ignore_nullable=True, ignore_row_order=True)
