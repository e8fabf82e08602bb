"""Paths reach SQL quoted: a lakehouse root with a quote works; a foreign folder stops nothing."""

from __future__ import annotations

import re

import pytest

from jobs.common.tables import TableStore, registration_sql
from jobs.ingest import ingest
from tests.ingest_fixtures import context_for, land, rows
from tests.settings import make_settings

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


def test_ingest_and_table_sql_work_under_a_root_with_a_quote_and_a_backquote(spark, tmp_path) -> None:
    odd = tmp_path / "it's `odd` root"
    odd.mkdir()
    context = context_for(spark, odd)
    land(odd, "a.csv", "id,updated,city,price\n1,2024-01-01,Oslo,100\n2,2024-01-01,Oslo,oops\n")

    counts = ingest(context)["things"]

    assert (counts["rows_silver"], counts["rows_quarantined"]) == (1, 1)
    tables = context.tables
    assert tables.location("things_silver").startswith(str(odd))
    assert [r[0] for r in rows(context, "things_silver")] == [1]
    # DELETE and DESCRIBE HISTORY address the table by its path.
    tables.delete("things_silver", "id = 1")
    assert rows(context, "things_silver") == []
    assert tables.find_commit("things_silver").metrics["numDeletedRows"] == 1
    assert f"{tables.schema}.things_silver" in tables.register_all()


def test_registration_sql_quotes_the_location() -> None:
    statements = registration_sql("`s`.`t`", "s", "/data/it's\\x")
    assert statements[-1] == "CREATE TABLE `s`.`t` USING DELTA LOCATION '/data/it\\'s\\\\x'"


def test_a_table_folder_the_catalog_would_refuse_is_skipped_at_start_up(spark, tmp_path) -> None:
    settings = make_settings(tmp_path)
    root = tmp_path / "lakehouse"
    good_schema = "quoting_" + re.sub(r"\W", "_", tmp_path.name)
    spark.range(2).write.format("delta").save(str(root / "x; DROP TABLE t" / "things"))
    spark.range(3).write.format("delta").save(str(root / good_schema / "things"))

    registered = TableStore(spark, settings).register_all()

    assert registered == [f"{good_schema}.things"]
    assert spark.table(f"{good_schema}.things").count() == 3
    assert (root / "x; DROP TABLE t" / "things" / "_delta_log").is_dir()  # left as it was
