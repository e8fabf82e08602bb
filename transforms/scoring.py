"""Shape a scored frame into the prediction table analysts query with SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


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
) -> DataFrame:
    """Keys, prediction, pass-through columns and the model's identity, one row per input row."""
    return scored.select(
        *key,
        F.col("prediction").alias("prediction"),
        *pass_through,
        F.lit(model.name).alias("model_name"),
        F.lit(model.version).alias("model_version"),
        F.lit(model.alias).cast("string").alias("model_alias"),
        F.lit(model.run_id).alias("run_id"),
        F.lit(scored_at).cast("timestamp").alias("scored_at"),
    )
