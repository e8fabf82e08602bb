"""Tiny landing folders and one-source use cases for the ingestion tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from jobs.common.cli import JobContext
from jobs.common.config import default_conf_dir
from jobs.common.tables import TableStore
from tests.settings import make_settings
from transforms.ingestion.bronze import INGEST_BATCH_ID

COLUMNS = {"id": "int", "updated": "date", "city": "string", "price": "double"}


def write_use_case(tmp_path: Path, **source: Any) -> Path:
    """A copy of the house_sales use case whose only source is `source` (over a CSV default)."""
    use_case = yaml.safe_load((default_conf_dir() / "use_cases" / "house_sales.yml").read_text())
    use_case.pop("generator")
    # One schema per test: the session's catalog outlives each test's temporary lakehouse.
    use_case["use_case"]["schema"] = "ingest_" + re.sub(r"\W", "_", tmp_path.name)
    use_case["sources"] = [{
        "name": "things", "path": "things", "format": "csv", "options": {"header": "true"},
        "null_tokens": ["NA"], "table": "things_bronze", "key": ["id"], "order_by": "updated",
        "columns": COLUMNS, "max_files_per_trigger": 1, **source,
    }]
    path = tmp_path / "use_case.yml"
    path.write_text(yaml.safe_dump(use_case, sort_keys=False))
    return path


def context_for(spark, tmp_path: Path, **source: Any) -> JobContext:
    settings = make_settings(tmp_path, str(write_use_case(tmp_path, **source)))
    return JobContext(settings, spark, TableStore(spark, settings))


def land(tmp_path: Path, name: str, text: str, folder: str = "things") -> Path:
    """Write one landing file; names sort in arrival order, as the file source lists them."""
    directory = tmp_path / "landing" / folder
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


def ingested(spark, tmp_path: Path, use_case: dict[str, Any], csv_text: str) -> JobContext:
    """A context for the whole `use_case` (a dict, its one source's `path` the landing folder)
    after ingesting `csv_text` as that source's only file."""
    from jobs.ingest import ingest

    folder = use_case["sources"][0]["path"]
    land(tmp_path, f"{folder}.csv", csv_text, folder)
    path = tmp_path / f"{use_case['use_case']['name']}.yml"
    path.write_text(yaml.safe_dump(use_case, sort_keys=False))
    settings = make_settings(tmp_path, str(path))
    context = JobContext(settings, spark, TableStore(spark, settings))
    ingest(context)
    return context


def rows(context: JobContext, table: str, order: str = "id") -> list[tuple]:
    return [tuple(r) for r in context.tables.read(table).orderBy(order).collect()]


def assert_reconciles(context: JobContext, source: str = "things") -> None:
    """Every landed row is counted once: bronze and quarantine hold, batch by batch, what the audit
    says, and each batch's rows are in silver, in quarantine or merged as duplicates."""
    settings = context.settings.source(source)
    audit = {r["batch_id"]: r for r in context.tables.read(settings.audit_table).collect() if r["batch_id"] is not None}
    for table, column in ((settings.table, "rows_bronze"), (settings.quarantine, "rows_quarantined")):
        held = context.tables.read(table).groupBy(INGEST_BATCH_ID).count().collect() if context.tables.exists(table) else []
        assert {r[INGEST_BATCH_ID]: r["count"] for r in held} == {b: a[column] for b, a in audit.items() if a[column]}, table
    for batch, row in audit.items():
        assert row["rows_read"] == row["rows_silver"] + row["rows_quarantined"] + row["duplicates_merged"], batch
        assert row["files"] == len(row["landed_files"]) + len(row["quarantined_files"]), batch
