"""Throughput of the house-style feature pipeline on generated data.

Generates ``--rows`` rows with the house prices schema (skewed categories with rare levels,
quality words, years, ~5% nulls), writes them to Parquet, then builds the pipeline of
``conf/use_cases/house_prices.yml`` (``features:``) and prints fit and transform rows/s and
the number of Spark jobs the fit launched. Run::

    .venv/bin/python -m bench.bench_features --rows 1000000
    .venv/bin/python -m bench.bench_features --rows 10000000 --driver-memory 8g
"""

from __future__ import annotations

import argparse
import time
import zlib
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common.config import Settings, load_settings
from jobs.common.session import get_spark
from transforms.features.pipeline import FEATURES_COLUMN, Step, build_feature_pipeline

NOMINAL_LEVELS = ["A", "B", "C", "D", "E", "F", "G", "H", "rare1", "rare2", "rare3"]
POSITIVE = {"LotFrontage", "LotArea", "1stFlrSF", "GrLivArea"}
NULLABLE = {"LotFrontage", "MasVnrArea", "GarageYrBlt", "Alley", "FireplaceQu", "PoolQC", "Fence",
            "MiscFeature", "BsmtQual", "BsmtExposure", "BsmtFinType1", "GarageFinish"}


def _seeded(name: str) -> Column:
    return F.rand(zlib.crc32(name.encode()))


def _skewed_choice(levels: list[str], name: str) -> Column:
    """Early levels common, the last ones rare (below 1%), as real categorical data."""
    index = F.floor(F.pow(_seeded(name), F.lit(3.0)) * len(levels)).cast("int") + 1
    return F.element_at(F.array(*[F.lit(v) for v in levels]), index)


def _column(name: str, kind: str, levels: dict[str, list[str]]) -> Column:
    if name == "YrSold":
        value = F.lit(2006) + F.floor(_seeded(name) * 5)
    elif "Yr" in name or "Year" in name:
        value = F.lit(1900) + F.floor(_seeded(name) * 106)
    elif kind == "string":
        value = _skewed_choice(levels.get(name, NOMINAL_LEVELS), name)
    elif name in POSITIVE:
        value = F.lit(20.0) + F.exp(_seeded(name) * 6)
    else:
        value = F.floor(F.pow(_seeded(name), F.lit(2.0)) * 500)
    if name in NULLABLE:
        value = F.when(_seeded(name + "_null") >= 0.05, value)
    return value.cast(kind)


def generate(spark: SparkSession, settings: Settings, rows: int, path: Path) -> DataFrame:
    source = next(s for s in settings.sources if s.name == "train")
    levels: dict[str, list[str]] = {}
    for step in settings.features.steps:
        if step.stage == "value_map":
            for column in step.columns:
                levels[column] = [k for k in step.params["mapping"] if k not in ("Missing", "NA")]
    columns = {name: kind for name, kind in source.columns.items() if kind}
    frame = spark.range(rows).select(
        (F.col("id") + 1).cast("int").alias("Id"),
        *[_column(n, k, levels).alias(n) for n, k in columns.items() if n not in ("Id", "SalePrice")],
        (F.lit(50_000.0) + _seeded("SalePrice") * 400_000).cast("int").alias("SalePrice"),
    )
    frame.write.mode("overwrite").parquet(str(path))
    return spark.read.parquet(str(path))


def count_jobs(spark: SparkSession, group: str) -> int:
    return len(spark.sparkContext.statusTracker().getJobIdsForGroup(group))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default="/tmp/bench_features")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args(argv)
    settings = load_settings("house_prices", "local", overrides=[
        f"spark.master={args.master}",
        f"spark.conf[spark.driver.memory]={args.driver_memory}",
        "spark.conf[spark.sql.shuffle.partitions]=8",
    ])
    spark = get_spark(settings)
    path = Path(args.data_dir) / f"house_{args.rows}"
    started = time.perf_counter()
    data = generate(spark, settings, args.rows, path)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s -> {path}")

    inputs = [c for c in data.columns if c != settings.use_case.label]
    steps = [Step(s.stage, s.columns, s.params) for s in settings.features.steps]
    pipeline = build_feature_pipeline(steps, inputs, label=settings.use_case.label)
    print(f"pipeline: {len(steps)} config steps, {len(pipeline.getStages())} Spark ML stages")

    spark.sparkContext.setJobGroup("fit", "feature pipeline fit")
    started = time.perf_counter()
    model = pipeline.fit(data)
    fit_seconds = time.perf_counter() - started
    fit_jobs = count_jobs(spark, "fit")

    spark.sparkContext.setJobGroup("transform", "feature pipeline transform")
    started = time.perf_counter()
    model.transform(data).select("Id", FEATURES_COLUMN).write.format("noop").mode("overwrite").save()
    transform_seconds = time.perf_counter() - started
    transform_jobs = count_jobs(spark, "transform")

    print(f"fit:       {fit_seconds:8.1f} s  {args.rows / fit_seconds:12,.0f} rows/s  "
          f"{fit_jobs} Spark jobs")
    print(f"transform: {transform_seconds:8.1f} s  {args.rows / transform_seconds:12,.0f} rows/s  "
          f"{transform_jobs} Spark jobs")
    spark.stop()


if __name__ == "__main__":
    main()
