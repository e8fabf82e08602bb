"""Monitoring results by hand: drift statistics against thresholds, and the metric on labels that arrived."""

from __future__ import annotations

from dataclasses import astuple, fields
from datetime import datetime

import pytest

from transforms.monitoring.drift import Drift
from transforms.monitoring.results import (
    MONITORING_SCHEMA,
    CheckedBatch,
    CheckResult,
    drift_results,
    labelled_metric,
    metric_result,
)

AT = datetime(2024, 3, 1, 6, 0)
BATCH = CheckedBatch("house_sales.listings_silver@v3", "house_price", "2", AT)


def test_result_fields_are_the_monitoring_table_columns_in_order() -> None:
    assert [f.name for f in fields(CheckResult)] == [c.split()[0] for c in MONITORING_SCHEMA.split(", ")]


def test_drift_results_flag_each_statistic_above_its_threshold(spark) -> None:
    results = drift_results(BATCH, "feature", Drift("living_area", 0.3, 0.1), psi_threshold=0.2, ks_threshold=0.2)
    assert [(r.statistic, r.value, r.threshold, r.breached) for r in results] == [
        ("psi", 0.3, 0.2, True), ("ks", 0.1, 0.2, False)]
    assert {(r.batch_id, r.model_version, r.kind, r.name, r.monitored_at) for r in results} == {
        (BATCH.batch_id, "2", "feature", "living_area", AT)}
    # A categorical feature has no KS: one result only, and the rows fit the table's schema.
    (psi,) = drift_results(BATCH, "feature", Drift("neighborhood", 0.05, None), 0.2, 0.2)
    assert not psi.breached
    frame = spark.createDataFrame([astuple(r) for r in [*results, psi]], MONITORING_SCHEMA)
    assert frame.where("breached").count() == 1


def test_regression_metric_on_labelled_rows_only(spark) -> None:
    predictions = spark.createDataFrame([(1, 100.0), (2, 200.0), (3, 300.0)], "sale_id bigint, prediction double")
    labels = spark.createDataFrame([(1, 103), (2, 196), (3, None), (9, 5)], "sale_id bigint, sale_price int")
    metric = labelled_metric(predictions, labels, ["sale_id"], "regression", "sale_price")
    assert (metric.statistic, metric.labelled_rows) == ("rmse", 2)
    assert metric.value == pytest.approx(((9 + 16) / 2) ** 0.5)
    assert metric_result(BATCH, metric, limit=3.0).breached
    assert not metric_result(BATCH, metric, limit=4.0).breached
    result = metric_result(BATCH, metric, limit=None)
    assert (result.kind, result.name, result.statistic, result.breached) == ("metric", "labelled_rows=2", "rmse", False)


def test_classifier_metric_uses_the_thresholded_label(spark) -> None:
    # `prediction` would be right on every row; the thresholded label is wrong on one of four.
    predictions = spark.createDataFrame(
        [(1, 1.0, 1), (2, 0.0, 0), (3, 1.0, 0), (4, 0.0, 0)], "id bigint, prediction double, predicted_label int")
    labels = spark.createDataFrame([(1, 1), (2, 0), (3, 1), (4, 0)], "id bigint, sold int")
    metric = labelled_metric(predictions, labels, ["id"], "classification", "sold")
    assert (metric.statistic, metric.value, metric.labelled_rows) == ("accuracy", 0.75, 4)
    assert metric_result(BATCH, metric, limit=0.8).breached       # accuracy below its bound
    assert not metric_result(BATCH, metric, limit=0.7).breached


def test_no_label_yet_gives_no_metric(spark) -> None:
    predictions = spark.createDataFrame([(1, 100.0)], "sale_id bigint, prediction double")
    labels = spark.createDataFrame([(1, None), (2, 7.0)], "sale_id bigint, sale_price double")
    assert labelled_metric(predictions, labels, ["sale_id"], "regression", "sale_price") is None
