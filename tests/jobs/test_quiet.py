"""Quiet by default: the project's loggers at INFO and the libraries' at WARNING, Delta's jars from
the Ivy cache once resolved (no Ivy report), one progress line a stage."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.common.class_archive import DYNAMIC_ARCHIVE_MAGIC
from jobs.common.cli import configure_logging
from jobs.common.ivy_cache import cached_jars
from jobs.common.progress import step
from jobs.common.session import (
    console_progress,
    delta_jar_conf,
    delta_packages,
    executors_in_driver,
    jvm_logging,
    local_driver_conf,
)
from tests.spark_processes import ROOT, spark_env

LOGGERS = ("lakehouse_ml", "jobs.common.ingestion", "transforms.modeling.tuning", "__main__", "py4j", "py4j.clientserver",
           "mlflow", "urllib3", "matplotlib", "xgboost", "XGBoost-PySpark", "SQLQueryContextLogger")


@pytest.fixture
def restored_levels():
    """configure_logging changes process-wide levels: put them back for the other tests."""
    before = {name: logging.getLogger(name).level for name in LOGGERS}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def _levels() -> dict[str, str]:
    return {name: logging.getLevelName(logging.getLogger(name).getEffectiveLevel()) for name in LOGGERS}


def test_only_the_project_logs_info_and_verbose_logs_debug(restored_levels) -> None:
    configure_logging()
    assert _levels() == {
        "lakehouse_ml": "INFO", "jobs.common.ingestion": "INFO", "transforms.modeling.tuning": "INFO",
        # A job run as `python -m jobs.train` logs as __main__: its own lines show too.
        "__main__": "INFO",
        "py4j": "WARNING", "py4j.clientserver": "WARNING", "mlflow": "WARNING", "urllib3": "WARNING",
        "matplotlib": "WARNING", "xgboost": "WARNING", "XGBoost-PySpark": "WARNING",
        "SQLQueryContextLogger": "CRITICAL",
    }
    configure_logging(verbose=True)
    levels = _levels()
    assert [levels[n] for n in ("lakehouse_ml", "jobs.common.ingestion", "transforms.modeling.tuning")] == ["DEBUG"] * 3
    assert (levels["py4j"], levels["SQLQueryContextLogger"]) == ("WARNING", "ERROR")


@pytest.fixture
def mlflow_streams():
    """configure_logging switches MLflow's printed stream and its handler's stream: put them back."""
    from mlflow.utils import logging_utils

    handlers = [h for h in logging.getLogger("mlflow").handlers if isinstance(h, logging.StreamHandler)]
    before = [(handler, handler.stream) for handler in handlers]
    enabled = logging_utils.MLFLOW_LOGGING_STREAM.enabled
    yield logging_utils
    for handler, stream in before:
        handler.setStream(stream)
    logging_utils.MLFLOW_LOGGING_STREAM.enabled = enabled


def test_mlflow_prints_its_registration_lines_only_with_verbose(restored_levels, mlflow_streams, capsys) -> None:
    capsys.readouterr()
    configure_logging()
    # What mlflow.register_model (and log_model with registered_model_name) prints.
    mlflow_streams.eprint("Created version '1' of model 'titanic_survival'.")
    logging.getLogger("mlflow.store.model_registry").warning("a warning of MLflow's")
    err = capsys.readouterr().err
    assert "Created version" not in err
    assert "WARNING mlflow.store.model_registry: a warning of MLflow's" in err
    configure_logging(verbose=True)
    mlflow_streams.eprint("Created version '2' of model 'titanic_survival'.")
    assert capsys.readouterr().err == "Created version '2' of model 'titanic_survival'.\n"


def _ivy_home(tmp_path: Path, with_storage_jar: bool = True) -> Path:
    """An Ivy home as Spark's resolution of delta-spark leaves it (descriptors and jars)."""
    (delta,) = delta_packages()
    _, module, version = delta.split(":")
    descriptors = {
        ("io.delta", module, version): [
            '<dependency org="org.scala-lang" name="scala-library" rev="2.13.13" conf="compile->compile(*)"/>',
            f'<dependency org="io.delta" name="delta-storage" rev="{version}" conf="compile->compile(*),master(*)"/>',
            '<dependency org="org.antlr" name="antlr4-runtime" rev="4.13.1" conf="compile->compile(*);runtime->runtime(*)"/>',
            '<dependency org="org.apache.spark" name="spark-sql_2.13" rev="4.0.1" conf="provided->compile(*)"/>',
            '<dependency org="junit" name="junit" rev="4.13.2" conf="test->runtime(*),master(*)"/>',
        ],
        ("io.delta", "delta-storage", version): [
            '<dependency org="org.apache.hadoop" name="hadoop-common" rev="3.4.0" conf="provided->compile(*)"/>'],
        ("org.antlr", "antlr4-runtime", "4.13.1"): [],
    }
    for (organisation, name, revision), dependencies in descriptors.items():
        folder = tmp_path / "cache" / organisation / name
        folder.mkdir(parents=True)
        (folder / f"ivy-{revision}.xml").write_text(
            '<ivy-module version="2.0" xmlns:m="http://ant.apache.org/ivy/maven"><dependencies>'
            + "".join(dependencies) + "</dependencies></ivy-module>")
        if with_storage_jar or name != "delta-storage":
            (tmp_path / "jars").mkdir(exist_ok=True)
            (tmp_path / "jars" / f"{organisation}_{name}-{revision}.jar").write_bytes(b"PK")
    return tmp_path


