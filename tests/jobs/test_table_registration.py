"""A job registers the tables it touches, when it touches them; SQL entry points register all.

Registering a table reads its Delta log, so a job start that registered every table of a full
lakehouse paid for tables the job never used. (That a warm start takes Delta's jars from the
Ivy cache is tested on a made-up Ivy home in tests/jobs/test_quiet.py, whatever this machine's
cache holds.)
"""

from __future__ import annotations

import re
from pathlib import Path

from pyspark.sql import SparkSession

from jobs.common.cli import run_job
from jobs.common.tables import TableStore
from tests.settings import make_settings

SCHEMA = "house_sales"


def _lakehouse(spark: SparkSession, tmp_path: Path, rows: dict[str, int]) -> tuple[Path, dict[str, str]]:
    """Delta tables of `rows[name]` rows under a lakehouse root; names made unique to this test,
    since the session's catalog outlives it."""
    suffix = re.sub(r"\W", "_", tmp_path.name)
    root = tmp_path / "lakehouse"
    names = {name: f"{name}_{suffix}" for name in rows}
    for name, count in rows.items():
        spark.range(count).write.format("delta").save(str(root / SCHEMA / names[name]))
    return root, names


def _in_catalog(spark: SparkSession, table: str) -> bool:
    return spark.catalog.tableExists(f"{SCHEMA}.{table}")


def _start_and_read(spark: SparkSession, root: Path, read: str, absent: str, whole_catalog: bool):
    def body(context, _args):
        at_start = (_in_catalog(spark, read), _in_catalog(spark, absent))
        return at_start, context.tables.read(read).count(), _in_catalog(spark, absent)

    return run_job("registration", body, ["--set", f"lakehouse.root={root}"], whole_catalog=whole_catalog)


def test_a_job_registers_a_table_at_its_first_touch_and_leaves_the_others(spark, tmp_path) -> None:
    root, names = _lakehouse(spark, tmp_path, {"used": 2, "unused": 3})

    at_start, rows, unused_later = _start_and_read(spark, root, names["used"], names["unused"], False)

    assert at_start == (False, False)
    assert rows == 2
    assert unused_later is False


def test_an_entry_point_asking_for_the_whole_catalog_registers_every_table_at_start(spark, tmp_path) -> None:
    root, names = _lakehouse(spark, tmp_path, {"used": 2, "unused": 3})

    at_start, rows, _ = _start_and_read(spark, root, names["used"], names["unused"], True)

    assert at_start == (True, True)
    assert rows == 2


def test_a_store_points_the_name_at_its_own_root_at_first_touch(spark, tmp_path) -> None:
    # One long-lived session (tests, a notebook) opening two lakehouses: the second store must
    # not read the first one's table through the catalog entry the first store left.
    first, names = _lakehouse(spark, tmp_path / "first", {"things": 2})
    second = tmp_path / "second" / "lakehouse"
    spark.range(5).write.format("delta").save(str(second / SCHEMA / names["things"]))

    first_store = TableStore(spark, make_settings(first.parent))
    second_store = TableStore(spark, make_settings(second.parent))

    assert first_store.read(names["things"]).count() == 2
    assert second_store.read(names["things"]).count() == 5
    assert second_store.version(names["things"]) == 0


def test_register_name_registers_this_stores_tables_only(spark, tmp_path) -> None:
    root, names = _lakehouse(spark, tmp_path, {"scored": 4})
    tables = TableStore(spark, make_settings(root.parent))

    tables.register_name(f"other_schema.{names['scored']}")
    assert not _in_catalog(spark, names["scored"])
    tables.register_name(tables.qualified(names["scored"]))
    assert spark.sql(f"SELECT count(*) FROM {SCHEMA}.{names['scored']}").first()[0] == 4
