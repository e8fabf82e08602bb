from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from pyspark.sql import functions as F

from transforms.modeling.candidates import VALIDATION_COLUMN
from transforms.modeling.split import (
    FOLDS,
    HASH_BUCKETS,
    SPLIT_COLUMN,
    TEST,
    TEST_SPLIT,
    TRAIN,
    VALIDATION,
    assign_split,
    hashed_sample,
)
from transforms.modeling.training import TrainingPlan, prepared_training_rows
from transforms.modeling.tuning import FOLD_COLUMN


def test_split_is_deterministic_and_close_to_fraction(spark) -> None:
    df = spark.range(10_000).withColumnRenamed("id", "key")
    first = assign_split(df, ["key"], 0.2, seed=7)
    again = assign_split(df.repartition(3), ["key"], 0.2, seed=7)
    assert first.exceptAll(again).count() == 0
    share = first.agg(F.avg((F.col("split") == TEST).cast("double"))).first()[0]
    assert 0.18 < share < 0.22
    assert {r.split for r in first.select("split").distinct().collect()} == {TRAIN, TEST}


def test_split_of_a_row_does_not_depend_on_other_rows(spark) -> None:
    small = assign_split(spark.range(100).withColumnRenamed("id", "key"), ["key"], 0.3, seed=1)
    large = assign_split(spark.range(1000).withColumnRenamed("id", "key"), ["key"], 0.3, seed=1)
    assert small.exceptAll(large.where("key < 100")).count() == 0


def test_seed_changes_the_split(spark) -> None:
    df = spark.range(1000).withColumnRenamed("id", "key")
    a = assign_split(df, ["key"], 0.5, seed=1)
    b = assign_split(df, ["key"], 0.5, seed=2)
    assert a.exceptAll(b).count() > 300


def _share(frame, condition) -> float:
    return frame.agg(F.avg(condition.cast("double"))).first()[0]


@pytest.mark.parametrize("split_seed_offset", [-2, -1, 0, 1, 2])
def test_validation_rows_and_folds_are_independent_of_the_test_split(spark, split_seed_offset) -> None:
    # Unsalted, split.seed == train.seed + 1 made every early-stopping row a test row (none left
    # in training: xgboost's early stopping failed), and + 2 put the folds on the split's hash.
    df = spark.range(4000).withColumnRenamed("id", "key")
    split = assign_split(df, ["key"], 0.2, seed=5 + split_seed_offset)
    train = split.where(F.col(SPLIT_COLUMN) == TRAIN)
    plan = TrainingPlan(key=["key"], task="regression", label="y", metric="rmse", tuning="train_validation_split",
                        train_ratio=0.2, validation_fraction=0.1, seed=5)
    prepared = prepared_training_rows(train, plan).cache()
    assert 0.08 < _share(prepared, F.col(VALIDATION_COLUMN)) < 0.12
    assert 0.18 < _share(prepared, F.col(FOLD_COLUMN) == 1) < 0.22
    folds = prepared_training_rows(train, replace(plan, tuning="cross_validation", folds=3))
    assert 0.3 < _share(folds, F.col(FOLD_COLUMN) == 0) < 0.37


def test_each_purpose_hashes_its_own_sample(spark) -> None:
    df = spark.range(2000).withColumnRenamed("id", "key")
    picked = {purpose: {r.key for r in df.where(hashed_sample(["key"], 5, 0.3, purpose)).collect()}
              for purpose in (TEST_SPLIT, VALIDATION, FOLDS)}
    for one, other in itertools.combinations(picked.values(), 2):
        # Independent samples of 30% share about 9% of the rows, not 30%.
        assert 0.06 * 2000 < len(one & other) < 0.12 * 2000


def test_the_test_split_keeps_the_hash_earlier_releases_split_by(spark) -> None:
    # So no row changes split on upgrade: the unsalted hash of key and seed.
    df = spark.range(500).withColumnRenamed("id", "key")
    earlier = F.pmod(F.xxhash64(F.col("key"), F.lit(5)), F.lit(HASH_BUCKETS)) < int(0.3 * HASH_BUCKETS)
    test = assign_split(df, ["key"], 0.3, seed=5).where(F.col(SPLIT_COLUMN) == TEST).select("key")
    assert sorted(test.collect()) == sorted(df.where(earlier).collect())
    assert 100 < test.count() < 200