def test_a_warm_ivy_cache_gives_the_jars_as_local_paths(tmp_path) -> None:
    home = _ivy_home(tmp_path)
    version = delta_packages()[0].rsplit(":", 1)[1]
    jars = [str(home / "jars" / name) for name in (
        f"io.delta_delta-spark_2.13-{version}.jar", f"io.delta_delta-storage-{version}.jar",
        "org.antlr_antlr4-runtime-4.13.1.jar")]
    assert delta_jar_conf({}, home) == {"spark.jars": ",".join(sorted(jars))}
    # Jars the configuration already lists stay first; spark.jars.ivy names the Ivy home.
    assert delta_jar_conf({"spark.jars": "/opt/my.jar", "spark.jars.ivy": str(home)}, Path("/nowhere")) == {
        "spark.jars": ",".join(["/opt/my.jar", *sorted(jars)])}


def test_a_cold_ivy_cache_resolves_the_packages(tmp_path) -> None:
    home = _ivy_home(tmp_path, with_storage_jar=False)
    assert cached_jars(delta_packages(), home) is None
    assert delta_jar_conf({}, home) == {"spark.jars.packages": delta_packages()[0]}
    assert delta_jar_conf({"spark.jars.packages": "a:b:1"}, tmp_path / "empty") == {
        "spark.jars.packages": f"a:b:1,{delta_packages()[0]}"}


