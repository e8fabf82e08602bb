"""HTML reports written beside the use case's tables (under `_reports`), through Python's file API."""

from __future__ import annotations

from pathlib import Path

REPORTS_FOLDER = "_reports"
FILE_SCHEME, DBFS_SCHEME = "file:", "dbfs:/"
# Databricks exposes DBFS to Python's file API under /dbfs.
DBFS_MOUNT = "/dbfs/"


def local_path(location: str) -> Path:
    """A lakehouse location (a path, a `file:` URI or a `dbfs:/` URI) as a local path."""
    if location.startswith(DBFS_SCHEME):
        return Path(DBFS_MOUNT + location.removeprefix(DBFS_SCHEME))
    return Path(location.removeprefix(FILE_SCHEME))


def write_report(location: str, text: str) -> Path:
    """Write `text` to `location` (its folder created); return the local path written."""
    path = local_path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
