"""The benchmark's memory reading: held memory (what a process needs) apart from file pages mapped in."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

from bench.measure import tree_rss, wait_for_quiet

MIB = 1 << 20


def test_an_allocation_is_held_and_a_mapped_file_is_not(tmp_path: Path) -> None:
    before = tree_rss(os.getpid())
    block = bytearray(b"x" * (200 * MIB))  # written, so every page is resident
    allocated = tree_rss(os.getpid())
    assert allocated.held - before.held > 150 * MIB

    path = tmp_path / "blocks"
    path.write_bytes(b"y" * (200 * MIB))
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert sum(mapped[i] for i in range(0, len(mapped), mmap.PAGESIZE)) > 0  # touch every page
        reading = tree_rss(os.getpid())
    assert reading.mapped - allocated.mapped > 150 * MIB
    assert reading.held - allocated.held < 50 * MIB
    del block


def test_wait_for_quiet_waits_until_the_load_falls_below_the_limit() -> None:
    loads, slept = iter([3.0, 2.0, 1.2]), []
    assert wait_for_quiet(1.5, 60, 10, load=lambda: next(loads), sleep=slept.append) == (1.2, True)
    assert slept == [10, 10]


def test_wait_for_quiet_gives_up_after_its_timeout_and_says_so() -> None:
    slept = []
    assert wait_for_quiet(1.5, 30, 10, load=lambda: 4.0, sleep=slept.append) == (4.0, False)
    assert slept == [10, 10, 10]