def test_the_console_progress_bar_follows_the_terminal(monkeypatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert console_progress({}) == {"spark.ui.showConsoleProgress": "false"}
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert console_progress({}) == {"spark.ui.showConsoleProgress": "true"}
    assert console_progress({"spark.ui.showConsoleProgress": "false"}) == {}


def test_one_progress_line_per_stage(monkeypatch) -> None:
    clock = iter([10.0, 22.34, 30.0])
    monkeypatch.setattr("time.perf_counter", lambda: next(clock))
    out = io.StringIO()
    with step("train", out=out) as current:
        current.rows = 1460
    with pytest.raises(ValueError), step("score", out=out):
        raise ValueError("the error says what happened")
    assert out.getvalue() == "train: 1,460 rows in 12.3 s\n"


def test_the_driver_logs_through_the_project_log4j2_file(tmp_path) -> None:
    option = "-Dlog4j2.configurationFile=" + (ROOT / "conf" / "log4j2.properties").as_uri()
    assert jvm_logging({}) == {"spark.driver.extraJavaOptions": option}
    # Driver options of the configuration stay; a log4j2 file of its own wins.
    assert jvm_logging({"spark.driver.extraJavaOptions": "-Xss4m"}) == {
        "spark.driver.extraJavaOptions": f"-Xss4m {option}"}
    assert jvm_logging({"spark.driver.extraJavaOptions": "-Dlog4j2.configurationFile=/mine.xml"}) == {}
    spaced = tmp_path / "my logs.properties"
    assert jvm_logging({}, spaced)["spark.driver.extraJavaOptions"].endswith("/my%20logs.properties")


@pytest.mark.slow
def test_a_job_prints_no_jvm_warning(tmp_path) -> None:
    """A local start logs warnings no user can act on (no native Hadoop library, Spark's own
    log4j profile, the shell's log level): none of them reaches the console, the job's output does."""
    run = subprocess.run(
        [sys.executable, "-m", "jobs.sql", "--set", f"lakehouse.root={tmp_path}/lakehouse",
         "--set", f"mlflow.tracking_uri=sqlite:///{tmp_path}/mlflow.db", "SELECT 1 AS one"],
        cwd=ROOT, env=spark_env(), capture_output=True, text=True, timeout=600, check=True)
    # The JVM itself says it runs with Java's incubating vector module (Spark asks for it).
    shown = [line for line in run.stderr.splitlines() if not line.startswith("WARNING: Using incubator modules")]
    assert shown == []
    assert "one" in run.stdout


def test_a_local_driver_takes_the_cached_jars_on_its_classpath_and_its_class_archive(tmp_path) -> None:
    home = _ivy_home(tmp_path / "ivy")
    jars = ":".join(sorted(str(jar) for jar in (home / "jars").iterdir()))
    archives = tmp_path / "cds"
    conf, dump = local_driver_conf({"spark.driver.extraJavaOptions": "-Xss4m"}, home, archives)
    part, archive = dump
    assert conf == {"spark.driver.extraClassPath": jars,
                    "spark.driver.extraJavaOptions": f"-Xss4m -XX:ArchiveClassesAtExit={part} -Xlog:cds*=off"}
    assert archive.parent == archives and part.parent == archives
    # Once a dump finished, later starts map it; the classpath of the configuration stays first.
    archive.write_bytes(DYNAMIC_ARCHIVE_MAGIC + b"\0" * 64)
    conf, dump = local_driver_conf({"spark.driver.extraJavaOptions": "-Xss4m"}, home, archives)
    assert dump is None
    assert conf["spark.driver.extraJavaOptions"] == f"-Xss4m -XX:SharedArchiveFile={archive} -Xlog:cds*=off"
    mine, _ = local_driver_conf({"spark.driver.extraClassPath": "/opt/my.jar"}, home, archives)
    assert mine["spark.driver.extraClassPath"] == f"/opt/my.jar:{jars}"


def test_a_local_driver_on_a_cold_ivy_cache_resolves_the_packages_as_before(tmp_path) -> None:
    assert local_driver_conf({}, _ivy_home(tmp_path / "ivy", with_storage_jar=False), tmp_path / "cds") == ({}, None)


@pytest.mark.parametrize(("master", "in_driver"), [
    ("local", True), ("local[*]", True), ("local[4, 2]", True),
    ("local-cluster[2, 1, 1024]", False), ("spark://host:7077", False), ("yarn", False)])
def test_only_executors_in_the_driver_jvm_share_its_classpath(master, in_driver) -> None:
    assert executors_in_driver(master) is in_driver


# A local session that dumps its class archive at exit, after Python tasks (which connect the
# JVM to PySpark's accumulator server) ran.
DUMPING_JOB = """
from jobs.common.config import load_settings
from jobs.common.session import get_spark
settings = load_settings("house_sales", "local", overrides=["lakehouse.root={root}/lakehouse"])
print(get_spark(settings).range(4).rdd.map(lambda row: row.id).sum())
"""


@pytest.mark.slow
def test_the_exit_that_dumps_the_class_archive_prints_nothing(tmp_path) -> None:
    """The first start of a driver dumps its archive as its JVM exits: that exit must not kill
    the JVM under PySpark's accumulator server (its thread would print an EOFError traceback)."""
    run = subprocess.run([sys.executable, "-c", DUMPING_JOB.format(root=tmp_path)], cwd=ROOT,
                         env=spark_env(XDG_CACHE_HOME=str(tmp_path / "cache")), capture_output=True, text=True,
                         timeout=600, check=True)
    assert [line for line in run.stderr.splitlines() if not line.startswith("WARNING: Using incubator modules")] == []
    assert run.stdout.split() == ["6"]
    assert [p.suffix for p in (tmp_path / "cache" / "lakehouse-ml" / "cds").iterdir()] == [".jsa"]
