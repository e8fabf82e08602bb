"""Fixtures of the tests that start Spark processes of their own (a cluster, a Connect server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.spark_processes import scratch_dir


@pytest.fixture(scope="module")
def workdir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A scratch folder per test module."""
    with scratch_dir(f"lakehouse-{request.module.__name__.rpartition('.')[2]}-") as path:
        yield path
