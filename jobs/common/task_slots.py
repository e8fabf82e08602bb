"""How many tasks the session runs at once, and the training sizes that follow from it.

xgboost.spark trains in `num_workers` barrier tasks that must all hold a slot together; Spark
checks a barrier stage against `SparkContext.maxNumConcurrentTasks` (executors' cores divided
by spark.task.cpus; N for local[N]) and, when it asks for more, retries for ~10 minutes
(spark.scheduler.barrier.maxConcurrentTasksCheck.*) before failing. So the default is that
count, asked of Spark itself, and a configured value above it is refused before any data is read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from pyspark.ml.param import TypeConverters
from pyspark.sql import SparkSession

from jobs.common.config import ConfigError, Settings
from jobs.common.session import is_connect

log = logging.getLogger(__name__)


def session_task_slots(spark: SparkSession) -> int | None:
    """Tasks `spark` can run at once, as Spark's barrier scheduling counts them (the default
    resource profile's executors: cores / spark.task.cpus; local[N]: N / spark.task.cpus).
    None under Spark Connect: no SparkContext to ask."""
    if is_connect(spark):
        return None
    # The JVM SparkContext's own count; pyspark has no public call for it (xgboost.spark's
    # `_get_max_num_concurrent_tasks` asks the same method).
    context = spark.sparkContext._jsc.sc()
    slots = context.maxNumConcurrentTasks(context.resourceProfileManager().defaultResourceProfile())
    if slots < 1:
        # A cluster whose executors have not registered yet: one worker cannot wait for others.
        log.warning("no executor has registered yet: counting one task slot")
    return max(1, slots)


@dataclass(frozen=True)
class TrainingSizes:
    """`slots`: the session's task slots (xgboost's default `num_workers`, the partitions of the
    training and test rows); `parallelism`: fits run at once (`train.parallelism` or `slots`)."""

    slots: int
    parallelism: int


def training_sizes(settings: Settings, spark: SparkSession) -> TrainingSizes:
    """The sizes for this session; refuses a configured `num_workers` above its task slots.

    Under Spark Connect the slots are unknown: `train.parallelism` stands for them (default 1).
    """
    slots = session_task_slots(spark)
    parallelism = settings.train.parallelism
    if slots is None:
        return TrainingSizes(parallelism or 1, parallelism or 1)
    for key, workers in configured_workers(settings):
        if workers > slots:
            raise ConfigError(
                f"{key}: {workers} xgboost workers but this session has {slots} task slot(s) "
                f"({spark.sparkContext.master}, spark.task.cpus="
                f"{spark.sparkContext.getConf().get('spark.task.cpus', '1')}); its barrier tasks would "
                f"wait ~10 minutes and fail: set at most {slots}, or leave it out to use every slot")
    return TrainingSizes(slots, parallelism or slots)


def configured_workers(settings: Settings) -> Iterator[tuple[str, int]]:
    """(config key, value) of every `num_workers` a candidate's params or grid sets."""
    model = settings.model
    for index, candidate in enumerate(model.candidate_list()):
        where = f"model.candidates[{index}]" if model.candidates else "model"
        values = [("params", candidate.params.get("num_workers")),
                  *(("grid", value) for value in candidate.grid.get("num_workers", []))]
        for part, value in values:
            workers = _whole(value)
            if workers is not None:
                yield f"{where}.{part}.num_workers", workers


def _whole(value: object) -> int | None:
    """`value` as the Param's converter reads it (2.0 is 2); None where it is not a number,
    which loading the config already refused."""
    try:
        return TypeConverters.toInt(value)
    except TypeError:
        return None
