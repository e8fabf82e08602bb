"""The SparkSession every job runs in.

Locally it is a Delta-enabled session whose Delta JARs come from Maven Central on first start
and from the Ivy cache after;
under ``spark-submit`` it takes the master and packages given on the command line; on
Databricks it is the cluster's own session; with ``spark.remote`` set it is a Spark Connect
client of that server.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from importlib.metadata import version
from pathlib import Path

from pyspark import SparkConf, SparkContext
from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession

from jobs.common.class_archive import archive_options, archive_path, finish_dump
from jobs.common.config import Settings
from jobs.common.ivy_cache import cached_jars, default_ivy_home

DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
DRIVER_JAVA_OPTIONS = "spark.driver.extraJavaOptions"
DRIVER_CLASSPATH = "spark.driver.extraClassPath"
LOG4J2_PROPERTY = "log4j2.configurationFile"

log = logging.getLogger(__name__)


def get_spark(settings: Settings) -> SparkSession:
    """Return the active session, or build one for this environment."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if settings.spark.remote:
        return _remote_session(settings.spark.remote)
    if settings.runtime == "databricks":
        return SparkSession.builder.getOrCreate()
    return _local_session(settings)


@contextmanager
def session_conf(spark: SparkSession, values: dict[str, str], hints: bool = False) -> Iterator[None]:
    """Set SQL settings for the statements inside the block, then put back what was there.

    With `hints`, the settings only make the block faster: one the session refuses (a static
    setting, or one a Databricks serverless session keeps for itself) is logged and left as
    it is, and the block runs without it. Without, a refusal fails the block before it runs.
    """
    before: dict[str, str | None] = {}
    try:
        for name, value in values.items():
            try:  # a session that keeps a setting to itself may refuse to tell it too
                current = spark.conf.get(name, None)
                spark.conf.set(name, value)
            except AnalysisException as refused:
                if not hints:
                    raise
                log.info("session setting %s left as it is: %s", name, refused.getCondition() or refused)
                continue
            before[name] = current
        yield
    finally:
        for name, value in before.items():
            if value is None:
                spark.conf.unset(name)
            else:
                spark.conf.set(name, value)


