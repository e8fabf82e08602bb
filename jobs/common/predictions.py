"""Write a scoring batch's predictions: replace its rows in the prediction table, partitioned by date."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame

from jobs.common.score_batches import replace_batch
from jobs.common.session import session_conf
from jobs.common.tables import TableStore
from transforms.scoring.table import SCORING_DATE, skipping_columns

STATS_COLUMNS_PROPERTY = "delta.dataSkippingStatsColumns"
# A batch writes one scoring date. Without concurrent writers, Delta sorts every row of a task by
# the partition column before writing (in memory, spilling to disk past it) although all rows
# hold the same date; with them, rows stream straight to the open file of their date, and a
# task that meets more dates than this falls back to that sort.
_STREAMING_PARTITION_WRITE = {"spark.sql.maxConcurrentOutputFileWriters": "4"}


def write_predictions(
    tables: TableStore, predictions: DataFrame, table: str, batch_ids: Sequence[str], key: Sequence[str]
) -> int:
    """Replace the rows of `batch_ids` in the prediction table, partitioned by scoring date; return the rows written.

    Delta collects statistics only on the columns that let it skip files (see
    `transforms.scoring.table.skipping_columns`); a table created before that is given the property
    once, for the files written from then on.
    """
    stats_columns = ",".join(skipping_columns(key))
    with session_conf(tables.spark, _STREAMING_PARTITION_WRITE, hints=True):
        written = replace_batch(tables, predictions, table, batch_ids, [SCORING_DATE],
                                {STATS_COLUMNS_PROPERTY: stats_columns})
    name = tables.qualified(table)
    properties = tables.spark.sql(f"DESCRIBE DETAIL {name}").first()["properties"]
    if properties.get(STATS_COLUMNS_PROPERTY) != stats_columns:
        tables.spark.sql(f"ALTER TABLE {name} SET TBLPROPERTIES ('{STATS_COLUMNS_PROPERTY}' = '{stats_columns}')")
    return written
