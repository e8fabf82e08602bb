from __future__ import annotations

from pyspark.sql import functions as F

from transforms.modeling.split import SPLIT_COLUMN, TEST, TRAIN, assign_split
from transforms.modeling.tuning import FOLD_COLUMN, with_holdout


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


def test_holdout_and_split_take_the_same_hashed_rows(spark) -> None:
    # Both draw "a fraction of rows by key hash" from hashed_sample: same key, seed and fraction,
    # same rows.
    df = spark.range(500).withColumnRenamed("id", "key")
    test = assign_split(df, ["key"], 0.3, seed=5).where(F.col(SPLIT_COLUMN) == TEST).select("key")
    held = with_holdout(df, ["key"], 0.3, seed=5).where(F.col(FOLD_COLUMN) == 1).select("key")
    assert sorted(test.collect()) == sorted(held.collect())
    assert 100 < test.count() < 200
