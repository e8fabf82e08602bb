"""generate replaces only the landing files it wrote: files dropped there by others stay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobs.common.cli import JobContext
from jobs.common.landing_data import MANIFEST
from jobs.common.tables import TableStore
from jobs.generate import generate
from tests.settings import make_settings

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


def _data_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(("_", "."))}


def _recorded(folder: Path) -> dict:
    (part,) = [p for p in (folder / MANIFEST).iterdir() if p.name.startswith("part-")]
    return json.loads(part.read_text())


def _context_and_folder(spark, tmp_path: Path, source: str, partitions: int) -> tuple[JobContext, Path]:
    """A tiny house_sales generator under `tmp_path`, and the landing folder of `source`."""
    settings = make_settings(tmp_path, "house_sales", "generator.rows=30", "generator.score_rows=10",
                             f"generator.partitions={partitions}")
    folder = tmp_path / "landing" / "house_sales" / source
    folder.mkdir(parents=True)
    return JobContext(settings, spark, TableStore(spark, settings)), folder


def test_generate_keeps_foreign_files_and_replaces_only_its_own(spark, tmp_path) -> None:
    context, sales = _context_and_folder(spark, tmp_path, "sales", partitions=2)
    foreign = sales / "dropped_by_someone.csv"
    foreign.write_text("sale_id,sale_price\n99999,1\n")

    assert generate(context)["sales"] == {"rows": 30, "malformed_rows": 0, "seed": 42}
    assert foreign.read_text() == "sale_id,sale_price\n99999,1\n"
    first = _data_files(sales) - {foreign.name}
    assert len(first) == 2  # one CSV file per partition
    assert _recorded(sales)["files"] == sorted(first)
    lines = sum(len((sales / name).read_text().splitlines()) for name in first)
    assert lines == 30 + 2  # every row, and a header per file

    generate(context)

    second = _data_files(sales) - {foreign.name}
    assert foreign.read_text() == "sale_id,sale_price\n99999,1\n"
    assert len(second) == 2 and not second & first  # the first run's files were replaced
    assert _recorded(sales) == {"rows": 30, "malformed_rows": 0, "seed": 42, "files": sorted(second)}
    assert not [p for p in sales.iterdir() if p.name.startswith("_generating-")]


def test_files_not_in_the_manifest_are_never_deleted(spark, tmp_path) -> None:
    context, listings = _context_and_folder(spark, tmp_path, "listings", partitions=1)
    # A manifest of an older version names no files: what it generated is left in place.
    (listings / MANIFEST).mkdir()
    (listings / MANIFEST / "part-00000.txt").write_text('{"rows": 5}\n')
    older = listings / "part-00000-older.txt"
    older.write_text("sale_id\n1\n")

    generate(context)

    assert older.exists()
    assert len(_data_files(listings)) == 2
