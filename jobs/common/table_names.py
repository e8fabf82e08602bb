"""Turn Spark's "table or view not found" into one line naming the closest tables it does know."""

from __future__ import annotations

import difflib

from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession

from jobs.common.errors import UserError

# Spark's error condition for a name the catalog does not have.
NOT_FOUND = "TABLE_OR_VIEW_NOT_FOUND"


class UnknownTable(UserError):
    """A statement names a table or view the catalog does not have."""


def catalog_tables(spark: SparkSession) -> list[str]:
    """`schema.table` of every table and view in the session's catalog.

    SHOW TABLES reads names only: `Catalog.listTables` loads each table, and one whose folder is
    gone (another process removed it) would turn a did-you-mean line into a traceback.
    """
    names = []
    for database in spark.catalog.listDatabases():
        quoted = "`" + database.name.replace("`", "``") + "`"
        names += [f"{database.name}.{row.tableName}" for row in spark.sql(f"SHOW TABLES IN {quoted}").collect()
                  if not row.isTemporary]
    return sorted(names)


def unknown_table(spark: SparkSession, error: AnalysisException) -> UnknownTable | None:
    """An `UnknownTable` naming close matches when `error` is Spark's table-not-found, else None."""
    if error.getCondition() != NOT_FOUND:
        return None
    name = (error.getMessageParameters() or {}).get("relationName", "").replace("`", "")
    known = catalog_tables(spark)
    close = difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.6)
    listed = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known) or 'none'}"
    return UnknownTable(f"no table or view {name!r}; {listed}")
