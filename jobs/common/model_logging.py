"""Log a fitted pipeline as a registered model that loads anywhere, from its own folder.

- Requirements: pinned `mlflow`, `pyspark` and (when a stage is xgboost's) `xgboost`, and this
  project's wheel, shipped inside the model (`code/`, MLflow's `code_paths`) and named in
  `requirements.txt` by its path relative to the model folder. MLflow's environment managers
  install from inside the model folder; by hand: `cd <model> && pip install -r requirements.txt`.
- Signature: one column per raw input, all required (the pipeline reads each one). A nullable
  integral column is signed `double`: pandas and JSON carry a missing integer as a float NaN,
  which MLflow refuses for an integer column, optional (`required=False`) or not; optional only
  means the column may be absent, which the pipeline cannot take. Dates are `datetime`, decimals
  `double`. The output is `prediction`: what the spark flavor's pyfunc returns (no probability).
- Input types restored: Spark builds the pyfunc's frame from pandas, so those columns arrive
  as double and timestamp, a column null in a whole request as Spark's void type. The logged
  pipeline starts with a `SQLTransformer` that casts every input back to its training type, so
  the encoders (which read categories as strings) see `60`, not `60.0`; a fractional or
  out-of-range value for an integral column stops the prediction with the column's name.
- Input example: a few rows chosen so that no column is null in all of them (MLflow's check of
  the example builds a Spark frame from it, which cannot type an all-null column). A column null
  in every row of the table gets a typed stand-in value (0, "", false, 1970-01-01), with a warning.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.types import ColSpec, DataType, Schema
from pyspark.ml import PipelineModel
from pyspark.ml.feature import SQLTransformer
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.common.model_loading import log_spark_model
from jobs.common.project_wheel import project_wheel
from transforms.scoring.booster import pipeline_stages

log = logging.getLogger(__name__)

PREDICTION = "prediction"
_INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
_SIGNED_AS = [(T.StringType, DataType.string), (T.BooleanType, DataType.boolean), (T.FloatType, DataType.float),
              (T.DoubleType, DataType.double), (T.DecimalType, DataType.double), (T.DateType, DataType.datetime),
              (T.TimestampType, DataType.datetime), (T.TimestampNTZType, DataType.datetime),
              (T.BinaryType, DataType.binary), (T.LongType, DataType.long), (_INTEGRAL, DataType.integer)]
# Numbers get the signature's dtype (MLflow refuses int64 for double), unless some are missing:
# objects keep None, which the saved example writes as JSON null (a float NaN would be written as
# NaN, which is not JSON) and MLflow's schema check reads as NaN. Other columns stay objects too
# (a bool dtype would turn None into False).
_NUMERIC = (DataType.integer, DataType.long, DataType.float, DataType.double)
_STAND_INS = {DataType.string: "", DataType.boolean: False, DataType.datetime: pd.Timestamp(0),
                 DataType.binary: b""}


def log_pipeline_model(spark: SparkSession, model: PipelineModel, raw_inputs: DataFrame, registered_name: str | None,
                       staging: str, artifact_path: str = "model") -> ModelInfo:
    """Log `model` (fitted on the columns of `raw_inputs`) with its wheel, signature and example; register it.

    `staging` is the folder a Spark Connect server writes the pipeline to (`log_spark_model`).
    """
    schema = raw_inputs.schema
    logged = PipelineModel(stages=[restore_input_types(schema), *model.stages])
    with tempfile.TemporaryDirectory(prefix="model-wheel-") as tmp:
        wheel = project_wheel(Path(tmp))
        return log_spark_model(
            spark, logged, artifact_path, staging,
            signature=ModelSignature(inputs=input_schema(schema), outputs=Schema([ColSpec(DataType.double, PREDICTION)])),
            input_example=input_example(raw_inputs),
            code_paths=[str(wheel)],
            pip_requirements=model_requirements(model, f"code/{wheel.name}"),
            registered_model_name=registered_name,
        )


def model_requirements(model: PipelineModel, wheel: str) -> list[str]:
    """Pinned: what runs the pipeline (pyspark, xgboost for its stages), loads it (mlflow), and the wheel."""
    packages = ["mlflow", "pyspark"]
    if any(type(stage).__module__.startswith("xgboost") for stage in pipeline_stages(model)):
        packages.append("xgboost")
    return [*(f"{name}=={metadata.version(name)}" for name in packages), wheel]


def input_schema(schema: T.StructType) -> Schema:
    """The model signature's inputs for raw columns of `schema` (see the module docstring)."""
    return Schema([ColSpec(_signed_type(field), field.name) for field in schema.fields])


