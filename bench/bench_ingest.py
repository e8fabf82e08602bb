"""Ingest throughput of a generated CSV landing, beside its floors on the same files.

Generates ``--rows`` house sales as ``--files`` CSV files (the generator's malformed rows
included) and, in one Spark session on those same files, times three stages one after another:

- plain copy: ``spark.read.csv(declared schema).write.format("delta")``, the floor;
- copy + dedupe: the same, keeping the latest row per key (the `sales` source's key and order);
- ingest: the `sales` source of ``conf/use_cases/house_sales.yml`` in batches of
  ``--files-per-batch`` files (checks, bronze, quarantine, silver, audit; the stream's start
  and checkpoint commits included), with its bronze and silver phases from the audit table.

It prints each stage's seconds, rows/s, MB/s, Spark jobs, task seconds and bytes read and
shuffled per input byte, and the ratio ingest / plain copy. Run::

    .venv/bin/python -m bench.bench_ingest --rows 2000000 --files 8 --files-per-batch 4
    .venv/bin/python -m bench.bench_ingest --rows 10000000 --files 20 --files-per-batch 5
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

from bench.spark_metrics import jobs_since, last_job_id
from jobs.common.cli import JobContext
from jobs.common.config import Settings, SourceSettings, load_settings
from jobs.common.ingestion import ingest_source
from jobs.common.landing import file_names, landing_location
from jobs.common.landing_data import generate_landing
from jobs.common.session import get_spark
from jobs.common.tables import TableStore
from transforms.ingestion.bronze import declared_schema


def landing_settings(root: str, rows: int, files: int, *overrides: str) -> Settings:
    """house_sales settings generating `rows` sales (no listings) as `files` CSV files under `root`."""
    return load_settings("house_sales", "local", overrides=[
        f"lakehouse.root={root}/lakehouse", f"lakehouse.landing={root}/landing",
        f"mlflow.tracking_uri=sqlite:///{root}/mlflow.db", f"generator.rows={rows}",
        "generator.score_rows=0", f"generator.partitions={files}", *overrides,
    ])


def plain_copy(spark: SparkSession, source: SourceSettings, landing: str, target: str, dedupe: bool) -> int:
    """The floor: the landing CSV read with its declared schema and written to Delta; return rows written."""
    spelled = file_names(source)
    schema = declared_schema({spelled[c]: t for c, t in source.declared_columns.items()}, with_corrupt_record=False)
    rows = spark.read.options(**source.options).option("header", "true").schema(schema).csv(landing)
    if dedupe:
        latest = Window.partitionBy(*source.key).orderBy(F.col(source.order_by).desc_nulls_last())
        rows = rows.withColumn("_rank", F.row_number().over(latest)).where("_rank = 1").drop("_rank")
    rows.write.format("delta").mode("overwrite").save(target)
    return spark.read.format("delta").load(target).count()


def timed(spark: SparkSession, run: Callable[[], Any]) -> tuple[float, dict[str, Any], Any]:
    """Wall seconds, Spark's work (jobs, task seconds, bytes) and the result of `run()`."""
    before = last_job_id(spark)
    started = time.monotonic()
    result = run()
    return time.monotonic() - started, jobs_since(spark, before), result


def stage_line(name: str, seconds: float, work: dict[str, Any], rows: int, input_bytes: int) -> str:
    """One stage's figures; bytes read and shuffled are per byte of landing CSV."""
    shuffled = work.get("shuffle_read_bytes", 0) + work.get("shuffle_write_bytes", 0)
    return (f"{name:<14} {seconds:8.1f} s  {rows / seconds:10,.0f} rows/s  {input_bytes / 1e6 / seconds:7.2f} MB/s  "
            f"jobs {work.get('jobs', 0):4}  task {work.get('task_seconds', 0):7.1f} s  "
            f"read {work.get('input_bytes', 0) / input_bytes:5.2f}x  shuffled {shuffled / input_bytes:5.2f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--files-per-batch", type=int, default=5)
    parser.add_argument("--root", default="/tmp/bench_ingest")
    parser.add_argument("--driver-memory", default="6g")
    args = parser.parse_args(argv)

    shutil.rmtree(args.root, ignore_errors=True)
    settings = landing_settings(args.root, args.rows, args.files,
                                f"spark.conf[spark.driver.memory]={args.driver_memory}",
                                "spark.conf[spark.ui.enabled]=true", "spark.conf[spark.ui.port]=0")
    spark = get_spark(settings)
    context = JobContext(settings, spark, TableStore(spark, settings))
    started = time.monotonic()
    generate_landing(context, settings.generator)
    print(f"generated {args.rows:,} rows as {args.files} CSV files in {time.monotonic() - started:.1f} s")

    source = settings.source("sales").model_copy(update={"max_files_per_trigger": args.files_per_batch})
    landing = landing_location(context, source)
    input_bytes = sum(p.stat().st_size for p in Path(landing).glob("part-*"))
    copy_s, copy_work, copied = timed(spark, lambda: plain_copy(spark, source, landing, f"{args.root}/copy", False))
    dedupe_s, dedupe_work, deduped = timed(
        spark, lambda: plain_copy(spark, source, landing, f"{args.root}/copy_dedupe", True))
    ingest_s, ingest_work, totals = timed(spark, lambda: ingest_source(context, source))

    audit = context.tables.read(source.audit_table).where(F.col("source") == source.name)
    bronze_s, silver_s = audit.groupBy().sum("bronze_seconds", "silver_seconds").first()[:]
    read, kept = totals["rows_read"], totals["rows_silver"]
    print(f"landing: {read:,} rows, {input_bytes / 1e6:,.1f} MB in {totals['batches']} batches of "
          f"{args.files_per_batch} files; {kept:,} rows to silver, {totals['rows_quarantined']:,} quarantined; "
          f"plain copy wrote {copied:,} rows, copy + dedupe {deduped:,}")
    print(stage_line("plain copy", copy_s, copy_work, read, input_bytes))
    print(stage_line("copy + dedupe", dedupe_s, dedupe_work, read, input_bytes))
    print(stage_line("ingest", ingest_s, ingest_work, read, input_bytes))
    print(f"  of which bronze {bronze_s:.1f} s, silver {silver_s:.1f} s (audit timings; the rest is the "
          "stream's start, file listing and checkpoint commits)")
    print(f"ingest / plain copy: {ingest_s / copy_s:.2f}x   ingest / copy + dedupe: {ingest_s / dedupe_s:.2f}x")
    spark.stop()


if __name__ == "__main__":
    main()
