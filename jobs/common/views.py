"""Views over the use case's tables, defined in every session: the local catalog is in memory.

A view is not stored on disk, so each process that opens the lakehouse (a job, `jobs.sql`, the
Thrift server, a notebook) creates it again after registering the tables it finds.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import SparkSession

from jobs.common.config import Settings
from jobs.common.tables import TableStore
from transforms.scoring.table import latest_prediction_sql


def view_statements(settings: Settings, qualified: Callable[[str], str]) -> list[str]:
    """CREATE VIEW statements of the scoring views; `qualified` turns a short name into a full one."""
    config = settings.score
    select = latest_prediction_sql(qualified(config.output_table), settings.use_case.key)
    return [f"CREATE OR REPLACE VIEW {qualified(config.latest)} AS {select}"]


def register_views(spark: SparkSession, settings: Settings, tables: TableStore) -> None:
    """Define the scoring views once the predictions table exists."""
    if not tables.has_data(settings.score.output_table):
        return
    for statement in view_statements(settings, tables.qualified):
        spark.sql(statement)
