"""Run one side of the benchmark in its own process group, within a memory limit and a timeout.

The limit is on the held resident memory of the whole process tree (see bench.measure),
checked twice a second; a side that crosses it, or runs past the timeout, is killed by its
process group id and reported as out of memory or out of time instead of taking the
benchmark down with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import GIB, tree_rss

ROOT = Path(__file__).resolve().parents[1]
OK = "ok"


def run_child(module: str, args: list[str], log: Path, memory_limit_gib: float, timeout_s: float,
              env: dict[str, str] | None = None) -> str:
    """Run ``python -m module args``; return "ok" or why it stopped."""
    with log.open("w") as err:
        process = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stderr=err,
                                   stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                                   start_new_session=True)
    deadline, limit = time.monotonic() + timeout_s, memory_limit_gib * GIB
    status = OK
    try:
        while process.poll() is None:
            if tree_rss(process.pid).held > limit:
                status = f"out of memory (> {memory_limit_gib:g} GiB)"
            elif time.monotonic() > deadline:
                status = f"out of time (> {timeout_s:g} s)"
            if status != OK:
                os.killpg(process.pid, signal.SIGKILL)
                break
            time.sleep(0.5)
    finally:
        if process.poll() is None and status == OK:  # interrupted: take the side down with us
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    if status == OK and process.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        status = f"failed (exit {process.returncode}: {tail[0][:120]})"
    return status
