"""The whole pipeline, project (Spark) against pandas + scikit-learn, on the same generated data.

For each ``--rows``: the project's side (bench.pipeline_spark) generates the landing CSV files
and runs every stage through the project's code; then the single-machine side
(bench.pipeline_pandas) runs the same stages on the same files. Each side is its own process,
killed and reported as out of memory / out of time at ``--memory-gib`` / ``--timeout``. Prints
a markdown table per size (seconds, rows/s, peak memory of the process tree, project / pandas,
test RMSE and R²) and the Spark jobs, task time and bytes of each stage. Run::

    .venv/bin/python -m bench.bench_pipeline --rows 1000000 10000000
    .venv/bin/python -m bench.bench_pipeline --scaling          # local[1], local[2], 2 x 1-core workers
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from bench import pipeline_spec as spec
from bench.child import run_child
from bench.measure import read_records, wait_for_quiet
from bench.report import Records, pipeline_table, scaling_table, spark_table
from tests.spark_processes import ROOT, standalone_cluster

CLUSTER = "cluster 2x1"


def run_project(rows: int, work: Path, args: argparse.Namespace, master: str = "local[2]",
                conf: list[str] = (), env: dict[str, str] | None = None) -> tuple[Records, str]:
    out = work / "project.jsonl"
    command = ["--rows", str(rows), "--work", str(work), "--out", str(out), "--master", master,
               "--driver-memory", args.driver_memory,
               *[a for c in [*args.conf, *conf] for a in ("--conf", c)]]
    status = run_child("bench.pipeline_spark", command, work / "project.log", args.project_memory_gib,
                       args.timeout, env)
    return read_records(out), status


def run_pandas(rows: int, work: Path, args: argparse.Namespace) -> tuple[Records, str]:
    out = work / "pandas.jsonl"
    landing = work / "landing" / "house_sales" / "sales"
    command = ["--rows", str(rows), "--landing", str(landing), "--work", str(work), "--out", str(out)]
    status = run_child("bench.pipeline_pandas", command, work / "pandas.log", args.memory_gib, args.timeout)
    return read_records(out), status


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def compare(rows: int, args: argparse.Namespace) -> str:
    work = fresh(Path(args.work) / f"rows_{rows}")
    project, project_status = run_project(rows, work, args)
    pandas, pandas_status = ({}, "skipped") if args.skip_pandas else run_pandas(rows, work, args)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return "\n\n".join([
        pipeline_table(rows, project, project_status, pandas, pandas_status),
        f"project: {project_status}; pandas: {pandas_status}; rows kept by ingest: project "
        f"{project.get(spec.INGEST, {}).get('rows_out', '—')}, pandas {pandas.get(spec.INGEST, {}).get('rows_out', '—')}",
        "Spark per stage (REST API):", spark_table(project)])


def scaling(rows: int, args: argparse.Namespace) -> str:
    runs: dict[str, tuple[Records, str]] = {}
    loads: list[str] = []

    def quietly(name: str, run: Callable[[], tuple[Records, str]]) -> None:
        before, quiet = wait_for_quiet(args.quiet_load, args.quiet_wait)
        runs[name] = run()
        loads.append(f"{name}: load {before:.2f} before{'' if quiet else ' (NOT quiet)'}, "
                     f"{os.getloadavg()[0]:.2f} after")

    for master in ("local[1]", "local[2]"):
        quietly(master, lambda m=master: run_project(rows, fresh(Path(args.work) / f"scaling_{m[6]}"), args, m))
    work = fresh(Path(args.work) / "scaling_cluster")
    with standalone_cluster(fresh(work / "cluster"), workers=2, cores=1, memory="4g") as (url, workers, _):
        conf = ["spark.executor.memory=3g", "spark.executor.cores=1", "spark.cores.max=2",
                f"spark.executorEnv.PYTHONPATH={ROOT}"]
        parents = ",".join(str(w.process.pid) for w in workers)
        quietly(CLUSTER, lambda: run_project(rows, work, args, url, conf, {"BENCH_EXECUTOR_PARENTS": parents}))
    if not args.keep:
        shutil.rmtree(Path(args.work), ignore_errors=True)
    statuses = "; ".join(f"{name}: {status}" for name, (_, status) in runs.items())
    details = [f"Spark per stage, {name}:\n\n{spark_table(records)}" for name, (records, _) in runs.items()]
    return "\n\n".join([f"### Scaling, {rows:,} rows", scaling_table(
        runs, {"local[1]": 1, "local[2]": 2, CLUSTER: 2}, "local[1]", "local[2]"), statuses,
        "1-minute load average: " + "; ".join(loads), *details])


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--scaling", action="store_true",
                        help="instead: the project's side at --scaling-rows on local[1], local[2] and a cluster")
    parser.add_argument("--scaling-rows", type=int, default=1_000_000)
    parser.add_argument("--quiet-load", type=float, default=1.5,
                        help="scaling: wait for the 1-minute load average to fall below this before each run")
    parser.add_argument("--quiet-wait", type=float, default=900.0,
                        help="scaling: seconds to wait for it at most (the figure then says NOT quiet)")
    parser.add_argument("--work", default="/tmp/bench_pipeline")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--memory-gib", type=float, default=14.0,
                        help="memory limit of the pandas side's process")
    parser.add_argument("--project-memory-gib", type=float, default=18.0,
                        help="memory limit of the project side's processes (driver JVM, Python workers)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds each side may take")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="extra Spark conf for the project's side (repeatable)")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and tables")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.scaling:
        print(scaling(args.scaling_rows, args), flush=True)
        return
    for rows in args.rows:
        print(compare(rows, args), flush=True)


if __name__ == "__main__":
    main()
