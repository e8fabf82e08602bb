from __future__ import annotations

from pyspark.sql import functions as F

from transforms.modeling.split import TEST, TRAIN, assign_split


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