def _signed_type(field: T.StructField) -> DataType:
    if isinstance(field.dataType, _INTEGRAL) and field.nullable:
        return DataType.double
    for spark_types, signed in _SIGNED_AS:
        if isinstance(field.dataType, spark_types):
            return signed
    raise ValueError(f"model input column {field.name!r}: type {field.dataType.simpleString()} has no MLflow "
                     "signature type; give the model flat columns (string, number, boolean, date, timestamp, binary)")


def restore_input_types(schema: T.StructType) -> SQLTransformer:
    """A stage casting each input column back to its type in `schema` (see the module docstring)."""
    names = ", ".join(_quoted(field.name) for field in schema.fields)
    casts = ", ".join(f"{_restored(field)} AS {_quoted(field.name)}" for field in schema.fields)
    return SQLTransformer(statement=f"SELECT * EXCEPT ({names}), {casts} FROM __THIS__")


def _restored(field: T.StructField) -> str:
    column, target = _quoted(field.name), field.dataType.simpleString()
    if not isinstance(field.dataType, _INTEGRAL):
        return f"CAST({column} AS {target})"
    # NaN is how pandas says missing; try_cast gives null where the value does not fit the type.
    whole = f"try_cast({column} AS {target})"
    message = _sql_string(f"model input column {field.name!r} is {target}, got ")
    return (f"CASE WHEN {column} IS NULL OR isnan({column}) THEN NULL WHEN {whole} = {column} THEN {whole} "
            f"ELSE raise_error(concat({message}, CAST({column} AS STRING))) END")


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _sql_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def input_example(frame: DataFrame, rows: int = 5, scan: int = 200) -> pd.DataFrame:
    """At least `rows` rows of `frame` in which no column is all null, as the signature types them.

    Reads the first `scan` rows; only a column null in all of them costs one aggregation pass over
    `frame`, which finds a row where it is not null (one row per such column, not the table).
    """
    columns = frame.columns
    candidates = frame.limit(scan).collect()
    if not candidates:
        raise ValueError("model inputs: the input table has no rows to draw an input example from")
    unseen = [c for c in columns if all(row[c] is None for row in candidates)]
    if unseen:
        whole_row = F.struct(*[F.col(_quoted(c)) for c in columns])
        firsts = [F.first(F.when(F.col(_quoted(c)).isNotNull(), whole_row), ignorenulls=True) for c in unseen]
        candidates += [row for row in frame.agg(*firsts).first() if row is not None]
    chosen = _covering_rows(candidates, columns)
    chosen += [row for row in candidates if row not in chosen][: max(0, rows - len(chosen))]
    return _as_signed(frame.schema, chosen)


def _covering_rows(candidates: list[Row], columns: list[str]) -> list[Row]:
    """Rows that together have a value in every column any candidate has one in (greedy set cover)."""
    present = [{c for c in columns if row[c] is not None} for row in candidates]
    uncovered = set().union(*present)
    chosen: list[Row] = []
    while uncovered:
        best = max(range(len(candidates)), key=lambda i: len(present[i] & uncovered))
        chosen.append(candidates[best])
        uncovered -= present[best]
    return chosen


def _as_signed(schema: T.StructType, rows: list[Row]) -> pd.DataFrame:
    signed = input_schema(schema)
    data: dict[str, Any] = {}
    for field, spec in zip(schema.fields, signed.inputs, strict=True):
        values = [_plain(row[field.name]) for row in rows]
        if all(value is None for value in values):
            log.warning("model input column %r is null in every row of the input table: the input example "
                        "gives it a typed stand-in value", field.name)
            values = [_STAND_INS.get(spec.type, 0)] * len(rows)
        series = pd.Series(values, name=field.name, dtype=object)
        if spec.type == DataType.datetime:
            series = pd.to_datetime(series)
        elif spec.type in _NUMERIC and not series.isna().any():
            series = series.astype(spec.type.to_pandas())
        data[field.name] = series
    return pd.DataFrame(data)


def _plain(value: Any) -> Any:
    """Values pandas types as the signature says: decimals as floats, dates as timestamps."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return pd.Timestamp(value)
    return value
