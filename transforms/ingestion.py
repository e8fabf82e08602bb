"""Pure pieces of ingestion: the declared schema, metadata columns, the good/bad row split."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

CORRUPT_RECORD = "_corrupt_record"
SOURCE_FILE = "_source_file"
INGESTED_AT = "_ingested_at"
BATCH_ID = "_batch_id"


def declared_schema(columns: Mapping[str, str], with_corrupt_record: bool = True) -> str:
    """A DDL schema from ordered name -> Spark SQL type, plus the parser's corrupt-record column."""
    fields = [f"`{name}` {type_}" for name, type_ in columns.items()]
    if with_corrupt_record:
        fields.append(f"`{CORRUPT_RECORD}` string")
    return ", ".join(fields)


def with_ingest_metadata(df: DataFrame, batch_id: str, ingested_at: datetime) -> DataFrame:
    """Add where each row came from (file) and when and in which batch it was ingested."""
    return df.select(
        "*",
        F.col("_metadata.file_path").alias(SOURCE_FILE),
        F.lit(ingested_at).cast("timestamp").alias(INGESTED_AT),
        F.lit(batch_id).alias(BATCH_ID),
    )


def well_formed(parsed: DataFrame) -> DataFrame:
    """Rows the parser read fully into the declared types, without the corrupt-record column."""
    return parsed.where(F.col(CORRUPT_RECORD).isNull()).drop(CORRUPT_RECORD)


def quarantined(parsed: DataFrame, reason: str) -> DataFrame:
    """Rows the parser could not read, kept as the raw line with file, reason and batch."""
    return parsed.where(F.col(CORRUPT_RECORD).isNotNull()).select(
        F.col(CORRUPT_RECORD).alias("raw_record"),
        SOURCE_FILE,
        F.lit(reason).alias("reason"),
        INGESTED_AT,
        BATCH_ID,
    )
