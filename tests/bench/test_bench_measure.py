"""The benchmark's memory reading: held memory (what a process needs) apart from file pages mapped in."""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import measure
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


SPAWNER = """
import os, sys
held = b"x" * (300 << 20)  # written, so every page is resident
sys.stdout.write("ready\\n"); sys.stdout.flush()
while True:  # glibc's posix_spawn runs each child in this process's memory until it execs
    os.waitpid(os.posix_spawn("/bin/true", ["true"], {}), 0)
"""


@pytest.mark.parametrize("kcmp", [True, False], ids=["kcmp", "kcmp refused"])
def test_a_child_starting_in_its_parents_memory_is_not_counted_twice(kcmp: bool, monkeypatch) -> None:
    if not kcmp:
        monkeypatch.setattr(measure, "_SYS_KCMP", -1)
    spawner = subprocess.Popen([sys.executable, "-c", SPAWNER], stdout=subprocess.PIPE, text=True)
    try:
        assert spawner.stdout.readline() == "ready\n"
        readings = [tree_rss(spawner.pid).held for _ in range(3000)]
    finally:
        spawner.kill()
        spawner.wait()
    assert min(readings) > 250 * MIB
    assert max(readings) < 400 * MIB
