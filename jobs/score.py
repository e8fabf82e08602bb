"""Score a Delta table with a registered model and write the predictions table, batch by batch.

The model is the registry version behind an alias (`champion` by default) or a pinned
version. A Spark ML model is the whole fitted pipeline and runs in Spark's native path
(`PipelineModel.transform`; an xgboost model at its end is fed from its assembler's inputs,
`transforms.booster_scoring`); any other MLflow model falls back to `mlflow.pyfunc.spark_udf`.

A batch is the slice of the input table at one Delta version: `batch_id = v<input version>`.
Rerunning it (same input version) replaces its rows in the predictions and quarantine tables
(`replaceWhere batch_id = ...`), so a rerun never duplicates. With `score.incremental.mode:
watermark` a batch takes only the input rows whose watermark column (`_ingested_at`: silver
keeps the ingestion time of the latest record per key) is later than what the earlier batches
scored, recorded in the audit table. The input table is read, never altered: no Change Data
Feed is needed on a table another job owns.

Rows in = rows scored + rows quarantined, checked and recorded per batch in the audit table.
Rows scored and rows quarantined are what the Delta commits that replaced the batch wrote
(their `numOutputRows`), so no count reads the tables back; rows in is counted on the input.
The scored batch is not cached: the model runs once, in the prediction write. Only when the
counts show rows the model returned no prediction for does it run again, to find and
quarantine them (caching every batch to spare that rare pass spilled to disk at 10M rows and
cost more than the model; bench/RESULTS.md, scoring).
"""

from __future__ import annotations

import argparse
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import mlflow
import mlflow.pyfunc
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, run_job
from jobs.common.config import Settings
from jobs.common.model_loading import load_spark_model
from jobs.common.session import session_conf
from jobs.common.tables import TableStore
from jobs.common.tracking import client, configure_mlflow, registered_model_name
from jobs.common.views import register_views
from transforms.booster_scoring import score_pipeline
from transforms.scoring import (
    BATCH_ID,
    PROBABILITY,
    SCORING_DATE,
    ModelIdentity,
    prediction_table,
    skipping_columns,
)
from transforms.scoring_checks import mark_unpredicted, predicted, screen_input, unpredicted

log = logging.getLogger(__name__)

THRESHOLD_TAG = "decision_threshold"
STATS_COLUMNS_PROPERTY = "delta.dataSkippingStatsColumns"
# Prefix of the copies of the input columns that travel through the model untouched.
_INPUT_COPY = "__input__"
# A batch writes one scoring date. Without concurrent writers, Delta sorts every row of a task by
# the partition column before writing (in memory, spilling to disk past it) although all rows
# hold the same date; with them, rows stream straight to the open file of their date, and a
# task that meets more dates than this falls back to that sort.
_STREAMING_PARTITION_WRITE = {"spark.sql.maxConcurrentOutputFileWriters": "4"}
AUDIT_SCHEMA = (
    "batch_id string, input_table string, input_version bigint, incremental_mode string, "
    "watermark_column string, watermark_from string, watermark_to string, model_name string, "
    "model_version string, model_alias string, rows_in bigint, rows_scored bigint, "
    "rows_quarantined bigint, scored_at timestamp"
)


class ScoringError(RuntimeError):
    """A batch could not be scored or did not reconcile."""


@dataclass(frozen=True)
class ResolvedModel:
    """One exact registry version, loaded for scoring."""

    identity: ModelIdentity
    uri: str
    input_columns: list[str]
    native: object | None  # the PipelineModel of a Spark ML model, else None (pyfunc fallback)
    threshold: float | None


def resolve_model(
    spark: SparkSession, settings: Settings, alias: str | None = None, version: str | None = None
) -> ResolvedModel:
    """Resolve the alias once and load that exact version: the alias may move mid-run."""
    configure_mlflow(settings)
    name = registered_model_name(settings)
    version = version or settings.score.version
    if version:
        found, alias = client().get_model_version(name, version), None
    else:
        alias = alias or settings.score.alias or settings.model.alias
        found = client().get_model_version_by_alias(name, alias)
    uri = f"models:/{name}/{found.version}"
    info = mlflow.models.get_model_info(uri)
    inputs = info.signature.inputs.input_names() if info.signature else []
    native = load_spark_model(spark, uri) if "spark" in info.flavors else None
    threshold = None
    if settings.use_case.task == "classification":
        threshold = float(found.tags.get(THRESHOLD_TAG, settings.score.threshold))
    identity = ModelIdentity(name, str(found.version), alias, found.run_id)
    return ResolvedModel(identity, uri, [str(c) for c in inputs], native, threshold)


