"""Run a notebook top to bottom in the project's virtual environment (for notebook tests).

Usage in a test: ``run_notebook(REPO / "notebooks" / "01_data_analysis.ipynb", env={...})``.
The kernel is this interpreter (the venv's python), registered once as a user kernel spec;
`env` is added to the kernel's environment, the notebook's folder is its working directory.
Any failing cell raises nbclient's CellExecutionError with the cell and its traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

KERNEL_NAME = "lakehouse-ml"


def ensure_kernel() -> str:
    """Register this interpreter as the `lakehouse-ml` kernel unless it already is."""
    specs = KernelSpecManager().get_all_specs()
    spec = specs.get(KERNEL_NAME, {}).get("spec", {})
    if spec.get("argv", [None])[0] != sys.executable:
        from ipykernel.kernelspec import install

        install(user=True, kernel_name=KERNEL_NAME, display_name="lakehouse-ml (venv)")
    return KERNEL_NAME


def run_notebook(path: Path, env: Mapping[str, str] | None = None,
                 timeout: int = 1800) -> nbformat.NotebookNode:
    """Execute every cell of `path` in order; return the executed notebook."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name=ensure_kernel(),
                            resources={"metadata": {"path": str(path.parent)}})
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return notebook


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    """All text the cells printed or returned, for assertions."""
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)