def is_connect(spark: SparkSession) -> bool:
    """Whether `spark` is a Spark Connect client session (no local JVM, no SparkContext)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def _remote_session(url: str) -> SparkSession:
    """A Spark Connect session: no local JVM; tables, Delta and the catalog live on the server."""
    return SparkSession.builder.remote(url).getOrCreate()


def delta_packages() -> list[str]:
    """The Maven package `delta.configure_spark_with_delta_pip` adds: the pip-installed Delta's
    own version (computed here: that function writes into a builder's class-wide options)."""
    return [f"io.delta:delta-spark_2.13:{version('delta_spark')}"]


def _ivy_home(conf: dict[str, str], ivy_home: Path | None) -> Path:
    return Path(conf["spark.jars.ivy"]) if "spark.jars.ivy" in conf else ivy_home or default_ivy_home()


def delta_jar_conf(conf: dict[str, str], ivy_home: Path | None = None) -> dict[str, str]:
    """The settings that put Delta's jars on the classpath: the jars a previous resolution left
    in the Ivy cache as `spark.jars` (a warm start resolves nothing and prints no Ivy report),
    else `spark.jars.packages` (the first start downloads them)."""
    packages = delta_packages()
    jars = cached_jars(packages, _ivy_home(conf, ivy_home))
    if jars is None:
        listed = [conf["spark.jars.packages"]] if conf.get("spark.jars.packages") else []
        return {"spark.jars.packages": ",".join([*listed, *packages])}
    listed = [conf["spark.jars"]] if conf.get("spark.jars") else []
    return {"spark.jars": ",".join([*listed, *jars])}


def executors_in_driver(master: str) -> bool:
    """Whether `master` runs the executors inside the driver JVM (`local`, `local[4]`,
    `local[*, 2]`), so the driver's classpath is theirs; `local-cluster[...]` starts others."""
    return master.strip() == "local" or master.strip().startswith("local[")


def local_driver_conf(conf: dict[str, str], ivy_home: Path | None = None,
                      archive_home: Path | None = None) -> tuple[dict[str, str], tuple[Path, Path] | None]:
    """For a local driver JVM this process starts: Delta's cached jars on its classpath (one
    class loader, nothing copied for the in-process executor, and classes its archive can
    hold) and its class-data-sharing archive (jobs/common/class_archive.py). Returns the
    settings and, when the JVM dumps an archive at exit, its part file and archive; nothing
    when the jars are not cached yet (the first start resolves them as `spark.jars.packages`)."""
    jars = cached_jars(delta_packages(), _ivy_home(conf, ivy_home))
    if jars is None:
        return {}, None
    classpath = ":".join(filter(None, [conf.get(DRIVER_CLASSPATH, ""), *jars]))
    java_options = conf.get(DRIVER_JAVA_OPTIONS, "")
    archive = archive_path(classpath, archive_home)
    options, part = archive_options(java_options, archive)
    driver_conf = {DRIVER_CLASSPATH: classpath, DRIVER_JAVA_OPTIONS: " ".join(filter(None, [java_options, *options]))}
    return driver_conf, (None if part is None else (part, archive))


def console_progress(conf: dict[str, str]) -> dict[str, str]:
    """Spark's console progress bar on a terminal only: in a log file or a test it is noise."""
    if "spark.ui.showConsoleProgress" in conf:
        return {}
    return {"spark.ui.showConsoleProgress": str(sys.stderr.isatty()).lower()}


def jvm_logging(conf: dict[str, str], config_file: Path | None = None) -> dict[str, str]:
    """The driver's log4j2 configuration: the project's `conf/log4j2.properties` (ERROR only, so
    none of a local run's unactionable JVM warnings), appended to any driver Java options the
    configuration sets, unless those name a log4j2 file of their own."""
    options = conf.get(DRIVER_JAVA_OPTIONS, "")
    if LOG4J2_PROPERTY in options:
        return {}
    # A file: URI, so a path with spaces survives the launcher's splitting of the options.
    path = (config_file or Path(str(resources.files("conf") / "log4j2.properties"))).resolve()
    return {DRIVER_JAVA_OPTIONS: " ".join(filter(None, [options, f"-D{LOG4J2_PROPERTY}={path.as_uri()}"]))}


def _local_session(settings: Settings) -> SparkSession:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers must run the interpreter (and virtual environment) the driver runs in.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(settings.spark.app_name)
    submitted = _submitted_conf()
    if not submitted.contains("spark.master"):
        builder = builder.master(settings.spark.master)
    builder = builder.config("spark.sql.extensions", DELTA_EXTENSION).config(
        "spark.sql.catalog.spark_catalog", DELTA_CATALOG
    )
    conf = dict(settings.spark.conf)
    conf.update(console_progress(conf))
    # The driver JVM starts with the session: its options apply unless spark-submit started it.
    driver_starts_here = "PYSPARK_GATEWAY_PORT" not in os.environ
    if driver_starts_here:
        conf.update(jvm_logging(conf))
    driver_conf, dump = {}, None
    if driver_starts_here and executors_in_driver(submitted.get("spark.master", settings.spark.master)):
        driver_conf, dump = local_driver_conf(conf)
        conf.update(driver_conf)
    if not submitted.contains("spark.jars.packages") and not driver_conf:
        conf.update(delta_jar_conf(conf))
    for key, value in conf.items():
        if not submitted.contains(key):
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if dump is not None:
        atexit.register(_end_dumping_driver, getattr(SparkContext._gateway, "proc", None), *dump)
    # Under spark-submit the JVM logs as it was told; from here on, ERROR only there too.
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _end_dumping_driver(driver: subprocess.Popen | None, part: Path, archive: Path) -> None:
    """At exit, before the driver JVM writes its class archive: stop the SparkContext first.
    Its stop ends PySpark's accumulator server, whose thread reads a connection from the JVM
    (open once Python tasks ran); a JVM that exited under it made that thread print an EOFError
    traceback."""
    active = SparkContext._active_spark_context
    if active is not None:
        active.stop()
    finish_dump(driver, part, archive)


def _submitted_conf() -> SparkConf:
    """What spark-submit set (--master, --conf, --packages); empty when not launched by it.

    SparkConf() reads the JVM's properties only once the gateway is up; under spark-submit the
    gateway already runs (PYSPARK_GATEWAY_PORT), so connect to it first, or the settings'
    master would silently replace spark-submit's --master.
    """
    if "PYSPARK_GATEWAY_PORT" in os.environ:
        SparkContext._ensure_initialized()
    return SparkConf()
