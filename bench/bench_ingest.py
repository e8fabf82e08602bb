"""Ingest throughput of a generated CSV landing: bronze and silver separately.

Generates ``--rows`` house sales as ``--files`` CSV files (the generator's malformed rows
included), ingests them with the `sales` source of ``conf/use_cases/house_sales.yml`` in
batches of ``--files-per-batch`` files, and prints rows/s and MB/s of the bronze phase (parse,
header check, append) and the silver phase (typing, expectations, quarantine, dedup, MERGE)
from the audit table's timings. Run::

    .venv/bin/python -m bench.bench_ingest --rows 1000000
    .venv/bin/python -m bench.bench_ingest --rows 10000000 --files 20 --files-per-batch 5
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.config import Settings, load_settings
from jobs.common.ingestion import ingest_source
from jobs.common.landing import landing_location
from jobs.common.landing_data import generate_landing
from jobs.common.session import get_spark
from jobs.common.tables import TableStore


def landing_settings(root: str, rows: int, files: int, *overrides: str) -> Settings:
    """house_sales settings generating `rows` sales (no listings) as `files` CSV files under `root`."""
    return load_settings("house_sales", "local", overrides=[
        f"lakehouse.root={root}/lakehouse", f"lakehouse.landing={root}/landing",
        f"mlflow.tracking_uri=sqlite:///{root}/mlflow.db", f"generator.rows={rows}",
        "generator.score_rows=0", f"generator.partitions={files}", *overrides,
    ])


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
                                f"spark.conf[spark.driver.memory]={args.driver_memory}")
    spark = get_spark(settings)
    context = JobContext(settings, spark, TableStore(spark, settings))
    started = time.monotonic()
    generate_landing(context, settings.generator)
    print(f"generated {args.rows:,} rows as {args.files} CSV files in {time.monotonic() - started:.1f} s")

    source = settings.source("sales").model_copy(update={"max_files_per_trigger": args.files_per_batch})
    landing = Path(landing_location(context, source))
    megabytes = sum(p.stat().st_size for p in landing.glob("part-*")) / 1e6
    started = time.monotonic()
    totals = ingest_source(context, source)
    wall = time.monotonic() - started

    audit = context.tables.read(source.audit_table).where(F.col("source") == source.name)
    bronze_s, silver_s = audit.groupBy().sum("bronze_seconds", "silver_seconds").first()[:]
    read, kept = totals["rows_read"], totals["rows_silver"]
    print(f"landing: {read:,} rows, {megabytes:,.1f} MB in {totals['batches']} batches of "
          f"{args.files_per_batch} files; {kept:,} rows to silver, {totals['rows_quarantined']:,} quarantined")
    print(f"bronze: {bronze_s:8.1f} s  {read / bronze_s:12,.0f} rows/s  {megabytes / bronze_s:8.2f} MB/s")
    print(f"silver: {silver_s:8.1f} s  {read / silver_s:12,.0f} rows/s  {megabytes / silver_s:8.2f} MB/s")
    print(f"total:  {wall:8.1f} s  {read / wall:12,.0f} rows/s  {megabytes / wall:8.2f} MB/s "
          f"(including stream start and checkpoint commits)")
    spark.stop()


if __name__ == "__main__":
    main()
