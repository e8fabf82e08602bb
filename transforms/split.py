"""Deterministic train/test assignment."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

TRAIN, TEST = "train", "test"


def assign_split(df: DataFrame, key: list[str], test_fraction: float, seed: int, column: str = "split") -> DataFrame:
    """Add `column` = 'test' for about `test_fraction` of rows, chosen by a hash of the key.

    Hashing the key (not drawing random numbers) keeps a row in the same split across reruns,
    partitionings and appended data, so a test row never leaks into a later training set.
    """
    bucket = F.pmod(F.xxhash64(*[F.col(c) for c in key], F.lit(seed)), F.lit(10_000))
    return df.withColumn(column, F.when(bucket < int(test_fraction * 10_000), TEST).otherwise(TRAIN))
