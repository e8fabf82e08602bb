"""A training run's dataset inputs describe the table as it is, without MLflow's integer hint."""

from __future__ import annotations

import warnings

import pytest

from jobs.common.datasets import DeltaSnapshot

# A Spark session: left out of `make test-quick`.
pytestmark = pytest.mark.slow


def test_integer_columns_are_described_without_a_warning(spark) -> None:
    rows = spark.createDataFrame([(1, 3, 2.5, "a")], "id bigint, rooms int, area double, city string")
    dataset = DeltaSnapshot(rows, "spark_catalog.s.t", 4, 1, "s.t@v4:train", "0" * 16, "area")
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        schema = dataset.schema
    assert [str(w.message) for w in shown] == []
    assert schema is not None
    assert {spec.name: spec.type.name for spec in schema.inputs} == {
        "id": "long", "rooms": "integer", "area": "double", "city": "string"}
