"""A training run's rows as MLflow dataset inputs: the Delta table and version they are the
train / test split of (the split settings are the run's `split_config` tag)."""

from __future__ import annotations

import hashlib
import warnings
from functools import cached_property

import mlflow
from mlflow.data.delta_dataset_source import DeltaDatasetSource
from mlflow.data.spark_dataset import SparkDataset
from mlflow.types import Schema
from pyspark.sql import DataFrame

from jobs.common.cli import JobContext
from jobs.common.model_inputs import LabelledRows
from transforms.modeling.split import TEST, TRAIN

# The session catalog's own name: a two-part name reads to MLflow as a Unity Catalog table.
SESSION_CATALOG = "spark_catalog"
DIGEST_LENGTH = 16
CONTEXTS = {TRAIN: "training", TEST: "testing"}
# The start of the UserWarning MLflow's schema inference gives for any integer column.
INTEGER_COLUMNS_HINT = "Hint: Inferred schema contains integer column"


class DeltaSnapshot(SparkDataset):
    """A Delta table version as an MLflow dataset input. Built here rather than by
    `mlflow.data.from_spark`, which opens a classic session to check the table (a Spark Connect
    client has none) and counts the rows again for its profile."""

    def __init__(self, rows: DataFrame, table: str, version: int, count: int, name: str, digest: str,
                 targets: str) -> None:
        super().__init__(df=rows, source=DeltaDatasetSource(delta_table_name=table, delta_table_version=version),
                         targets=targets, name=name, digest=digest)
        self._count = count

    @property
    def profile(self) -> dict[str, int]:
        return {"num_rows": self._count}

    @cached_property
    def schema(self) -> Schema | None:
        """MLflow's schema of the rows, without its hint that integer columns cannot hold a missing
        value: advice for a model signature inferred from pandas (ours is declared, with nullable
        integers as double: jobs.common.model_logging), not for a Delta table, whose integer
        columns can be null. That one warning only; any other still shows."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=INTEGER_COLUMNS_HINT, category=UserWarning)
            return super().schema


def log_inputs(context: JobContext, data: LabelledRows, train_rows: DataFrame, test_rows: DataFrame) -> dict[str, int]:
    """Log the training and test rows as the active run's dataset inputs; return their counts by split."""
    table = context.tables.qualified(data.table)
    # A two-part name reads to MLflow as a Unity Catalog table (schema taken for a catalog),
    # which it then looks up over the network; the session catalog's own name says it is not.
    source = table if context.settings.lakehouse.catalog else f"{SESSION_CATALOG}.{table}"
    counts = {}
    for rows, split in ((train_rows, TRAIN), (test_rows, TEST)):
        counts[split] = rows.count()
        # The identity of the rows, not a pass over them: table, version and split configuration.
        digest = hashlib.sha256(f"{table}@{data.version}/{split}/{context.settings.fingerprint()}".encode()).hexdigest()
        dataset = DeltaSnapshot(rows, source, data.version, counts[split], f"{table}@v{data.version}:{split}",
                                digest[:DIGEST_LENGTH], context.settings.use_case.label)
        mlflow.log_input(dataset, context=CONTEXTS[split])
    return counts
