"""One SparkSession for the whole test session, built by the project's own factory."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.common.config import Settings, load_settings
from jobs.common.session import get_spark

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def make_settings(tmp_path: Path, use_case: str = "house_sales", *overrides: str) -> Settings:
    """Settings of `use_case` with the lakehouse and MLflow under `tmp_path`."""
    return load_settings(
        use_case,
        "local",
        overrides=[
            f"lakehouse.root={tmp_path}/lakehouse",
            f"lakehouse.landing={tmp_path}/landing",
            f"mlflow.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
            f"mlflow.artifact_location={tmp_path}/mlartifacts",
            *overrides,
        ],
    )


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory):
    settings = make_settings(
        tmp_path_factory.mktemp("session"),
        "house_sales",
        "spark.master=local[2]",
        "spark.conf[spark.sql.shuffle.partitions]=2",
        "spark.conf[spark.default.parallelism]=2",
    )
    session = get_spark(settings)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only reference data sets; tests that need them skip where they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA
