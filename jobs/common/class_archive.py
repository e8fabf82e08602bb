"""A class-data-sharing archive (Java's AppCDS) for the local driver JVM.

A local start loads some 20 000 classes (Spark, Scala, Delta) and parses each one; a JDK 17
dynamic archive holds them already parsed and is mapped in at start. The first start for a
given JVM, Spark, Delta and classpath dumps the archive as its JVM exits; later starts map it.
The JVM writes the archive while exiting and a half-written archive crashes the next JVM that
maps it, so the dump goes to a part file that is moved in place only after the JVM exited
cleanly. The JVM checks the archive itself (its own build, each classpath jar's size and date)
and runs without it when anything changed; its messages saying so are switched off.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
import uuid
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

# The first bytes of a JDK dynamic (top-layer) archive: its header's magic, 0xf00baba8, little-endian.
DYNAMIC_ARCHIVE_MAGIC = (0xF00BABA8).to_bytes(4, "little")
# Class sharing logs a warning per class a dump skips and one when an archive does not match.
QUIET = ("-Xlog:cds*=off",)
# Options by which the configuration already decides class sharing itself.
OWN_SHARING_OPTIONS = ("SharedArchiveFile", "ArchiveClassesAtExit", "-Xshare")
# How long interpreter exit waits for the driver JVM to write its archive (once per key).
DUMP_TIMEOUT_SECONDS = 180
# Archives kept besides the one just written: each is 140-250 MB, and an upgrade of Java, Spark
# or Delta (or another classpath) starts a new one, so older ones would pile up in the cache.
KEPT_ARCHIVES = 2
# A part file this old is a dump whose JVM was killed (a live dump takes seconds to minutes).
STALE_PART_SECONDS = 24 * 3600


def archive_home() -> Path:
    """The per-user cache of archives (beside pip's and Ivy's caches)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lakehouse-ml" / "cds"


def java_identity() -> str:
    """The java the Spark launcher runs (JAVA_HOME's, else PATH's) and its release file."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home, "bin", "java")) if java_home else shutil.which("java")
    if not java:
        return ""
    real = Path(java).resolve()
    try:
        release = (real.parent.parent / "release").read_text()
    except OSError:
        release = ""
    return f"{real}\n{release}"


def spark_home() -> str:
    """Where the launcher takes Spark's own jars from: the JVM's `-cp`, which an archive must
    match (the JVM silently ignores one dumped under another virtualenv's pyspark)."""
    return os.environ.get("SPARK_HOME") or str(Path(find_spec("pyspark").origin).parent)


def archive_path(classpath: str, home: Path | None = None) -> Path:
    """The archive for this JVM, Spark installation, Delta and driver classpath: a new one when any changes."""
    key = "\n".join([java_identity(), spark_home(), version("pyspark"), version("delta_spark"), classpath])
    return (home or archive_home()) / f"driver-{hashlib.sha256(key.encode()).hexdigest()[:20]}.jsa"


def is_archive(path: Path) -> bool:
    """Whether `path` starts like a finished dynamic archive (anything else is never mapped)."""
    try:
        with path.open("rb") as archive:
            return archive.read(len(DYNAMIC_ARCHIVE_MAGIC)) == DYNAMIC_ARCHIVE_MAGIC
    except OSError:
        return False


def archive_options(java_options: str, archive: Path) -> tuple[list[str], Path | None]:
    """The Java options that map `archive`, or that dump it at exit into the part file returned
    (for `finish_dump`); none when the configuration sets class sharing itself or the path has
    whitespace (the launcher splits the options on it)."""
    if any(option in java_options for option in OWN_SHARING_OPTIONS) or any(c.isspace() for c in str(archive)):
        return [], None
    if is_archive(archive):
        return [f"-XX:SharedArchiveFile={archive}", *QUIET], None
    try:
        archive.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return [], None
    part = archive.with_name(f"{archive.name}.{uuid.uuid4().hex}.part")
    return [f"-XX:ArchiveClassesAtExit={part}", *QUIET], part


def promote(part: Path, archive: Path, exited_cleanly: bool) -> None:
    """Move a finished dump in place (one rename: no start sees it half-written); drop any other."""
    if exited_cleanly and is_archive(part):
        os.replace(part, archive)
        prune(archive)
    else:
        part.unlink(missing_ok=True)


def prune(archive: Path, now: float | None = None) -> None:
    """Delete all but the `KEPT_ARCHIVES` newest other archives beside `archive`, and part files
    of dumps that never finished. A JVM that maps a deleted archive keeps its mapping (Unix
    unlink), and a later start of its key dumps it again."""
    now = time.time() if now is None else now
    others = sorted((p for p in archive.parent.glob("driver-*.jsa") if p != archive), key=_modified, reverse=True)
    stale = [p for p in archive.parent.glob("driver-*.part") if now - _modified(p) > STALE_PART_SECONDS]
    for path in [*others[KEPT_ARCHIVES:], *stale]:
        path.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    """`path`'s modification time; 0 if another process removed it meanwhile."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def finish_dump(driver: subprocess.Popen | None, part: Path, archive: Path) -> None:
    """At interpreter exit: end the driver JVM (it exits when its stdin closes), wait while it
    writes the archive, then promote it."""
    if driver is None or driver.stdin is None:
        part.unlink(missing_ok=True)
        return
    driver.stdin.close()
    try:
        exited_cleanly = driver.wait(timeout=DUMP_TIMEOUT_SECONDS) == 0
    except subprocess.TimeoutExpired:
        exited_cleanly = False
    promote(part, archive, exited_cleanly)
