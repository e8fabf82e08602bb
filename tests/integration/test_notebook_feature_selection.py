"""notebooks/03_feature_selection runs top to bottom on house prices (needs ../shared/data)."""

from __future__ import annotations

import re

import pytest

from tests.notebook_runner import outputs_text, run_notebook
from tests.paths import REPO_ROOT

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

NOTEBOOK = REPO_ROOT / "notebooks" / "03_feature_selection.ipynb"


def test_feature_selection_notebook_runs(shared_data) -> None:
    printed = outputs_text(run_notebook(NOTEBOOK))
    kept = re.search(r"Lasso keeps (\d+) of (\d+) features", printed)
    assert kept, printed
    assert 25 <= int(kept.group(1)) <= 50
    assert "selection keeps" in printed
