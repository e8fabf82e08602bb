"""Counting passes over the data: each pass is one explicit Spark action, measured twice.

`passes` counts the actions the profiler runs on the source (each one scan); `spark_jobs`
counts the Spark jobs they started, read from the status tracker by job group, so the figure
includes the jobs adaptive query execution adds for shuffle stages.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from pyspark.sql import DataFrame, Row, SparkSession

T = TypeVar("T")


class PassCounter:
    """Runs the profiler's actions under one job group and counts them."""

    def __init__(self, spark: SparkSession) -> None:
        self._context = spark.sparkContext
        self.group = f"profile-{uuid.uuid4().hex[:12]}"
        self.pass_names: list[str] = []
        self.pass_seconds: list[float] = []

    def collect(self, df: DataFrame, name: str) -> list[Row]:
        """One pass: run `df` (whose result is small) and return its rows."""
        return self.run(name, df.collect)

    def run(self, name: str, action: Callable[[], T]) -> T:
        """One pass: call `action`, which runs one Spark action over the source."""
        self._context.setJobGroup(self.group, f"profile pass {len(self.pass_names) + 1}: {name}")
        started = time.perf_counter()
        try:
            result = action()
        finally:
            # Later actions of the same thread must not be counted as this profile's jobs.
            self._context.setLocalProperty("spark.jobGroup.id", None)
            self._context.setLocalProperty("spark.job.description", None)
        self.pass_names.append(name)
        self.pass_seconds.append(time.perf_counter() - started)
        return result

    @property
    def passes(self) -> int:
        return len(self.pass_names)

    @property
    def spark_jobs(self) -> int:
        return len(self._context.statusTracker().getJobIdsForGroup(self.group))