def apply_model(spark: SparkSession, model: ResolvedModel, rows: DataFrame) -> DataFrame:
    """`rows` as they came, with a `prediction` column (and `probability` for Spark ML classifiers).

    A fitted pipeline rewrites some of its input columns in place (imputed, rare levels
    grouped); the pass-through columns and quarantined raw records must show the input, so the
    pipeline scores a frame that also carries a copy of every input column.
    """
    if model.native is not None:
        # The model's outputs replace input columns of the same name, as `withColumn` would.
        # Copies are numbered: an input name may hold dots or backticks.
        outputs = ("prediction", PROBABILITY)
        inputs = rows.drop(*outputs)
        copies = {c: f"{_INPUT_COPY}{i}" for i, c in enumerate(inputs.columns)}
        scored = score_pipeline(model.native, inputs.select("*", *[_column(c).alias(copy) for c, copy in copies.items()]))
        # A stage that selects named columns drops the copies: its own output is all there is.
        restored = [_column(copy if copy in scored.columns else c).alias(c) for c, copy in copies.items()]
        return scored.select(*restored, *[c for c in outputs if c in scored.columns])
    predict = mlflow.pyfunc.spark_udf(spark, model.uri, result_type="double", env_manager="local")
    columns = model.input_columns or rows.columns
    return rows.withColumn("prediction", predict(F.struct(*[_column(c) for c in columns])))


def _column(name: str) -> Column:
    """The column called `name`, read literally (a dot is not a struct field)."""
    return F.col("`" + name.replace("`", "``") + "`")


