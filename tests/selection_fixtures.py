"""Generated frames with planted structure, for the feature selection tests.

`y = 3 x1 + 2 x2 - 2 x3 + noise`; `noise1`, `noise2` are unrelated to y; `const` never changes;
`quasi` is 0 in 99.5% of rows; `x1_copy` equals `x1`; `x2_near` is `x2` plus a little noise
(correlation ~0.999). `label` is y > 0 (binary), `period` splits rows into two halves in
which `shifted` has different distributions (drift) while everything else is stable.
"""

from __future__ import annotations

from pathlib import Path

from pyspark.ml.feature import VectorAssembler
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common.config import Settings
from transforms.features.pipeline import Step, build_feature_pipeline
from transforms.selection import copy_slot_names, feature_names

FEATURES = ["x1", "x2", "x3", "noise1", "noise2", "const", "quasi", "x1_copy", "x2_near"]
INFORMATIVE = ["x1", "x2", "x3"]


def planted_frame(spark: SparkSession, rows: int = 3000, seed: int = 7) -> DataFrame:
    base = spark.range(rows, numPartitions=2).select(
        F.col("id"),
        *[F.randn(seed + i).alias(name) for i, name in enumerate(["x1", "x2", "x3", "noise1", "noise2", "eps", "wiggle"])],
        F.rand(seed + 10).alias("u"),
    )
    frame = base.select(
        "id", "x1", "x2", "x3", "noise1", "noise2",
        F.lit(1.0).alias("const"),
        F.when(F.col("u") < 0.005, 1.0).otherwise(0.0).alias("quasi"),
        F.col("x1").alias("x1_copy"),
        (F.col("x2") + 0.05 * F.col("wiggle")).alias("x2_near"),
        (3 * F.col("x1") + 2 * F.col("x2") - 2 * F.col("x3") + 0.5 * F.col("eps")).alias("y"),
        (F.col("id") % 2).alias("period"),
    )
    frame = frame.withColumn("label", (F.col("y") > 0).cast("double")).withColumn(
        "shifted", F.col("noise1") + 2.0 * F.col("period")
    )
    return VectorAssembler(inputCols=FEATURES, outputCol="features").transform(frame).cache()


def house_prices_features(spark: SparkSession, settings: Settings, data: Path) -> DataFrame:
    """The course's feature pipeline (the house_prices use case's `features:` steps) on train.csv.

    Fitted on the course's training split; returns Id, split, log_price (the course's target)
    and the assembled min-max scaled `features`, with the slot names the scaler drops put back.
    """
    source = settings.source("train")
    schema = ", ".join(f"`{name}` {type_}" for name, type_ in source.declared_columns.items())
    raw = spark.read.options(**source.options).schema(schema).csv(str(data / source.path))
    split = spark.read.option("header", "true").csv(str(data / "house_prices" / "course_split.csv"))
    raw = raw.join(split.select(F.col("Id").cast("int").alias("Id"), "split"), "Id").withColumn(
        "log_price", F.log(settings.use_case.label)
    )
    label, key = settings.use_case.label, settings.use_case.key
    inputs = [c for c in raw.columns if c not in (label, "log_price", "split", *key, *settings.use_case.leaks)]
    steps = [Step(s.stage, s.columns, s.params) for s in settings.features.steps]
    model = build_feature_pipeline(steps, inputs, "log_price").fit(raw.where(F.col("split") == "train"))
    features = model.transform(raw)
    size = len(feature_names(features, "features"))
    unscaled = [c for c in features.columns if c.endswith("__unscaled") and len(feature_names(features, c)) == size]
    if unscaled:
        features = copy_slot_names(features, "features", unscaled[0])
    return features.select(*key, "split", "log_price", "features").cache()
