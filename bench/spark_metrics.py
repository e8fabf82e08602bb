"""What Spark did for one benchmark stage, from its monitoring REST API.

Stages run one after another, so a stage's jobs are those started after the last job of the
one before; they and their Spark stages give the number of jobs, task time and the bytes
scanned, shuffled and written. The session needs its UI on (``spark.ui.enabled=true``; port 0
picks a free one).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from pyspark.sql import SparkSession

METRICS = {"inputBytes": "input_bytes", "outputBytes": "output_bytes",
           "shuffleReadBytes": "shuffle_read_bytes", "shuffleWriteBytes": "shuffle_write_bytes"}


def _get(spark: SparkSession, path: str) -> list[dict[str, Any]]:
    context = spark.sparkContext
    url = f"{context.uiWebUrl}/api/v1/applications/{context.applicationId}/{path}"
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


def last_job_id(spark: SparkSession) -> int:
    """The newest job's id (-1 before the first); a stage's jobs are the ones after it."""
    if not spark.sparkContext.uiWebUrl:
        return -1
    return max((j["jobId"] for j in _get(spark, "jobs")), default=-1)


def jobs_since(spark: SparkSession, after: int) -> dict[str, Any]:
    """Jobs, task seconds and byte counts of the jobs started after job `after`.

    By job id rather than job group: the ingest stream's batches run in the stream's own
    thread, which does not inherit the caller's job group.
    """
    if not spark.sparkContext.uiWebUrl:
        return {}
    jobs = [j for j in _get(spark, "jobs") if j["jobId"] > after]
    stage_ids = {s for j in jobs for s in j["stageIds"]}
    stages = [s for s in _get(spark, "stages") if s["stageId"] in stage_ids]
    totals: dict[str, Any] = {"jobs": len(jobs), "tasks": sum(s["numCompleteTasks"] for s in stages),
                              "task_seconds": sum(s["executorRunTime"] for s in stages) / 1000}
    for field, name in METRICS.items():
        totals[name] = sum(s.get(field, 0) for s in stages)
    return totals
