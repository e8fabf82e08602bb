"""Peak memory of a process tree and per-stage records, for the pipeline benchmark.

Memory is the resident set (RSS) of a process and all its descendants, read from /proc and
sampled by a thread: for Spark that is the driver's Python, its JVM (driver and, in local
mode, the executors) and the Python workers the JVM starts; for pandas the one process.

The resident set is split in two. *Held* memory (anonymous and shared-memory pages: heaps,
Arrow buffers, pandas frames) is what the processes need and what the limits apply to.
*Mapped* memory (file-backed pages) is mostly Spark reading its shuffle and disk-cached
blocks through mmap: page cache the kernel takes back under pressure. Counting it as held
made a 10M-row ingest look like 22 GiB.

A process that shares its parent's address space is not counted: for a moment while a process
starts another (posix_spawn, vfork), the child runs in the parent's memory and /proc reports the
parent's resident set for it too. The JVM starts processes often (Hadoop's `chmod`, Python
workers); one sample caught in that moment read the 100M-row ingest as twice the JVM, 17 GiB.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
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


def family(pid: int) -> list[tuple[int, int]]:
    """`pid`'s descendants, not `pid` itself, each with its parent."""
    found, todo = [], [(child, pid) for child in children(pid)]
    while todo:
        child, parent = todo.pop()
        found.append((child, parent))
        todo.extend((grandchild, child) for grandchild in children(child))
    return found


class Resident(NamedTuple):
    """Resident bytes: held (anonymous + shared memory) and mapped (file-backed)."""

    held: int = 0
    mapped: int = 0

    def max(self, other: Resident) -> Resident:
        return Resident(max(self.held, other.held), max(self.mapped, other.mapped))


# The figures read from /proc/<pid>/status, and Linux's `kcmp` system call (its number on each
# machine) that tells whether two processes share one address space.
_MEMORY_FIGURES = ("VmSize", "VmData", "RssAnon", "RssFile", "RssShmem")
# A child in its parent's memory touches a few pages of its own stack before it execs.
_STACK_SLACK = 1 << 20
_SYS_KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine(), -1)
_KCMP_VM = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _status(pid: int) -> dict[str, int]:
    """The memory figures of /proc/<pid>/status in bytes, or nothing if the process has ended."""
    fields: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in _MEMORY_FIGURES:
                    fields[name] = int(value.split()[0]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return fields


def _resident(fields: dict[str, int]) -> Resident:
    return Resident(fields.get("RssAnon", 0) + fields.get("RssShmem", 0), fields.get("RssFile", 0))


def rss(pid: int) -> Resident:
    return _resident(_status(pid))


def _own(pid: int, parent: int) -> Resident:
    """`pid`'s resident memory, or none if it still runs in `parent`'s address space.

    A child is born in its parent's memory (posix_spawn, vfork) or not, and leaves it for good
    when it execs: asked before the child's figures are read, `kcmp` cannot be too late. Where
    `kcmp` is refused (a seccomp profile), the parent's figures read just before tell: the same
    mapped size and all but a few pages of the same resident memory.
    """
    same = _libc.syscall(_SYS_KCMP, pid, parent, _KCMP_VM, 0, 0) if _SYS_KCMP > 0 else -1
    if same == 0:
        return Resident()
    # The parent first: a child in its memory now was in it at the earlier reading too.
    theirs = _status(parent) if same < 0 else None
    mine = _status(pid)
    if theirs and mine and (mine["VmSize"], mine["VmData"]) == (theirs["VmSize"], theirs["VmData"]) \
            and abs(mine["RssAnon"] - theirs["RssAnon"]) < _STACK_SLACK:
        return Resident()
    return _resident(mine)


def tree_rss(root: int, extra_roots: Iterable[int] = ()) -> Resident:
    """Resident memory of `root` and its descendants, plus the descendants (only) of `extra_roots`.

    `extra_roots` are standalone workers: their executors count, the worker daemons do not.
    A descendant in its parent's address space is its parent's memory, counted once.
    """
    members = [(root, 0), *family(root)]
    for worker in extra_roots:
        members.extend(family(worker))
    readings = [rss(pid) if parent == 0 else _own(pid, parent) for pid, parent in members]
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
