"""Deterministic train/test assignment, and the names every module uses for it."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

# The column that holds a row's split, and its two values.
SPLIT_COLUMN = "split"
TRAIN, TEST = "train", "test"
# A fraction of rows is taken as the rows whose key hashes into that share of these buckets.
HASH_BUCKETS = 10_000
# What a hash of the key picks rows for. Each purpose salts the hash with its own name, so the
# test split, the early-stopping rows and the tuning folds are independent samples whatever
# seeds the settings give them: with one unsalted hash, `split.seed == train.seed + 1` made the
# early-stopping rows a subset of the test rows, leaving none in training. The test split's salt
# is empty: its hash is the one earlier releases split by, so no row changes split on upgrade
# (a champion's training rows never become a challenger's test rows).
TEST_SPLIT, VALIDATION, FOLDS = "", "validation", "folds"


class SplitTableError(ValueError):
    """The split table does not assign every row a split, or assigns something else."""


def key_hash(key: list[str], seed: int, purpose: str) -> Column:
    """A 64-bit hash of the key columns, `seed` and `purpose` (`TEST_SPLIT`, `VALIDATION`, `FOLDS`)."""
    salt = [F.lit(purpose)] if purpose else []
    return F.xxhash64(*[F.col(c) for c in key], F.lit(seed), *salt)


def hashed_sample(key: list[str], seed: int, fraction: float, purpose: str) -> Column:
    """True for about `fraction` of rows, chosen by a hash of the key, `seed` and `purpose`.

    Hashing the key (not drawing random numbers) picks the same rows across reruns,
    partitionings and appended data.
    """
    bucket = F.pmod(key_hash(key, seed, purpose), F.lit(HASH_BUCKETS))
    return bucket < int(fraction * HASH_BUCKETS)


def assign_split(df: DataFrame, key: list[str], test_fraction: float, seed: int,
                 column: str = SPLIT_COLUMN) -> DataFrame:
    """Add `column` = 'test' for about `test_fraction` of rows, chosen by a hash of the key.

    A row stays in the same split across reruns and appended data, so a test row never leaks
    into a later training set.
    """
    return df.withColumn(column, F.when(hashed_sample(key, seed, test_fraction, TEST_SPLIT), TEST).otherwise(TRAIN))


def split_from_table(df: DataFrame, splits: DataFrame, on: list[str], split_column: str = SPLIT_COLUMN,
                     column: str = SPLIT_COLUMN) -> DataFrame:
    """Add `column` from a table that assigns rows to 'train' / 'test' (e.g. a reference split).

    Joined on `on`; a join value the table assigns to both splits (e.g. a name two passengers
    share) puts its rows in test, so no row of the reference test split is trained on. Rows the
    table does not mention, or values other than train/test, are an error: a silent default
    would change the comparison the table exists for.
    """
    assigned = splits.groupBy(*on).agg(
        F.when(F.max(F.col(split_column) == TEST), TEST).otherwise(TRAIN).alias("_assigned"),
        F.sum(F.when(F.col(split_column).isin(TRAIN, TEST), 0).otherwise(1)).alias("_invalid"),
    )
    invalid = assigned.where("_invalid > 0").limit(5).collect()
    if invalid:
        raise SplitTableError(f"split table: values other than {TRAIN!r}/{TEST!r} for {[r.asDict() for r in invalid]}")
    joined = df.join(assigned.drop("_invalid"), on=on, how="left")
    unassigned = joined.where(F.col("_assigned").isNull()).select(*on)
    examples = unassigned.limit(5).collect()
    if examples:
        raise SplitTableError(
            f"split table assigns no split to {unassigned.count():,} of {df.count():,} rows "
            f"(joined on {', '.join(on)}), e.g. {[tuple(r) for r in examples]}: add them to the "
            "split table, or leave split.table out to split by key hash"
        )
    return joined.withColumnRenamed("_assigned", column)


def configured_split(df: DataFrame, key: list[str], test_fraction: float, seed: int,
                     splits: DataFrame | None = None, join_on: list[str] | None = None,
                     split_column: str = SPLIT_COLUMN) -> DataFrame:
    """Add `split` as the features job assigns it: from a split table when there is one, else by key hash."""
    if splits is not None:
        return split_from_table(df, splits, join_on or key, split_column)
    return assign_split(df, key, test_fraction, seed)
