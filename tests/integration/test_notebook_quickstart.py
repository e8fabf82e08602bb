"""notebooks/00_quickstart runs top to bottom on generated data; every notebook imports into Databricks."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from jobs.common.config import load_settings
from tests.notebook_runner import outputs_text, run_notebook
from tests.paths import REPO_ROOT
from tests.spark_processes import scratch_dir
from transforms.ingestion.synthetic import malformed_count

NOTEBOOKS = REPO_ROOT / "notebooks"
ROWS = 1500
# Shell escapes and IPython-only magics do not run in a Databricks notebook.
LOCAL_ONLY = re.compile(r"^\s*(!|%(?!pip\b|sql\b|md\b|python\b|run\b|fs\b|sh\b))", re.M)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_is_importable_into_databricks(path: Path) -> None:
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert notebook.nbformat == 4
    nbformat.validate(notebook)
    assert notebook.metadata.get("language_info", {}).get("name", "python") == "python"
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert [source for source in code if LOCAL_ONLY.search(source)] == []


@pytest.mark.slow
def test_quickstart_runs_the_lifecycle_and_queries_predictions() -> None:
    with scratch_dir("quickstart-") as root:
        notebook = run_notebook(NOTEBOOKS / "00_quickstart.ipynb",
                                env={"QUICKSTART_ROOT": str(root), "QUICKSTART_ROWS": str(ROWS)})
        printed = outputs_text(notebook)
        assert (root / "lakehouse").is_dir()
    fraction = load_settings("house_sales").generator.malformed_fraction
    listings = ROWS // 5 - malformed_count(ROWS + 1, ROWS // 5, fraction)
    assert "environment: local" in printed
    assert f"predicted listings: {listings}" in printed
    assert "house_sales_price v1 @challenger" in printed
    assert "promoted: True" in printed

