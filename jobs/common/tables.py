"""Delta tables addressed by name.

Jobs say ``tables.read("sales_bronze")``; this module turns the short name into
``schema.table`` (local, spark-submit) or ``catalog.schema.table`` (Unity Catalog).

Locally, tables live under ``<lakehouse root>/<schema>/<table>`` and are registered in the
session's in-memory catalog as external Delta tables. The in-memory catalog holds no lock, so
any number of processes can open the lakehouse at once. A job registers a table when it first
touches it (:meth:`TableStore.exists`): registering every table at start reads each one's Delta
log, which a job that uses two of twenty tables need not pay. Entry points that run arbitrary
SQL register what they find on disk when they start (:meth:`TableStore.register_all`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from delta.tables import DeltaTable
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from jobs.common.config import Settings
from jobs.common.config_types import IDENTIFIER
from jobs.common.errors import UserError
from jobs.common.session import is_connect, session_conf

logger = logging.getLogger(__name__)

MATERIALIZE_SOURCE = "spark.databricks.delta.merge.materializeSource"
# The user metadata of the session's next commits (the writer's `userMetadata` option elsewhere).
COMMIT_USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"


class MissingTableError(UserError, LookupError):
    """A table a job reads has not been written yet: the jobs ran out of order (a LookupError too,
    for callers that test whether a table is there)."""


@dataclass(frozen=True)
class Commit:
    """What a Delta commit recorded: its operation metrics (``numOutputRows``, ...) and a note."""

    metrics: dict[str, int]
    note: str = ""


class TableStore:
    """Reads, writes and names the Delta tables of one use case."""

    def __init__(self, spark: SparkSession, settings: Settings) -> None:
        self.spark = spark
        self.catalog = settings.lakehouse.catalog
        self.schema = settings.use_case.schema_
        self.root = settings.lakehouse.root
        self.managed = settings.runtime == "databricks"
        # Tables this store (re)registered from its own root: the catalog may hold an entry left
        # by another store of the same session pointing at another root (tests, notebooks).
        self._registered: set[str] = set()

    def qualified(self, table: str) -> str:
        parts = [self.catalog] if self.catalog else []
        return ".".join([*parts, self.schema, table])

    def location(self, table: str) -> str:
        return f"{self.root}/{self.schema}/{table}"

    def exists(self, table: str) -> bool:
        """Whether the catalog has `table`; locally, a table on disk is registered at its first touch."""
        if not self.managed and table not in self._registered and self._has_data(table):
            self._register(table)
        return self.spark.catalog.tableExists(self.qualified(table))

    def register_name(self, name: str) -> None:
        """Register `name` (as `qualified` gives it) for SQL when it is one of this store's tables."""
        table = name.rpartition(".")[2]
        if name == self.qualified(table):
            self.exists(table)

    def read(self, table: str) -> DataFrame:
        return self.spark.table(self._existing(table))

    def _existing(self, table: str) -> str:
        """The qualified name of `table`; the one-line error when no job has written it yet."""
        if not self.exists(table):
            raise MissingTableError(
                f"table {self.qualified(table)} does not exist; run the job that writes it first"
            )
        return self.qualified(table)

    def read_version(self, table: str, version: int) -> DataFrame:
        """The table as of one Delta version (time travel), e.g. the snapshot a model learnt from."""
        self.read(table)  # the clear error when the table does not exist
        return self.spark.sql(f"SELECT * FROM {self.qualified(table)} VERSION AS OF {int(version)}")

    def write(
        self,
        df: DataFrame,
        table: str,
        mode: str = "overwrite",
        partition_by: list[str] | None = None,
        options: dict[str, str] | None = None,
    ) -> None:
        """Write `df` as a Delta table; `overwrite` also replaces the table's schema."""
        writer = df.write.format("delta").mode(mode)
        if mode == "overwrite":
            writer = writer.option("overwriteSchema", "true")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        for key, value in (options or {}).items():
            writer = writer.option(key, value)
        if self.managed:
            writer.saveAsTable(self.qualified(table))
        else:
            writer.save(self.location(table))
            self._register(table)

    def write_tagged(self, df: DataFrame, table: str, tag: str, note: str = "", find: bool = True,
                     **write_args) -> Commit | None:
        """`write` with its commit tagged `tag` (and `note`); return that commit (see `find_commit`),
        unless `find` is false: a caller that needs no metrics spares the history read.

        The tag, not the table's latest version, finds the commit: another writer may commit
        in between, and a write Delta skips (nothing to write, or an idempotent replay) has none.
        """
        options = {**write_args.pop("options", {}), "userMetadata": f"{tag} {note}".rstrip()}
        self.write(df, table, options=options, **write_args)
        return self.find_commit(table, tag) if find else None

    def append_once(
        self,
        df: DataFrame,
        table: str,
        app_id: str,
        version: int,
        merge_schema: bool = False,
        properties: dict[str, str] | None = None,
        note: str = "",
        find: bool = True,
    ) -> Commit | None:
        """Append `df` unless this (app_id, version) already wrote to `table` (Delta idempotent write).

        A job retried after a crash replays its batch with the same version; Delta skips the
        append it already committed, so the retry neither loses nor duplicates rows.
        `properties` (``delta.*`` table properties) apply when the append creates the table;
        `note` is kept in the commit. Returns the commit that holds the append, this attempt's
        or an earlier one's, if it is among the table's recent commits (None without `find`).
        """
        options = {"txnAppId": app_id, "txnVersion": str(version), **(properties or {})}
        if merge_schema:
            options["mergeSchema"] = "true"
        return self.write_tagged(df, table, f"{app_id}/{version}", note, find, mode="append", options=options)

    def delta_table(self, table: str) -> DeltaTable:
        """The Delta table API (merge, history) of a table, by name or by its local path."""
        if self.managed:
            return DeltaTable.forName(self.spark, self.qualified(table))
        return DeltaTable.forPath(self.spark, self.location(table))

    def merge(
        self,
        df: DataFrame,
        table: str,
        condition: str,
        update_condition: str | None = None,
        evolve_schema: bool = False,
        stable_source: bool = False,
    ) -> dict[str, int]:
        """Upsert `df` (alias `s`) into `table` (alias `t`): update matches, insert the rest.

        Creates the table from `df` when it does not exist yet; returns Delta's merge metrics.
        Delta copies a source it cannot prove stable before merging (it reads it twice); a
        `stable_source` (cached, or from Delta snapshots, with deterministic operations) is
        read as it is instead.
        """
        tag = f"merge/{uuid.uuid4().hex}"
        if not self._has_data(table):
            created = self.write_tagged(df, table, tag, mode="append")
            written = created.metrics.get("numOutputRows", 0) if created else 0
            return {"numSourceRows": written, "numTargetRowsInserted": written, "numTargetRowsUpdated": 0}
        target = self.delta_table(table)
        builder = (
            target.alias("t")
            .merge(df.alias("s"), condition)
            .whenMatchedUpdateAll(condition=update_condition)
            .whenNotMatchedInsertAll()
        )
        if evolve_schema:
            builder = builder.withSchemaEvolution()
        materialize = {MATERIALIZE_SOURCE: "none" if stable_source else "auto"}
        with session_conf(self.spark, {COMMIT_USER_METADATA: tag}), session_conf(self.spark, materialize, hints=True):
            builder.execute()
        merged = self.find_commit(table, tag)
        if merged is None:  # nothing to merge: Delta committed nothing
            return {"numSourceRows": 0, "numTargetRowsInserted": 0, "numTargetRowsUpdated": 0}
        return {k: v for k, v in merged.metrics.items() if k.startswith(("numTarget", "numSource"))}

    def delete(self, table: str, condition: str) -> None:
        """Delete the rows matching a SQL `condition` (SQL, so it also runs through Spark Connect)."""
        self.spark.sql(f"DELETE FROM {self._sql_name(table)} WHERE {condition}")

    def _sql_name(self, table: str) -> str:
        """The table in SQL: its name, or locally its path, which does not depend on the catalog."""
        return self.qualified(table) if self.managed else f"delta.{sql_identifier(self.location(table))}"

    def has_data(self, table: str) -> bool:
        """Whether `table` holds data at this lakehouse's location, whatever the catalog says."""
        return self._has_data(table)

    def _has_data(self, table: str) -> bool:
        """Whether the table holds data here; a local catalog entry may point at another root."""
        if self.managed:
            return self.exists(table)
        if is_connect(self.spark):  # Delta's Python API needs the JVM or a Delta Connect server
            try:
                self.spark.sql(f"DESCRIBE DETAIL {self._sql_name(table)}").collect()
                return True
            except AnalysisException:
                return False
        return DeltaTable.isDeltaTable(self.spark, self.location(table))

    def find_commit(self, table: str, tag: str | None = None, recent: int = 10) -> Commit | None:
        """The table's latest commit, or the latest of its `recent` commits tagged `tag`."""
        history = self.spark.sql(f"DESCRIBE HISTORY {self._sql_name(table)} LIMIT {recent}")
        for row in history.select("userMetadata", "operationMetrics").collect():
            found, _, note = (row["userMetadata"] or "").partition(" ")
            if tag is None or found == tag:
                return Commit({k: int(v) for k, v in (row["operationMetrics"] or {}).items()}, note)
        return None

    def version(self, table: str) -> int:
        """The table's current Delta version, recorded as lineage."""
        row = self.spark.sql(f"DESCRIBE HISTORY {self._existing(table)} LIMIT 1").first()
        return int(row["version"])

    def register_all(self) -> list[str]:
        """Register every Delta table found under the local lakehouse root; return their names."""
        if self.managed:
            return []
        found = local_tables(self.root)
        for schema, table, location in found:
            self._register_at(f"{sql_identifier(schema)}.{sql_identifier(table)}", schema, location)
            if schema == self.schema:
                self._registered.add(table)
        return [f"{schema}.{table}" for schema, table, _ in found]

    def _register(self, table: str) -> None:
        self._register_at(self.qualified(table), self.schema, self.location(table))
        self._registered.add(table)

    def _register_at(self, name: str, schema: str, location: str) -> None:
        # Drop-and-create keeps the catalog pointing at the current root when a long-lived
        # session (tests, notebooks) moves between lakehouses; the data is external and stays.
        for statement in registration_sql(name, schema, location):
            self.spark.sql(statement)


