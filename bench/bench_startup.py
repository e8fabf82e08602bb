"""Benchmark: a job's start, from a fresh process to its first query and first Delta read.

    .venv/bin/python -m bench.bench_startup --tables 15

Writes a lakehouse of `--tables` small Delta tables (what a use case holds after a full run),
then starts `--runs` fresh processes that open it the way every job does (settings, session,
the catalog from the lakehouse) and print, in seconds since the process started:
imports done, session up, first ``select 1`` collected, job context ready (as `run_job` opens
it: tables are registered as the job touches them), first Delta table read, and then every
table registered (what `jobs.sql` does at start); whether Spark ran an Ivy resolution and whether
the driver mapped its class-data-sharing archive (jobs/common/class_archive.py). The load average is printed
beside the figures: on a shared machine they move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

STAGES = ("imports", "session", "first_query", "context", "first_delta_read", "all_registered")
# What Spark's Ivy resolution prints on stderr, warm cache or not.
IVY_REPORT = ":: resolving dependencies ::"


def _since_start() -> float:
    """Seconds since this process started (the kernel's start time, before the interpreter)."""
    with open("/proc/self/stat") as stat:
        started_ticks = int(stat.read().rpartition(")")[2].split()[19])
    with open("/proc/uptime") as uptime:
        now = float(uptime.read().split()[0])
    return now - started_ticks / os.sysconf("SC_CLK_TCK")


def _overrides(root: str) -> list[str]:
    return ["--set", f"lakehouse.root={root}"]


def child(root: str, write_tables: int) -> None:
    """One fresh process: open the lakehouse as a job does and report the stage times as JSON."""
    marks = {}
    from jobs.common.cli import job_parser, open_context
    from jobs.common.config import load_settings
    from jobs.common.session import get_spark
    marks["imports"] = _since_start()
    args = job_parser("bench_startup").parse_args(_overrides(root))
    settings = load_settings(args.use_case, args.env, args.conf_dir, args.overrides)
    spark = get_spark(settings)
    marks["session"] = _since_start()
    if write_tables:
        for i in range(write_tables):
            spark.range(100).write.format("delta").mode("overwrite").save(
                f"{root}/{settings.use_case.schema_}/bench_table_{i:02d}")
        return
    spark.sql("select 1").collect()
    marks["first_query"] = _since_start()
    context = open_context(args, whole_catalog=False)
    marks["context"] = _since_start()
    context.tables.read("bench_table_00").count()
    marks["first_delta_read"] = _since_start()
    context.tables.register_all()
    marks["all_registered"] = _since_start()
    conf = spark.sparkContext.getConf()
    marks["jars_from_cache"] = (conf.contains("spark.jars") or conf.contains("spark.driver.extraClassPath")) \
        and not conf.contains("spark.jars.packages")
    marks["class_archive"] = "SharedArchiveFile" in conf.get("spark.driver.extraJavaOptions", "")
    print(json.dumps(marks))


def _run_child(root: str, write_tables: int = 0) -> tuple[dict, str]:
    done = subprocess.run([sys.executable, "-m", "bench.bench_startup", "--child", "--root", root,
                           "--write-tables", str(write_tables)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench_startup child failed ({done.returncode}): {done.stderr.strip()[-600:]}")
    lines = done.stdout.strip().splitlines()
    return (json.loads(lines[-1]) if lines and not write_tables else {}), done.stderr


def _loadavg() -> str:
    with open("/proc/loadavg") as load:
        return " ".join(load.read().split()[:3])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=15, help="Delta tables in the lakehouse (default 15)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes to time (default 3)")
    parser.add_argument("--root", default="/tmp/bench_startup", help="the lakehouse (rewritten)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--write-tables", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.root, args.write_tables)
        return
    if args.tables < 1 or args.runs < 1:
        parser.error("--tables and --runs must be at least 1")
    shutil.rmtree(args.root, ignore_errors=True)
    started = time.monotonic()
    _run_child(args.root, args.tables)
    print(f"wrote {args.tables} Delta tables under {args.root} in {time.monotonic() - started:.1f} s")
    print(f"load average before: {_loadavg()}")
    print("run  " + "  ".join(f"{s:>16}" for s in STAGES) + "  jars from cache  Ivy report  class archive")
    for run in range(1, args.runs + 1):
        marks, stderr = _run_child(args.root)
        print(f"{run:>3}  " + "  ".join(f"{marks[s]:>14.2f} s" for s in STAGES)
              + f"  {marks['jars_from_cache']!s:>15}  {'yes' if IVY_REPORT in stderr else 'no':>10}"
              f"  {'yes' if marks['class_archive'] else 'no':>13}")
    print(f"load average after: {_loadavg()}")
    shutil.rmtree(args.root, ignore_errors=True)


if __name__ == "__main__":
    main()
