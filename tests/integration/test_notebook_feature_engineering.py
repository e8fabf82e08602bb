"""notebooks/02_feature_engineering runs top to bottom (needs ../shared/data)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.paths import REPO_ROOT

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

NOTEBOOK = REPO_ROOT / "notebooks" / "02_feature_engineering.ipynb"
KERNEL = "lakehouse-venv"


def venv_kernel(directory: Path) -> Path:
    """A kernelspec running this interpreter (the project's venv), found through JUPYTER_PATH."""
    spec = directory / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "lakehouse venv",
        "language": "python",
    }))
    return directory


def test_feature_engineering_notebook_runs(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(venv_kernel(tmp_path / "jupyter")))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, kernel_name=KERNEL, timeout=900,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "rows with NaN: 0" in printed
