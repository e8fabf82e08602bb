"""A missing SQLite MLflow store: train creates it, promote says so in one line and creates nothing."""

from __future__ import annotations

import pytest

from jobs import promote
from jobs.common.errors import DATA_ERROR
from jobs.common.tracking import configure_mlflow, require_store
from tests.settings import make_settings

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


def test_promote_refuses_a_missing_store_without_creating_it(spark, tmp_path, capsys) -> None:
    missing = tmp_path / "typo" / "mlflow.db"
    missing.parent.mkdir()
    arguments = [f"lakehouse.root={tmp_path}/lakehouse", f"lakehouse.landing={tmp_path}/landing",
                 f"mlflow.tracking_uri=sqlite:///{missing}"]

    with pytest.raises(SystemExit) as stopped:
        promote.main([arg for value in arguments for arg in ("--set", value)])

    assert stopped.value.code == DATA_ERROR
    (message,) = capsys.readouterr().err.strip().splitlines()
    assert message.startswith(f"error: MLflow store {missing} does not exist")
    assert not missing.exists()


def test_a_job_that_starts_runs_creates_the_store(tmp_path) -> None:
    settings = make_settings(tmp_path)
    configure_mlflow(settings)
    assert (tmp_path / "mlflow.db").is_file()
    require_store(settings.mlflow.tracking_uri)  # now there: no exit


def test_only_sqlite_files_are_checked() -> None:
    require_store("databricks")
    require_store("http://127.0.0.1:5000")
