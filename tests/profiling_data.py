"""Shared set-up of the house prices profiling tests and notebook: the CSV as a Delta table."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from jobs.common.config import Settings
from jobs.common.tables import TableStore
from transforms.ingestion.bronze import declared_schema

TABLE = "train_bronze"


def read_train_csv(spark: SparkSession, settings: Settings, shared_data: Path) -> DataFrame:
    """train.csv read with the schema, options and null token the use case declares."""
    source = settings.source("train")
    # Silver turns the declared null tokens into nulls; the CSV reader takes exactly one.
    (null_token,) = source.null_tokens
    return spark.read.format("csv").options(**source.options).option("nullValue", null_token).schema(
        declared_schema(source.declared_columns, with_corrupt_record=False)
    ).load(str(shared_data / source.path))


def write_train_table(spark: SparkSession, settings: Settings, shared_data: Path) -> TableStore:
    tables = TableStore(spark, settings)
    tables.write(read_train_csv(spark, settings, shared_data), TABLE)
    return tables
