"""Start and stop real Spark processes from the pip install: standalone master and workers,
the Spark Connect server, and `spark-submit` runs; plus the project's wheel they ship.

Each server is its own process group; `stop` ends it by PID (never by name), so tests can run
beside other developers' Spark processes on the same machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyspark

ROOT = Path(__file__).resolve().parents[1]
SPARK_HOME = Path(pyspark.__file__).parent
DELTA_PACKAGE = "io.delta:delta-spark_2.13:4.0.1"
DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spark_env(**extra: str) -> dict[str, str]:
    """Driver, executors and Python workers all run this interpreter (the project's venv)."""
    return {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable, **extra}


def conf_args(conf: dict[str, str]) -> list[str]:
    return [arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")]


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A private temporary folder, removed afterwards.

    Not pytest's tmp_path: pytest prunes old base folders when any other pytest run on the
    machine starts, which would pull a lakehouse from under a running cluster.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def without_info(log: str, tail: int = 4000) -> str:
    """Spark's INFO chatter hides the traceback: keep the rest."""
    return "\n".join(line for line in log.splitlines() if " INFO " not in line)[-tail:]


@dataclass
class SparkProcess:
    """A long-running Spark process whose output goes to `log`."""

    name: str
    process: subprocess.Popen
    log: Path

    def wait_for(self, marker: str, timeout: float = 180) -> None:
        """Block until `marker` appears in the log; fail with the log if the process died or timed out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.log.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise RuntimeError(f"{self.name}: {marker!r} not seen\n{without_info(self.log.read_text(errors='replace'))}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


def start(name: str, command: list[str], log: Path, env: dict[str, str]) -> SparkProcess:
    with log.open("w") as out:
        # A new session makes the process (spark-class execs java) the leader of its own group.
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return SparkProcess(name, process, log)


def spark_class(main_class: str, *args: str) -> list[str]:
    return [str(SPARK_HOME / "bin" / "spark-class"), main_class, *args]


def spark_submit(*args: str) -> list[str]:
    return [str(SPARK_HOME / "bin" / "spark-submit"), *args]


@contextmanager
def standalone_cluster(
    tmp: Path, workers: int = 2, cores: int = 1, memory: str = "1g"
) -> Iterator[tuple[str, list[SparkProcess], list[Path]]]:
    """A standalone master and `workers` workers on 127.0.0.1, stopped by PID afterwards.

    Yields the master URL, the worker processes (each `process.pid` is the worker JVM, the
    parent of its executors) and the workers' work dirs (executor logs land there).
    """
    port = free_port()
    master_url = f"spark://127.0.0.1:{port}"
    processes: list[SparkProcess] = []
    worker_dirs = [tmp / f"worker{i}" for i in range(workers)]
    try:
        master = start("master", spark_class(
            "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
            "--webui-port", str(free_port()),
        ), tmp / "master.log", spark_env())
        processes.append(master)
        master.wait_for("I have been elected leader")
        for i, work_dir in enumerate(worker_dirs):
            work_dir.mkdir()
            worker = start(f"worker{i}", spark_class(
                "org.apache.spark.deploy.worker.Worker", master_url, "--host", "127.0.0.1",
                "--cores", str(cores), "--memory", memory, "--webui-port", str(free_port()),
                "--work-dir", str(work_dir),
            ), tmp / f"worker{i}.log", spark_env(SPARK_WORKER_DIR=str(work_dir)))
            processes.append(worker)
        for worker in processes[1:]:
            worker.wait_for("Successfully registered with master")
        yield master_url, processes[1:], worker_dirs
    finally:
        for process in reversed(processes):
            process.stop()


def build_wheel(out: Path) -> Path:
    """The project's wheel, built as `make wheel` and the bundle's artifact build it."""
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), "."],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-3000:])
    (wheel,) = out.glob("lakehouse_ml-*.whl")
    return wheel


def lakehouse_overrides(tmp: Path, rows: int, score_rows: int) -> list[str]:
    """`--set` arguments of a small run in a temporary lakehouse."""
    overrides = [
        f"lakehouse.root={tmp}/lakehouse",
        f"lakehouse.landing={tmp}/landing",
        f"mlflow.tracking_uri=sqlite:///{tmp}/mlflow.db",
        f"mlflow.artifact_location={tmp}/mlartifacts",
        f"generator.rows={rows}",
        f"generator.score_rows={score_rows}",
        "generator.partitions=2",
        "model.candidates=[{name: forest, algorithm: random_forest_regressor, params: {numTrees: 8, maxDepth: 5}}]",
        "spark.conf[spark.sql.shuffle.partitions]=2",
    ]
    return [arg for override in overrides for arg in ("--set", override)]
