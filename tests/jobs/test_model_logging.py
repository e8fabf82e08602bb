"""log_pipeline_model: input example, signature, restored input types, requirements and the shipped wheel."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import mlflow
import pytest
from mlflow.models import Model, validate_serving_input
from mlflow.types import DataType
from pyspark.errors import SparkRuntimeException
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.common.model_logging import input_example, input_schema, restore_input_types
from tests.model_logging_fixtures import INPUTS, house_rows, log_house_model

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def logged(spark, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("model_logging")
    model, info = log_house_model(spark, tmp_path)
    local = Path(mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(tmp_path / "downloaded")))
    return model, info, local


def test_example_has_a_value_in_every_column_even_when_the_first_rows_have_none(spark):
    rows = [(i, None, None) for i in range(6)] + [(6, "late", None), (7, None, None)]
    frame = spark.createDataFrame(rows, "n int, s string, never string").coalesce(1)
    # Two rows: the one that covers `s` (found beyond the 3 scanned rows), then the first scanned one.
    example = input_example(frame, rows=2, scan=3)
    assert example["s"].tolist() == ["late", None]
    assert example["never"].tolist() == ["", ""], "a column null in every row gets a typed stand-in value"
    assert not example.isna().all().any()


def test_example_of_an_empty_table_is_refused(spark):
    with pytest.raises(ValueError, match="no rows"):
        input_example(spark.createDataFrame([], "n int"))


def test_nullable_integers_are_signed_double_and_other_types_keep_theirs():
    schema = T.StructType([
        T.StructField("nullable_int", T.IntegerType(), True), T.StructField("nullable_long", T.LongType(), True),
        T.StructField("int", T.IntegerType(), False), T.StructField("long", T.LongType(), False),
        T.StructField("day", T.DateType()), T.StructField("amount", T.DecimalType(10, 2)),
        T.StructField("name", T.StringType()),
    ])
    signed = {spec.name: (spec.type, spec.required) for spec in input_schema(schema).inputs}
    assert signed == {
        "nullable_int": (DataType.double, True), "nullable_long": (DataType.double, True),
        "int": (DataType.integer, True), "long": (DataType.long, True), "day": (DataType.datetime, True),
        "amount": (DataType.double, True), "name": (DataType.string, True),
    }


def test_a_nested_column_is_refused_by_name():
    schema = T.StructType([T.StructField("tags", T.ArrayType(T.StringType()))])
    with pytest.raises(ValueError, match="'tags'"):
        input_schema(schema)


def test_restored_types_are_the_training_types(spark):
    training = T.StructType([T.StructField("n", T.IntegerType()), T.StructField("day", T.DateType()),
                             T.StructField("s", T.StringType())])
    # As the pyfunc builds it from pandas: doubles (NaN for missing), timestamps, a void column.
    served = spark.createDataFrame([(60.0, datetime.datetime(2020, 5, 1)), (float("nan"), None)],
                                   "n double, day timestamp").withColumn("s", F.lit(None))
    restored = restore_input_types(training).transform(served)
    assert [(f.name, f.dataType) for f in restored.schema.fields] == [(f.name, f.dataType) for f in training.fields]
    assert [tuple(row) for row in restored.collect()] == [(60, datetime.date(2020, 5, 1), None), (None, None, None)]


@pytest.mark.parametrize("value", [60.5, 1e12])
def test_an_integer_column_refuses_a_fraction_or_an_overflow_with_its_name(spark, value):
    stage = restore_input_types(T.StructType([T.StructField("sub_class", T.IntegerType())]))
    with pytest.raises(SparkRuntimeException, match="model input column 'sub_class' is int, got"):
        stage.transform(spark.createDataFrame([(value,)], "sub_class double")).collect()


def test_logged_model_signature_example_and_requirements(logged):
    _, _, local = logged
    metadata = Model.load(str(local))
    assert {s.name: s.type for s in metadata.signature.inputs.inputs} == {
        "sub_class": DataType.double, "area": DataType.double, "zone": DataType.string,
        "note": DataType.string, "built": DataType.datetime}
    assert [s.name for s in metadata.signature.outputs.inputs] == ["prediction"]
    example = metadata.load_input_example(str(local))
    assert list(example.columns) == INPUTS and not example.isna().all().any()
    requirements = (local / "requirements.txt").read_text().split()
    wheel = next(r for r in requirements if r.endswith(".whl"))
    assert (local / wheel).is_file(), "the wheel requirements.txt names is inside the model folder"
    assert not any(r.startswith("lakehouse-ml") for r in requirements)
    assert {r.split("==")[0] for r in requirements if "==" in r} == {"mlflow", "pyspark"}
    # The saved serving example is strict JSON (a float NaN would be written as NaN).
    json.loads((local / "serving_input_example.json").read_text(), parse_constant=pytest.fail)


def test_pyfunc_predicts_what_the_pipeline_predicts(spark, logged):
    model, info, local = logged
    # `note` filled: a column null in a whole request is one Spark cannot type without Arrow.
    rows = house_rows(spark).select(INPUTS).fillna({"note": "n/a"})
    served = mlflow.pyfunc.load_model(info.model_uri).predict(rows.toPandas())
    native = [row.prediction for row in model.transform(rows).collect()]
    assert list(served) == pytest.approx(native)
    validate_serving_input(info.model_uri, (local / "serving_input_example.json").read_text())
