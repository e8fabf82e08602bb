"""notebooks/01_data_analysis runs top to bottom on the house prices data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebook_runner import outputs_text, run_notebook
from tests.paths import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "01_data_analysis.ipynb"


@pytest.mark.e2e
def test_data_analysis_notebook_runs(shared_data: Path, tmp_path: Path):
    executed = run_notebook(NOTEBOOK, env={"LAKEHOUSE_ROOT": str(tmp_path)})
    text = outputs_text(executed)
    assert "passes: 3 (summary, distributions, correlation)" in text
    assert "rows: 1460, columns: 81" in text
    assert list(tmp_path.glob("lakehouse/house_prices/_reports/profile_train_bronze_*.html"))
