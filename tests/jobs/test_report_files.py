"""Reports are written through Python's file API whatever form the lakehouse location takes."""

from __future__ import annotations

from pathlib import Path

from jobs.common.report_files import local_path, write_report


def test_a_file_uri_is_written_to_its_local_path(tmp_path: Path) -> None:
    written = write_report(f"file://{tmp_path}/_reports/assessment.html", "<html/>")
    assert written == tmp_path / "_reports" / "assessment.html"
    assert written.read_text(encoding="utf-8") == "<html/>"


def test_a_plain_path_is_written_as_is(tmp_path: Path) -> None:
    assert write_report(f"{tmp_path}/a/b.html", "x") == tmp_path / "a" / "b.html"


def test_a_dbfs_uri_is_read_under_the_dbfs_mount() -> None:
    assert local_path("dbfs:/lakehouse/ml/_reports/r.html") == Path("/dbfs/lakehouse/ml/_reports/r.html")
