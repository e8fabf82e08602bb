"""Score a Delta table with a registered model and write the predictions table, batch by batch.

The model is the registry version behind an alias (`champion` by default) or a pinned
version. A Spark ML model is the whole fitted pipeline and runs in Spark's native path
(`PipelineModel.transform`; an xgboost model at its end is fed from its assembler's inputs,
`transforms.scoring.booster`); any other MLflow model falls back to `mlflow.pyfunc.spark_udf`.

A batch is the slice of one input table at one Delta version: `batch_id = <input table>@v<input
version>`. Rerunning it (same table, same version) replaces its rows in the predictions and
quarantine tables (`replaceWhere batch_id = ...`), so a rerun never duplicates, and a batch of
another input table never touches it. With `score.incremental.mode: watermark` a batch takes
only the input rows whose watermark column (`_ingested_at`: silver keeps the ingestion time of
the latest record per key) is later than what the earlier batches scored, recorded in the audit
table. The audit row is written last and is the batch's commit point: a run stopped before it
leaves an orphan batch, which the next run removes and scores again
(`jobs.common.score_batches`). The input table is read, never altered: no Change Data Feed is
needed on a table another job owns.

A key the batch holds twice is quarantined (every copy), as is a value the model cannot take
as data of its declared input type (`transforms.scoring.values`): one prediction per key per
batch, and nothing scored from an imputed stand-in for garbage.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import mlflow
import mlflow.pyfunc
from mlflow.types import DataType
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, run_job
from jobs.common.config import Settings
from jobs.common.model_loading import load_spark_model
from jobs.common.score_batches import (
    AUDIT_SCHEMA,
    batches_replaced,
    last_watermark,
    quarantine_rows,
    repair_orphans,
    replace_batch,
    retire_audit,
)
from jobs.common.session import session_conf
from jobs.common.tables import TableStore
from jobs.common.tracking import client, configure_mlflow, registered_model_name
from jobs.common.views import register_views
from transforms.scoring.booster import score_pipeline
from transforms.scoring.checks import (
    duplicate_keys,
    mark_unpredicted,
    predicted,
    screen_input,
    unpredicted,
)
from transforms.scoring.table import (
    PROBABILITY,
    SCORING_DATE,
    ModelIdentity,
    batch_condition,
    prediction_table,
    skipping_columns,
)
from transforms.scoring.values import literal_column

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
    # MLflow type name of each input column the signature declares (None: not a plain column type).
    input_types: dict[str, str | None] = field(default_factory=dict)


def resolve_model(
    spark: SparkSession, settings: Settings, alias: str | None = None, version: str | None = None
) -> ResolvedModel:
    """Resolve the alias once and load that exact version: the alias may move mid-run."""
    configure_mlflow(settings, create_store=False)
    name = registered_model_name(settings)
    version = version or settings.score.version
    if version:
        found, alias = client().get_model_version(name, version), None
    else:
        alias = alias or settings.score.alias or settings.model.alias
        found = client().get_model_version_by_alias(name, alias)
    uri = f"models:/{name}/{found.version}"
    info = mlflow.models.get_model_info(uri)
    names = info.signature.inputs.input_names() if info.signature else []
    specs = info.signature.inputs.inputs if info.signature else []
    types = {str(n): s.type.name if isinstance(getattr(s, "type", None), DataType) else None
             for n, s in zip(names, specs, strict=True)}
    native = load_spark_model(spark, uri) if "spark" in info.flavors else None
    threshold = None
    if settings.use_case.task == "classification":
        threshold = float(found.tags.get(THRESHOLD_TAG, settings.score.threshold))
    identity = ModelIdentity(name, str(found.version), alias, found.run_id)
    return ResolvedModel(identity, uri, list(types), native, threshold, types)


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
        scored = score_pipeline(model.native, inputs.select("*", *[literal_column(c).alias(copy) for c, copy in copies.items()]))
        # A stage that selects named columns drops the copies: its own output is all there is.
        restored = [literal_column(copy if copy in scored.columns else c).alias(c) for c, copy in copies.items()]
        return scored.select(*restored, *[c for c in outputs if c in scored.columns])
    predict = mlflow.pyfunc.spark_udf(spark, model.uri, result_type="double", env_manager="local")
    columns = model.input_columns or rows.columns
    return rows.withColumn("prediction", predict(F.struct(*[literal_column(c) for c in columns])))


def score(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings, tables, spark = context.settings, context.tables, context.spark
    config, key = settings.score, settings.use_case.key
    model = resolve_model(spark, settings, getattr(args, "alias", None), getattr(args, "version", None))
    batch = _input_batch(context, full=bool(getattr(args, "full", False)))
    scored_at = datetime.now(timezone.utc)

    screened = screen_input(batch.rows, [*model.input_columns, *config.pass_through], key, model.input_types,
                            (config.min_year, config.max_year), batch.duplicates)
    rows_scored, unpredicted_rows = 0, None
    retire_audit(tables, settings, batch.replaces)
    if screened.scorable is not None:
        scored = apply_model(spark, model, screened.scorable)
        threshold = model.threshold if PROBABILITY in scored.columns else None
        keep = [*key, "prediction", *([PROBABILITY] if threshold is not None else []), *config.pass_through]
        marked = mark_unpredicted(scored, batch.rows.columns, keep)
        predictions = prediction_table(
            predicted(marked), key, model.identity, scored_at, config.pass_through, batch.batch_id, threshold
        )
        rows_scored = write_predictions(tables, predictions, config.output_table, batch.replaces, key)
        unpredicted_rows = unpredicted(marked)
    elif tables.has_data(config.output_table):
        tables.delete(config.output_table, batch_condition(batch.replaces))

    def quarantine(rows: DataFrame) -> int:
        records = quarantine_rows(rows, batch.batch_id, model.identity.name, model.identity.version, scored_at)
        return replace_batch(tables, records, config.quarantine, batch.replaces)

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
    replaces: list[str]  # the batch ids its rows replace: its own, and a legacy id it takes over
    input_version: int
    rows: DataFrame
    rows_in: int
    watermark_from: str | None
    watermark_to: str | None
    duplicates: DataFrame | None  # the keys the batch holds more than once, if any


def _input_batch(context: JobContext, full: bool) -> InputBatch:
    """The input rows of this run: the table at its current version, past the last watermark.

    Orphans of stopped runs on this input are removed first: their rows are scored again here.
    """
    settings, tables = context.settings, context.tables
    config, key = settings.score, settings.use_case.key
    name = tables.qualified(config.input_table)
    version = tables.version(config.input_table)
    replaces = batches_replaced(tables, settings, name, version)
    repair_orphans(tables, settings, name, keep=replaces)
    rows = tables.read_version(config.input_table, version)
    since, column = None, None
    if config.incremental.mode == "watermark":
        column = config.incremental.watermark_column
        if column not in rows.columns:
            raise ScoringError(
                f"score.incremental.mode=watermark needs column {column!r} in {name}; "
                f"set score.incremental.watermark_column or score.incremental.mode=none"
            )
        since = None if full else last_watermark(tables, settings, name, version)
        if since is not None:
            rows = rows.where(F.col(column) > F.lit(since).cast(rows.schema[column].dataType))
    rows_in, duplicated, upper = _batch_counts(rows, key, column)
    duplicates = duplicate_keys(rows, key) if duplicated else None
    return InputBatch(replaces[0], replaces, version, rows, rows_in, since, upper or since, duplicates)


def _batch_counts(rows: DataFrame, key: Sequence[str], watermark: str | None) -> tuple[int, int, str | None]:
    """Rows in, rows whose (non-null) key the batch holds more than once, and the greatest watermark.

    One pass, grouped by key: only the key columns (and the watermark) are shuffled.
    """
    upper = [F.max(watermark).alias("_upper")] if watermark else []
    if any(c not in rows.columns for c in key):  # every row is quarantined for the missing column
        return rows.count(), 0, None
    per_key = rows.groupBy(*key).agg(F.count(F.lit(1)).alias("_rows"), *upper)
    not_null = F.lit(True)
    for column in key:
        not_null = not_null & F.col(column).isNotNull()
    totals = per_key.agg(
        F.sum("_rows"), F.sum(F.when(not_null & (F.col("_rows") > 1), F.col("_rows"))),
        F.max("_upper").cast("string") if watermark else F.lit(None).cast("string"),
    ).first()
    return int(totals[0] or 0), int(totals[1] or 0), totals[2]


def write_predictions(
    tables: TableStore, predictions: DataFrame, table: str, batch_ids: Sequence[str], key: Sequence[str]
) -> int:
    """Replace the rows of `batch_ids` in the prediction table, partitioned by scoring date; return the rows written.

    Delta collects statistics only on the columns that let it skip files (see
    `transforms.scoring.table.skipping_columns`); a table created before that is given the property
    once, for the files written from then on.
    """
    stats_columns = ",".join(skipping_columns(key))
    with session_conf(tables.spark, _STREAMING_PARTITION_WRITE):
        written = replace_batch(tables, predictions, table, batch_ids, [SCORING_DATE],
                                {STATS_COLUMNS_PROPERTY: stats_columns})
    name = tables.qualified(table)
    properties = tables.spark.sql(f"DESCRIBE DETAIL {name}").first()["properties"]
    if properties.get(STATS_COLUMNS_PROPERTY) != stats_columns:
        tables.spark.sql(f"ALTER TABLE {name} SET TBLPROPERTIES ('{STATS_COLUMNS_PROPERTY}' = '{stats_columns}')")
    return written


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
    replace_batch(context.tables, audit, config.audit_table, batch.replaces)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alias", help="registry alias to score with (default: score.alias or model.alias)")
    parser.add_argument("--version", help="registry version to score with instead of an alias")
    parser.add_argument("--full", action="store_true",
                        help="score every input row, ignoring the watermark of earlier batches")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, score, argv, _arguments)


if __name__ == "__main__":
    main()
