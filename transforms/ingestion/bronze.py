"""Pure pieces of ingestion: schemas, metadata columns, the bronze/quarantine split, dedup.

Bronze keeps every parsed row as its raw string values plus where and when it came from;
rows that do not parse as a record (a wrong field count, broken JSON) keep the raw line in the
corrupt-record column. Parsing, typing and expectations (transforms.ingestion.checks) decide
what reaches silver and what goes to quarantine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

CORRUPT_RECORD = "_corrupt_record"
RESCUED_DATA = "_rescued_data"
SOURCE_FILE = "_source_file"
INGESTED_AT = "_ingested_at"
INGEST_BATCH_ID = "_batch_id"
METADATA_COLUMNS = (RESCUED_DATA, SOURCE_FILE, INGESTED_AT, INGEST_BATCH_ID)
# Size and modification time of each row's file: constant per file, read to list a batch's files.
FILE_BYTES, FILE_MODIFIED = "_file_bytes", "_file_modified"

QUARANTINE_SCHEMA = (
    "raw_record string, _source_file string, rule string, column string, reason string, "
    "_ingested_at timestamp, _batch_id bigint"
)
MALFORMED = "malformed"


def declared_schema(columns: Mapping[str, str], with_corrupt_record: bool = True) -> str:
    """A DDL schema from ordered name -> Spark SQL type, plus the parser's corrupt-record column."""
    fields = [f"`{name}` {type_}" for name, type_ in columns.items()]
    if with_corrupt_record:
        fields.append(f"`{CORRUPT_RECORD}` string")
    return ", ".join(fields)


def raw_schema(names: Iterable[str], with_corrupt_record: bool = True) -> str:
    """Every column as a string: bronze keeps values exactly as the file wrote them."""
    return declared_schema(dict.fromkeys(names, "string"), with_corrupt_record)


def source_file() -> Column:
    """The path of the file a row was read from (Spark's hidden `_metadata` column of file sources)."""
    return F.col("_metadata.file_path").alias(SOURCE_FILE)


def file_columns() -> list[Column]:
    """The row's file: its path, size and modification time."""
    return [source_file(), F.col("_metadata.file_size").alias(FILE_BYTES),
            F.col("_metadata.file_modification_time").alias(FILE_MODIFIED)]


def batch_time() -> Column:
    """When the rows were ingested.

    In a stream, current_timestamp() is the micro-batch's time, kept in the checkpoint's
    offset log: a batch replayed after a crash has the time of its first attempt.
    """
    return F.current_timestamp().alias(INGESTED_AT)


def with_ingest_metadata(df: DataFrame, batch_id: int, ingested_at: datetime) -> DataFrame:
    """Stamp rows with the batch that ingested them and when; `_source_file` must be present."""
    df = df.drop(INGESTED_AT, INGEST_BATCH_ID)
    rescued = [] if RESCUED_DATA in df.columns else [F.lit(None).cast("string").alias(RESCUED_DATA)]
    return df.select(
        "*",
        *rescued,
        F.lit(ingested_at).cast("timestamp").alias(INGESTED_AT),
        F.lit(batch_id).cast("bigint").alias(INGEST_BATCH_ID),
    )


def in_batch(batch_id: int, ingested_at: datetime) -> Column:
    """Rows of one batch: its time tells it apart from another stream's batch with the same id."""
    return (F.col(INGEST_BATCH_ID) == F.lit(batch_id)) & (F.col(INGESTED_AT) == F.lit(ingested_at).cast("timestamp"))


def quarantine_rows(raw_record: Column, rule: Column, column: Column, reason: Column) -> list[Column]:
    """The quarantine table's columns, in order, for rows carrying the metadata columns."""
    return [
        raw_record.cast("string").alias("raw_record"),
        F.col(SOURCE_FILE),
        rule.cast("string").alias("rule"),
        column.cast("string").alias("column"),
        reason.cast("string").alias("reason"),
        F.col(INGESTED_AT),
        F.col(INGEST_BATCH_ID),
    ]


def raw_record(columns: Sequence[str | Column]) -> Column:
    """A bronze row's raw values as one JSON object, for quarantine rows found after parsing."""
    return F.to_json(F.struct(*[F.col(c) if isinstance(c, str) else c for c in columns]), {"ignoreNullFields": "false"})


def latest_per_key(df: DataFrame, key: Sequence[str], order_by: str) -> DataFrame:
    """One row per key: the greatest `order_by`; ties go to the later file, then raw values.

    Without a key every row is its own record and nothing is dropped.
    """
    if not key:
        return df
    tie_breakers = [F.col(SOURCE_FILE).desc(), F.xxhash64(*[F.col(c) for c in df.columns]).desc()]
    window = Window.partitionBy(*key).orderBy(F.col(order_by).desc_nulls_last(), *tie_breakers)
    return df.withColumn("_rank", F.row_number().over(window)).where("_rank = 1").drop("_rank")


def merge_condition(key: Sequence[str]) -> str:
    """MERGE's match condition: silver row `t` and incoming row `s` share the key."""
    return " AND ".join(f"t.`{c}` <=> s.`{c}`" for c in key)


def newer_condition(order_by: str) -> str:
    """Update a matched silver row only with a record at least as recent (idempotent on replay)."""
    return f"t.`{order_by}` IS NULL OR s.`{order_by}` >= t.`{order_by}`"
