"""Every notebook has a Databricks branch: the wheel installed by a first `%pip` cell, the cluster's
session and the Unity Catalog names of the user's dev deployment of the bundle.

The notebooks are read as JSON, not run (the local path is what test_notebook_*.py run); only
the Databricks branch of the settings cell is evaluated, with a stand-in for the cluster's
`spark` that answers `current_user()`.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from jobs.common.config import load_settings
from tests.bundle_config import Deployer, deployed_task_settings, for_target
from tests.paths import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def _code_cells(path: Path) -> list[str]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]


def _databricks_branch(path: Path) -> ast.If:
    """The `if ON_DATABRICKS:` block of the cell that sets ON_DATABRICKS."""
    for source in _code_cells(path)[1:]:
        if 'ON_DATABRICKS = "DATABRICKS_RUNTIME_VERSION" in os.environ' in source:
            branches = [node for node in ast.walk(ast.parse(source))
                        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "ON_DATABRICKS"]
            assert len(branches) == 1, path.name
            return branches[0]
    raise AssertionError(f"{path.name}: no cell sets ON_DATABRICKS from DATABRICKS_RUNTIME_VERSION")


class _ClusterSession:
    """Stands in for the cluster's `spark`: only `SELECT current_user()` is asked of it."""

    def __init__(self, user: str) -> None:
        self.user = user

    def sql(self, query: str) -> Any:
        assert query == "SELECT current_user()", query
        return self

    def first(self) -> list[str]:
        return [self.user]


def _run_branch(branch: ast.If, user: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"re": re, "spark": _ClusterSession(user)}
    exec(compile(ast.Module(body=branch.body, type_ignores=[]), "<databricks branch>", "exec"), namespace)
    return namespace


def test_there_are_the_four_notebooks() -> None:
    assert [path.stem[:2] for path in NOTEBOOKS] == ["00", "01", "02", "03"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_first_code_cell_installs_the_project_on_databricks_only(path: Path) -> None:
    first = _code_cells(path)[0]
    # IPython turns an indented `%pip` into a call too: under the `if`, it runs on Databricks only.
    assert re.search(r'^if "DATABRICKS_RUNTIME_VERSION" in os\.environ:\n'
                     r'    %pip install --quiet \.\.\n'
                     r'    dbutils\.library\.restartPython\(\)$', first, re.M), first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_databricks_branch_uses_the_cluster_and_the_dev_deployment(path: Path) -> None:
    user = Deployer()
    names = _run_branch(_databricks_branch(path), user.user_name)
    settings = load_settings("house_sales", names["ENV"], overrides=names["OVERRIDES"])
    (_, _, dev_task), *_ = deployed_task_settings(for_target(REPO_ROOT / "databricks.yml", "dev", user))
    assert settings.runtime == "databricks"  # the cluster's session: get_spark returns the active one
    deployed = (dev_task.lakehouse.catalog, dev_task.use_case.schema_, dev_task.lakehouse.root,
                dev_task.lakehouse.landing, dev_task.mlflow.experiment)
    assert (settings.lakehouse.catalog, settings.use_case.schema_, settings.lakehouse.root,
            settings.lakehouse.landing, settings.mlflow.experiment) == deployed
