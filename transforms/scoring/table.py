"""Shape a scored frame into the prediction table analysts query with SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

# The table's probability column has the name of the model's: monitoring compares the two.
from transforms.modeling.scores import PROBABILITY, positive_probability

SCORING_DATE = "scoring_date"
PREDICTION_BATCH_ID = "batch_id"
SCORED_AT = "scored_at"


@dataclass(frozen=True)
class ModelIdentity:
    """Which registered model made a prediction."""

    name: str
    version: str
    alias: str | None
    run_id: str


def prediction_table(
    scored: DataFrame,
    key: Sequence[str],
    model: ModelIdentity,
    scored_at: datetime,
    pass_through: Sequence[str] = (),
    batch_id: str | None = None,
    threshold: float | None = None,
) -> DataFrame:
    """Keys, prediction, pass-through columns and the model's identity, one row per input row.

    With a `threshold` (classifiers) the table also holds `probability`, the probability of the
    positive class, and `predicted_label`, 1 where that probability reaches the threshold; the
    threshold itself is a column so a query can tell which cut-off made the label. With a
    `batch_id` it holds the batch and the `scoring_date` the table is partitioned by.
    """
    classifier: list[Column] = []
    if threshold is not None:
        positive = positive_probability(scored)
        classifier = [
            positive.alias(PROBABILITY),
            F.lit(threshold).cast("double").alias("decision_threshold"),
            (positive >= F.lit(threshold)).cast("int").alias("predicted_label"),
        ]
    batch: list[Column] = []
    if batch_id is not None:
        batch = [F.lit(batch_id).alias(PREDICTION_BATCH_ID), F.lit(scored_at).cast("date").alias(SCORING_DATE)]
    return scored.select(
        *key,
        F.col("prediction").alias("prediction"),
        *classifier,
        *pass_through,
        F.lit(model.name).alias("model_name"),
        F.lit(model.version).alias("model_version"),
        F.lit(model.alias).cast("string").alias("model_alias"),
        F.lit(model.run_id).alias("run_id"),
        F.lit(scored_at).cast("timestamp").alias(SCORED_AT),
        *batch,
    )


def batch_id(input_table: str, input_version: int) -> str:
    """The batch that scores `input_table` at Delta version `input_version`: both name it.

    The version alone (`v3`, before) let a batch of another input table at the same version
    replace this one's rows.
    """
    return f"{batch_prefix(input_table)}{input_version}"


def batch_prefix(input_table: str) -> str:
    """What every batch id of `input_table` starts with."""
    return f"{input_table}@v"


def legacy_batch_id(input_version: int) -> str:
    """The batch id earlier releases gave a batch: the input version alone."""
    return f"v{input_version}"


def batch_condition(batch_ids: Sequence[str]) -> str:
    """SQL condition selecting the rows of `batch_ids` (quotes and backslashes escaped)."""
    quoted = ["'" + b.replace("\\", "\\\\").replace("'", "\\'") + "'" for b in batch_ids]
    return f"{PREDICTION_BATCH_ID} IN ({', '.join(quoted)})"


def skipping_columns(key: Sequence[str]) -> list[str]:
    """Columns of the prediction table worth Delta's per-file min/max statistics.

    A batch writes files holding one `batch_id` and one `scored_at`, over a range of keys, so
    their statistics let Delta skip files (a batch's rerun, a key lookup, a time range). The
    other columns are constants of the batch (model identity) or spread over every file
    (prediction, pass-through columns): their statistics skip nothing, and collecting them
    cost about a tenth of the scoring write's CPU time (bench/RESULTS.md, scoring).
    """
    return [*key, PREDICTION_BATCH_ID, SCORED_AT]


def latest_prediction_sql(predictions: str, key: Sequence[str]) -> str:
    """SQL of a view holding the most recent prediction of each key (ties: the later batch)."""
    keys = ", ".join(key)
    return (
        f"SELECT * EXCEPT (_recency) FROM (SELECT *, row_number() OVER (PARTITION BY {keys} "
        f"ORDER BY scored_at DESC, {PREDICTION_BATCH_ID} DESC) AS _recency FROM {predictions}) WHERE _recency = 1"
    )


def reconciliation_sql(audit: str, predictions: str, quarantine: str, key: Sequence[str]) -> str:
    """SQL of one row per batch: its audit counts beside the rows the tables hold for it.

    `reconciles` holds when the batch has an audit row, every input row it counted is in the
    predictions or the quarantine table, and no key is predicted twice in the batch.
    """
    keys, batch = ", ".join(key), PREDICTION_BATCH_ID
    return (
        f"SELECT coalesce(a.{batch}, p.{batch}, q.{batch}) AS {batch}, a.rows_in, "
        "coalesce(p.n, 0) AS predictions, coalesce(p.keys, 0) AS predicted_keys, coalesce(q.n, 0) AS quarantined, "
        "coalesce(a.rows_in = coalesce(p.n, 0) + coalesce(q.n, 0) AND a.rows_scored = coalesce(p.n, 0) "
        "AND a.rows_quarantined = coalesce(q.n, 0) AND coalesce(p.n, 0) = coalesce(p.keys, 0), false) AS reconciles "
        f"FROM {audit} a "
        f"FULL OUTER JOIN (SELECT {batch}, count(*) AS n, count(DISTINCT {keys}) AS keys FROM {predictions} "
        f"GROUP BY {batch}) p ON a.{batch} = p.{batch} "
        f"FULL OUTER JOIN (SELECT {batch}, count(*) AS n FROM {quarantine} GROUP BY {batch}) q "
        f"ON coalesce(a.{batch}, p.{batch}) = q.{batch}"
    )
