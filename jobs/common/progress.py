"""One progress line per stage of a job: what ran, on how many rows, in how many seconds."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

T = TypeVar("T")


@dataclass
class Step:
    """A running stage; set `rows` inside the block when the count is known only at the end."""

    name: str
    rows: int | None = None
    seconds: float = 0.0

    def line(self) -> str:
        rows = "" if self.rows is None else f" {self.rows:,} rows"
        return f"{self.name}:{rows} in {self.seconds:.1f} s"


@contextmanager
def step(name: str, rows: int | None = None, out: TextIO | None = None) -> Iterator[Step]:
    """Time the block and print `name: 1,460 rows in 12.3 s` to stderr when it ends (not when it
    fails: the error says what happened)."""
    current = Step(name, rows)
    started = time.perf_counter()
    yield current
    current.seconds = time.perf_counter() - started
    print(current.line(), file=out or sys.stderr, flush=True)


@dataclass(frozen=True)
class Stage:
    """A job as a stage of the lifecycle: its name in the progress line, and how many rows its
    result says it handled (None: no count worth printing)."""

    name: str
    rows: Callable[[Any], int | None] = lambda _: None

    def run(self, work: Callable[..., T], *args: Any) -> T:
        """Run `work(*args)` and print the stage's progress line to stderr when it ends."""
        with step(self.name) as current:
            result = work(*args)
            current.rows = self.rows(result)
        return result


def summed(key: str) -> Callable[[dict[str, dict[str, int]]], int]:
    """The rows of a result given per source (`{source: {key: rows, ...}}`), summed."""
    return lambda by_source: sum(counts[key] for counts in by_source.values())
