"""The driver JVM's class-data-sharing archive: mapped only when a finished dump left it, dumped
into a part file otherwise, and moved in place only after the JVM that wrote it exited cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.common.class_archive import (
    DYNAMIC_ARCHIVE_MAGIC,
    KEPT_ARCHIVES,
    archive_options,
    archive_path,
    finish_dump,
    is_archive,
    promote,
)

QUIET = "-Xlog:cds*=off"


def _archive(path: Path) -> Path:
    path.write_bytes(DYNAMIC_ARCHIVE_MAGIC + b"\0" * 64)
    return path


def test_a_finished_archive_is_mapped(tmp_path) -> None:
    archive = _archive(tmp_path / "driver.jsa")
    assert archive_options("-Xss4m", archive) == ([f"-XX:SharedArchiveFile={archive}", QUIET], None)


@pytest.mark.parametrize("content", [None, b"", b"\xff" * 100, (0xF00BABA2).to_bytes(4, "little") + b"\0" * 64],
                         ids=["missing", "empty", "garbage", "base-archive"])
def test_a_missing_or_foreign_archive_is_never_mapped_but_dumped(tmp_path, content) -> None:
    archive = tmp_path / "cds" / "driver.jsa"
    if content is not None:
        archive.parent.mkdir()
        archive.write_bytes(content)
    options, part = archive_options("", archive)
    assert not any("SharedArchiveFile" in option for option in options)
    assert options == [f"-XX:ArchiveClassesAtExit={part}", QUIET]
    assert part.parent == archive.parent and part.name.startswith("driver.jsa.") and part.suffix == ".part"


@pytest.mark.parametrize("own", ["-Xshare:off", "-XX:SharedArchiveFile=/mine.jsa", "-XX:ArchiveClassesAtExit=/x.jsa"])
def test_the_configuration_s_own_class_sharing_wins(tmp_path, own) -> None:
    assert archive_options(own, _archive(tmp_path / "driver.jsa")) == ([], None)


def test_a_path_the_launcher_would_split_is_not_used(tmp_path) -> None:
    spaced = tmp_path / "my cache"
    spaced.mkdir()
    assert archive_options("", _archive(spaced / "driver.jsa")) == ([], None)


def test_the_archive_changes_with_the_classpath_spark_home_and_the_jvm(tmp_path, monkeypatch) -> None:
    first = archive_path("/a.jar:/b.jar", tmp_path)
    assert first == archive_path("/a.jar:/b.jar", tmp_path) and first.parent == tmp_path
    assert archive_path("/a.jar", tmp_path) != first
    monkeypatch.setenv("SPARK_HOME", "/another/virtualenv/site-packages/pyspark")
    other_spark = archive_path("/a.jar:/b.jar", tmp_path)
    assert other_spark != first
    monkeypatch.setattr("jobs.common.class_archive.java_identity", lambda: "/other/jdk/bin/java\nJAVA_VERSION=21")
    assert archive_path("/a.jar:/b.jar", tmp_path) not in (first, other_spark)


def test_only_a_clean_exit_with_a_whole_archive_is_promoted(tmp_path) -> None:
    archive = tmp_path / "driver.jsa"
    part = _archive(tmp_path / "driver.jsa.1.part")
    promote(part, archive, exited_cleanly=False)
    assert not part.exists() and not archive.exists()
    half = tmp_path / "driver.jsa.2.part"
    half.write_bytes(b"\0" * 64)  # the JVM writes the header (and its magic) last
    promote(half, archive, exited_cleanly=True)
    assert not half.exists() and not archive.exists()
    whole = _archive(tmp_path / "driver.jsa.3.part")
    promote(whole, archive, exited_cleanly=True)
    assert is_archive(archive) and not whole.exists()


def test_finish_dump_waits_for_the_driver_to_exit(tmp_path) -> None:
    """The driver exits when its stdin closes, and writes the archive as it does."""
    archive, part = tmp_path / "driver.jsa", tmp_path / "driver.jsa.1.part"
    writer = (f"import sys; sys.stdin.read(); open({str(part)!r}, 'wb').write({DYNAMIC_ARCHIVE_MAGIC!r})")
    driver = subprocess.Popen([sys.executable, "-c", writer], stdin=subprocess.PIPE)
    finish_dump(driver, part, archive)
    assert is_archive(archive) and not part.exists()
    failing = subprocess.Popen([sys.executable, "-c", writer + "; sys.exit(1)"], stdin=subprocess.PIPE)
    archive.unlink()
    finish_dump(failing, part, archive)
    assert not archive.exists() and not part.exists()


def test_promoting_an_archive_keeps_only_the_newest_others_and_drops_dead_dumps(tmp_path) -> None:
    older = [_archive(tmp_path / f"driver-{n}.jsa") for n in range(KEPT_ARCHIVES + 2)]
    for age, path in enumerate(older):  # driver-0 the newest
        os.utime(path, (1_000_000 - age, 1_000_000 - age))
    dead = _archive(tmp_path / "driver-x.jsa.dead.part")
    live = _archive(tmp_path / "driver-y.jsa.live.part")
    os.utime(dead, (0, 0))
    part = _archive(tmp_path / "driver-new.jsa.abc.part")
    promote(part, tmp_path / "driver-new.jsa", exited_cleanly=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["driver-new.jsa", live.name, *(p.name for p in older[:KEPT_ARCHIVES])])