def local_tables(root: str) -> list[tuple[str, str, str]]:
    """(schema, table, location) of every Delta table under a local lakehouse root.

    A folder whose name the catalog would refuse (left by an older version or written by hand)
    is skipped with a warning: registering it would fail every job on this lakehouse.
    """
    found = []
    for log in sorted(Path(root).glob("*/*/_delta_log")):
        schema, table = log.parent.parent.name, log.parent.name
        if IDENTIFIER.fullmatch(schema) and IDENTIFIER.fullmatch(table):
            found.append((schema, table, str(log.parent)))
        else:
            logger.warning("not registering %s: %r.%r is not a valid table name", log.parent, schema, table)
    return found


def registration_sql(name: str, schema: str, location: str) -> list[str]:
    """Statements that (re)register the external Delta table at `location` as `name`."""
    return [
        f"CREATE DATABASE IF NOT EXISTS {sql_identifier(schema)}",
        f"DROP TABLE IF EXISTS {name}",
        f"CREATE TABLE {name} USING DELTA LOCATION {sql_string(location)}",
    ]


def sql_string(text: str) -> str:
    """`text` as a Spark SQL string literal: a path with a quote or a backslash stays one path."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def sql_identifier(text: str) -> str:
    """`text` as a back-quoted Spark SQL identifier (a backquote inside is doubled)."""
    return "`" + text.replace("`", "``") + "`"
