"""Read-only SQL by default: the Java check in jobs/common/java, compiled at first use.

The check reads Spark's parsed plan (see ReadOnlyGuard.java), so it needs Spark's own classes:
`javac` compiles the sources against pyspark's JARs into a cache folder named by a hash of the
sources and of the Spark version, so an edit or an upgrade recompiles and nothing binary is kept
in the repository.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pyspark
from pyspark.sql import SparkSession

JAVA_SOURCES = Path(__file__).parent / "java"
SPARK_JARS = Path(pyspark.__file__).parent / "jars"
GUARD_CLASS = "lakehouse.sqlguard.ReadOnlyGuard"
EXTENSION_CLASS = "lakehouse.sqlguard.GuardExtension"
SERVER_MAIN_CLASS = "lakehouse.sqlguard.ThriftServerMain"
AUTHENTICATOR_CLASS = "lakehouse.sqlguard.PasswordFileAuthenticator"
PASSWORD_FILE_PROPERTY = "lakehouse.sql.password_file"


class SqlGuardError(RuntimeError):
    """The check could not be built or run; the statement was not run."""


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lakehouse-ml" / "sql-guard"


def guard_classes() -> Path:
    """The folder of the compiled check, compiling it first when the sources changed."""
    sources = sorted(JAVA_SOURCES.glob("*.java"))
    digest = hashlib.sha256(pyspark.__version__.encode())
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    target = _cache_root() / digest.hexdigest()[:16]
    if (target / ".complete").is_file():
        return target
    javac = shutil.which("javac")
    if javac is None:
        raise SqlGuardError("javac (JDK 17) is not on PATH: it compiles the read-only SQL check")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Compile beside the target and rename: two processes starting at once never see half a build.
    building = Path(tempfile.mkdtemp(prefix="build-", dir=target.parent))
    command = [javac, "-nowarn", "-d", str(building), "-cp", f"{SPARK_JARS}/*", *map(str, sources)]
    compiled = subprocess.run(command, capture_output=True, text=True)
    if compiled.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        raise SqlGuardError(f"javac failed on {JAVA_SOURCES}: {compiled.stderr.strip()[-2000:]}")
    (building / ".complete").touch()
    try:
        building.rename(target)
    except OSError:  # another process finished first: its build is the same
        shutil.rmtree(building, ignore_errors=True)
    return target


def refusal(spark: SparkSession, sql: str) -> str | None:
    """Why `sql` is not read-only in `spark` (a classic session), or None when it is.

    The classes load into the running JVM through their own class loader, so any classic
    session works, whatever started it.
    """
    jvm = spark.sparkContext._jvm
    url = guard_classes().as_uri() + "/"
    gateway = spark.sparkContext._gateway
    urls = gateway.new_array(jvm.java.net.URL, 1)
    urls[0] = jvm.java.net.URL(url)
    loader = jvm.java.net.URLClassLoader(urls, spark._jsparkSession.getClass().getClassLoader())
    guard = loader.loadClass(GUARD_CLASS)
    parameter_types = gateway.new_array(jvm.java.lang.Class, 2)
    parameter_types[0] = loader.loadClass("org.apache.spark.sql.SparkSession")
    parameter_types[1] = loader.loadClass("java.lang.String")
    arguments = gateway.new_array(jvm.java.lang.Object, 2)
    arguments[0] = spark._jsparkSession
    arguments[1] = sql
    return guard.getMethod("refusal", parameter_types).invoke(None, arguments)
