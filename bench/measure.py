"""Peak memory of a process tree and per-stage records, for the pipeline benchmark.

Memory is the resident set (RSS) of a process and all its descendants, read from /proc and
sampled by a thread: for Spark that is the driver's Python, its JVM (driver and, in local
mode, the executors) and the Python workers the JVM starts; for pandas the one process.

The resident set is split in two. *Held* memory (anonymous and shared-memory pages: heaps,
Arrow buffers, pandas frames) is what the processes need and what the limits apply to.
*Mapped* memory (file-backed pages) is mostly Spark reading its shuffle and disk-cached
blocks through mmap: page cache the kernel takes back under pressure. Counting it as held
made a 10M-row ingest look like 22 GiB.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

GIB = 1 << 30


def children(pid: int) -> list[int]:
    """Direct children of `pid`; any of its threads may have started one."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                found.extend(int(p) for p in listing.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass  # the process (or thread) ended while we looked
    return found


def descendants(pid: int) -> list[int]:
    """`pid`'s descendants, not `pid` itself."""
    found, todo = [], children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children(child))
    return found


class Resident(NamedTuple):
    """Resident bytes: held (anonymous + shared memory) and mapped (file-backed)."""

    held: int = 0
    mapped: int = 0

    def max(self, other: Resident) -> Resident:
        return Resident(max(self.held, other.held), max(self.mapped, other.mapped))


def rss(pid: int) -> Resident:
    fields: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("RssAnon", "RssFile", "RssShmem"):
                    fields[name] = int(value.split()[0]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return Resident(fields.get("RssAnon", 0) + fields.get("RssShmem", 0), fields.get("RssFile", 0))


def tree_rss(root: int, extra_roots: Iterable[int] = ()) -> Resident:
    """Resident memory of `root` and its descendants, plus the descendants (only) of `extra_roots`.

    `extra_roots` are standalone workers: their executors count, the worker daemons do not.
    """
    pids = [root, *descendants(root)]
    for worker in extra_roots:
        pids.extend(descendants(worker))
    readings = [rss(p) for p in pids]
    return Resident(sum(r.held for r in readings), sum(r.mapped for r in readings))


class PeakSampler:
    """Samples `measure()` every `interval` seconds in a daemon thread; keeps the peak of each part."""

    def __init__(self, measure: Callable[[], Resident], interval: float = 0.2) -> None:
        self.measure = measure
        self.interval = interval
        self._peak = Resident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="peak-sampler")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._peak = self._peak.max(self.measure())

    def start(self) -> PeakSampler:
        self._thread.start()
        return self

    def reset(self) -> None:
        self._peak = self.measure()

    def peak(self) -> Resident:
        return self._peak.max(self.measure())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def executor_parents() -> list[int]:
    """Standalone worker PIDs handed down by the benchmark (their executors are ours)."""
    return [int(p) for p in os.environ.get("BENCH_EXECUTOR_PARENTS", "").split(",") if p]


class StageRecorder:
    """Times stages and appends one JSON line per stage to `out`.

    `on_start(stage)` / `on_end(stage)` let the Spark side tag its jobs with the stage name
    and add the stage's Spark metrics to the record.
    """

    def __init__(
        self,
        side: str,
        out: Path,
        on_start: Callable[[str], None] | None = None,
        on_end: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        self.side = side
        self.out = out
        self.on_start = on_start
        self.on_end = on_end
        pid = os.getpid()
        workers = executor_parents()
        self.sampler = PeakSampler(lambda: tree_rss(pid, workers)).start()

    @contextmanager
    def stage(self, name: str, rows: int) -> Iterator[dict[str, Any]]:
        """Time the body; what it puts in the yielded dict (e.g. quality) joins the record."""
        extra: dict[str, Any] = {}
        if self.on_start:
            self.on_start(name)
        self.sampler.reset()
        started = time.perf_counter()
        yield extra
        seconds = time.perf_counter() - started
        peak = self.sampler.peak()
        record = {"side": self.side, "stage": name, "rows": rows, "seconds": seconds,
                  "peak_rss": peak.held, "peak_mapped": peak.mapped, **extra}
        if self.on_end:
            record["spark"] = self.on_end(name)
        self.record(record)

    def annotate(self, stage: str, **values: Any) -> None:
        """Add `values` (e.g. quality measured after the timed fit) to `stage`'s record."""
        self._append({"side": self.side, "stage": stage, **values})

    def _append(self, record: dict[str, Any]) -> None:
        with self.out.open("a") as out:
            out.write(json.dumps(record) + "\n")

    def record(self, record: dict[str, Any]) -> None:
        self._append(record)
        print(f"[{self.side}] {record['stage']}: {record['seconds']:.1f} s, "
              f"peak {record['peak_rss'] / GIB:.2f} GiB held, {record.get('peak_mapped', 0) / GIB:.2f} GiB mapped",
              flush=True)

    def close(self) -> None:
        self.sampler.stop()


def read_records(path: Path) -> dict[str, dict[str, Any]]:
    """Stage name -> its record, annotations merged in."""
    records: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                records.setdefault(record["stage"], {}).update(record)
    return records


def wait_for_quiet(limit: float = 1.5, timeout: float = 900.0, poll: float = 10.0,
                   load: Callable[[], float] = lambda: os.getloadavg()[0],
                   sleep: Callable[[float], None] = time.sleep) -> tuple[float, bool]:
    """Wait until the 1-minute load average is below `limit` (at most `timeout` seconds).

    A scaling figure means something only when the cores it counts are free: a run measured under
    a load of 8 timeshares its task slots. Returns the load when the wait ended and whether it was
    below the limit, so the bench prints both beside its figures instead of failing.
    """
    waited = 0.0
    while (current := load()) >= limit and waited < timeout:
        sleep(poll)
        waited += poll
    return current, current < limit
