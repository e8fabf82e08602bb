"""One SparkSession for the whole test session, built by the project's own factory."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.common.session import get_spark
from tests.paths import SHARED_DATA
from tests.settings import make_settings


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Whole jobs and servers are slow by nature: `-m "not slow"` (make test-quick) leaves them out
    # without each test having to say so twice.
    for item in items:
        if item.get_closest_marker("e2e") or item.get_closest_marker("cluster"):
            item.add_marker(pytest.mark.slow)