def score(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings, tables, spark = context.settings, context.tables, context.spark
    config, key = settings.score, settings.use_case.key
    model = resolve_model(spark, settings, getattr(args, "alias", None), getattr(args, "version", None))
    batch = _input_batch(context, full=bool(getattr(args, "full", False)))
    scored_at = datetime.now(timezone.utc)

    screened = screen_input(batch.rows, [*model.input_columns, *config.pass_through], key)
    rows_scored, unpredicted_rows = 0, None
    if screened.scorable is not None:
        scored = apply_model(spark, model, screened.scorable)
        threshold = model.threshold if PROBABILITY in scored.columns else None
        keep = [*key, "prediction", *([PROBABILITY] if threshold is not None else []), *config.pass_through]
        marked = mark_unpredicted(scored, batch.rows.columns, keep)
        predictions = prediction_table(
            predicted(marked), key, model.identity, scored_at, config.pass_through, batch.batch_id, threshold
        )
        rows_scored = write_predictions(tables, predictions, config.output_table, batch.batch_id, key)
        unpredicted_rows = unpredicted(marked)
    elif tables.has_data(config.output_table):
        tables.delete(config.output_table, f"{BATCH_ID} = '{batch.batch_id}'")

    def quarantine(rows: DataFrame) -> int:
        return _replace_batch(tables, _quarantine_rows(rows, model.identity, batch.batch_id, scored_at),
                              config.quarantine, batch.batch_id)

    # Rejected rows are found by a filter Delta answers from file statistics (a null key).
    rows_quarantined = quarantine(screened.rejected)
    if unpredicted_rows is not None and batch.rows_in > rows_scored + rows_quarantined:
        # Rows the model returned no prediction for: only running it again finds them.
        rows_quarantined = quarantine(screened.rejected.unionByName(unpredicted_rows))

    counts = {"rows_in": batch.rows_in, "rows_scored": rows_scored, "rows_quarantined": rows_quarantined}
    _record_audit(context, batch, model.identity, counts, scored_at)
    register_views(spark, settings, tables)
    if counts["rows_in"] != counts["rows_scored"] + counts["rows_quarantined"]:
        raise ScoringError(f"batch {batch.batch_id} does not reconcile: {counts}")
    identity = model.identity
    log.info("scored batch %s of %s with %s v%s: %s", batch.batch_id, tables.qualified(config.input_table),
             identity.name, identity.version, counts)
    return {**counts, "batch_id": batch.batch_id, "input_version": batch.input_version,
            "model_name": identity.name, "version": identity.version, "alias": identity.alias,
            "run_id": identity.run_id, "threshold": model.threshold}


@dataclass(frozen=True)
class InputBatch:
    batch_id: str
    input_version: int
    rows: DataFrame
    rows_in: int
    watermark_from: str | None
    watermark_to: str | None


def _input_batch(context: JobContext, full: bool) -> InputBatch:
    """The input rows of this run: the table at its current version, past the last watermark."""
    settings, tables, spark = context.settings, context.tables, context.spark
    config = settings.score
    version = tables.version(config.input_table)
    rows = spark.sql(f"SELECT * FROM {tables.qualified(config.input_table)} VERSION AS OF {version}")
    if config.incremental.mode == "none":
        return InputBatch(f"v{version}", version, rows, rows.count(), None, None)
    column = config.incremental.watermark_column
    if column not in rows.columns:
        raise ScoringError(
            f"score.incremental.mode=watermark needs column {column!r} in {tables.qualified(config.input_table)}; "
            f"set score.incremental.watermark_column or score.incremental.mode=none"
        )
    since = None if full else _last_watermark(tables, settings, version)
    if since is not None:
        rows = rows.where(F.col(column) > F.lit(since).cast(rows.schema[column].dataType))
    upper, rows_in = rows.agg(F.max(column).cast("string"), F.count(F.lit(1))).first()
    return InputBatch(f"v{version}", version, rows, rows_in, since, upper or since)


def _last_watermark(tables: TableStore, settings: Settings, version: int) -> str | None:
    """The watermark the batches before this input version reached (a rerun of this one excluded)."""
    config = settings.score
    if not tables.has_data(config.audit_table):
        return None
    audit = tables.read(config.audit_table).where(
        (F.col("input_table") == tables.qualified(config.input_table))
        & (F.col("input_version") < version)
        & (F.col("incremental_mode") == "watermark")
        & (F.col("watermark_column") == config.incremental.watermark_column)
    )
    return audit.agg(F.max("watermark_to")).first()[0]


def _replace_batch(
    tables: TableStore,
    rows: DataFrame,
    table: str,
    batch_id: str,
    partition_by: list[str] | None = None,
    properties: dict[str, str] | None = None,
) -> int:
    """Atomically replace the rows of `batch_id` in `table` (created on the first batch, with `properties`).

    Returns the number of rows the batch now holds, from the metrics of the Delta commit.
    """
    commit = tables.write_tagged(rows, table, f"score/{batch_id}/{uuid.uuid4().hex}", mode="overwrite",
                                 partition_by=partition_by,
                                 options={"replaceWhere": f"{BATCH_ID} = '{batch_id}'", **(properties or {})})
    if commit is None:
        # Delta commits nothing when there was nothing to write and nothing to replace; a
        # commit pushed out of the recent history would undercount, which fails reconciliation.
        return 0
    # A file that also held other batches' rows (after OPTIMIZE) is rewritten without this
    # batch's: its other rows are counted in numOutputRows as copied rows.
    return commit.metrics.get("numOutputRows", 0) - commit.metrics.get("numCopiedRows", 0)


def write_predictions(
    tables: TableStore, predictions: DataFrame, table: str, batch_id: str, key: Sequence[str]
) -> int:
    """Replace batch `batch_id` of the prediction table, partitioned by scoring date; return its rows.

    Delta collects statistics only on the columns that let it skip files (see
    `transforms.scoring.skipping_columns`); a table created before that is given the property
    once, for the files written from then on.
    """
    stats_columns = ",".join(skipping_columns(key))
    with session_conf(tables.spark, _STREAMING_PARTITION_WRITE):
        written = _replace_batch(tables, predictions, table, batch_id, [SCORING_DATE],
                                 {STATS_COLUMNS_PROPERTY: stats_columns})
    name = tables.qualified(table)
    properties = tables.spark.sql(f"DESCRIBE DETAIL {name}").first()["properties"]
    if properties.get(STATS_COLUMNS_PROPERTY) != stats_columns:
        tables.spark.sql(f"ALTER TABLE {name} SET TBLPROPERTIES ('{STATS_COLUMNS_PROPERTY}' = '{stats_columns}')")
    return written


def _quarantine_rows(rows: DataFrame, model: ModelIdentity, batch_id: str, at: datetime) -> DataFrame:
    return rows.select(
        "*",
        F.lit(batch_id).alias(BATCH_ID),
        F.lit(model.name).alias("model_name"),
        F.lit(model.version).alias("model_version"),
        F.lit(at).cast("timestamp").alias("quarantined_at"),
    )


def _record_audit(
    context: JobContext, batch: InputBatch, model: ModelIdentity, counts: dict[str, int], at: datetime
) -> None:
    config = context.settings.score
    row = (
        batch.batch_id, context.tables.qualified(config.input_table), batch.input_version,
        config.incremental.mode, config.incremental.watermark_column, batch.watermark_from, batch.watermark_to,
        model.name, model.version, model.alias,
        counts["rows_in"], counts["rows_scored"], counts["rows_quarantined"], at,
    )
    audit = context.spark.createDataFrame([row], AUDIT_SCHEMA)
    _replace_batch(context.tables, audit, config.audit_table, batch.batch_id)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alias", help="registry alias to score with (default: score.alias or model.alias)")
    parser.add_argument("--version", help="registry version to score with instead of an alias")
    parser.add_argument("--full", action="store_true",
                        help="score every input row, ignoring the watermark of earlier batches")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, score, argv, _arguments)


if __name__ == "__main__":
    main()
