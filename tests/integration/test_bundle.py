"""The Databricks bundle, checked offline: schema, entry points, wheel path and job arguments.

No workspace is needed: each YAML file validates against the bundle JSON schema in tests/data,
every entry point a task names is in the built wheel and answers `--help` without starting a
JVM, and every task's arguments make a configuration our settings accept.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import zipfile
from configparser import ConfigParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from jobs.common.cli import job_parser
from jobs.common.config import load_settings
from tests.paths import REPO_ROOT
from tests.spark_processes import build_wheel, scratch_dir

ROOT = REPO_ROOT
SCHEMA = json.loads((ROOT / "tests" / "data" / "databricks_bundle_schema.json").read_text())
BUNDLE_FILE = ROOT / "databricks.yml"
VENV_BIN = Path(sys.executable).parent


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def bundle_files() -> list[Path]:
    """databricks.yml and the resource files its `include` globs name."""
    included = [
        path for pattern in _load(BUNDLE_FILE).get("include", []) for path in sorted(ROOT.glob(pattern))
    ]
    return [BUNDLE_FILE, *included]


def wheel_tasks() -> list[tuple[Path, str, dict[str, Any]]]:
    """(file, job key, task) for every python_wheel_task of every job in the bundle."""
    return [
        (path, job_key, task)
        for path in bundle_files()
        for job_key, job in _load(path).get("resources", {}).get("jobs", {}).items()
        for task in job["tasks"]
        if "python_wheel_task" in task
    ]


def schema_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("path", bundle_files(), ids=lambda p: p.name)
def test_bundle_file_validates_against_the_bundle_schema(path: Path) -> None:
    assert schema_errors(_load(path)) == []


def test_a_misspelt_task_key_fails_validation() -> None:
    _, job_key, task = wheel_tasks()[0]
    broken_task = copy.deepcopy(task)
    broken_task["python_wheel_taks"] = broken_task.pop("python_wheel_task")
    document = {"resources": {"jobs": {job_key: {"tasks": [broken_task]}}}}
    errors = schema_errors(document)
    assert any("python_wheel_taks" in error for error in errors), errors


def test_the_bundle_has_a_default_dev_and_an_explicit_prod_target() -> None:
    targets = _load(BUNDLE_FILE)["targets"]
    assert targets["dev"] == {**targets["dev"], "mode": "development", "default": True}
    assert targets["prod"]["mode"] == "production"
    assert targets["prod"]["workspace"]["root_path"]
    assert targets["prod"]["permissions"]


def test_every_task_installs_the_wheel_the_artifact_builds() -> None:
    artifact = _load(BUNDLE_FILE)["artifacts"]["lakehouse_ml_wheel"]
    wheel_dir = re.search(r"--wheel-dir\s+(\S+)", artifact["build"]).group(1)
    expected = (ROOT / artifact["path"] / wheel_dir).resolve()
    for path, job_key, task in wheel_tasks():
        # Library paths in a resource file are relative to that file.
        wheels = [Path(lib["whl"]) for lib in task["libraries"]]
        assert [(path.parent / w.parent).resolve() for w in wheels] == [expected], (job_key, task["task_key"])
        assert [w.name for w in wheels] == ["*.whl"]


@pytest.fixture(scope="module")
def built_wheel():
    """The wheel exactly as the bundle's artifact builds it, into a temporary folder."""
    with scratch_dir("lakehouse-wheel-") as out:
        yield build_wheel(out)


def _wheel_metadata(wheel: Path) -> tuple[str, dict[str, str]]:
    with zipfile.ZipFile(wheel) as archive:
        dist_info = next(n.split("/")[0] for n in archive.namelist() if n.split("/")[0].endswith(".dist-info"))
        entry_points = ConfigParser()
        entry_points.read_string(archive.read(f"{dist_info}/entry_points.txt").decode())
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    name = re.search(r"^Name: (.+)$", metadata, re.M).group(1).strip()
    return name, dict(entry_points["console_scripts"])


def test_the_wheel_leaves_spark_delta_and_mlflow_to_the_cluster(built_wheel: Path) -> None:
    with zipfile.ZipFile(built_wheel) as archive:
        metadata = next(archive.read(n).decode() for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    requires = re.findall(r"^Requires-Dist: (.+)$", metadata, re.M)
    unconditional = {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower(): r for r in requires if "extra ==" not in r}
    # A Databricks runtime brings its own Spark and Delta; pip must not replace them.
    assert "pyspark" not in unconditional and "delta-spark" not in unconditional
    assert "==" not in unconditional["mlflow"]
    assert any(r.startswith("pyspark==") and 'extra == "local"' in r for r in requires)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def test_every_entry_point_the_bundle_names_is_in_the_built_wheel(built_wheel: Path) -> None:
    name, scripts = _wheel_metadata(built_wheel)
    for _, job_key, task in wheel_tasks():
        wheel_task = task["python_wheel_task"]
        assert _normalized(wheel_task["package_name"]) == _normalized(name), (job_key, task["task_key"])
        assert wheel_task["entry_point"] in scripts, (job_key, task["task_key"], sorted(scripts))


def _bundle_entry_points() -> list[str]:
    return sorted({task["python_wheel_task"]["entry_point"] for _, _, task in wheel_tasks()})


@pytest.mark.parametrize("entry_point", _bundle_entry_points())
def test_entry_point_answers_help_without_starting_spark(entry_point: str, built_wheel: Path) -> None:
    _, scripts = _wheel_metadata(built_wheel)
    module, _, function = scripts[entry_point].partition(":")
    # No Java reachable: a command that opened a Spark session here would fail, not print help.
    env = {**os.environ, "JAVA_HOME": "/nonexistent", "PATH": str(VENV_BIN)}
    completed = subprocess.run(
        [sys.executable, "-c", f"import sys; from {module} import {function}; {function}(sys.argv[1:])", "--help"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.startswith("usage:")
    assert "--use-case" in completed.stdout and "--set" in completed.stdout


def _defaults(job: dict[str, Any]) -> dict[str, str]:
    """Job parameter defaults with `${var.x}` replaced by the bundle variables' defaults."""
    variables = {name: str(spec["default"]) for name, spec in _load(BUNDLE_FILE)["variables"].items()}
    return {
        parameter["name"]: re.sub(r"\$\{var\.(\w+)\}", lambda m: variables[m.group(1)], str(parameter["default"]))
        for parameter in job.get("parameters", [])
    }


def _substitute(argument: str, job_parameters: dict[str, str]) -> str:
    return re.sub(r"\{\{job\.parameters\.(\w+)\}\}", lambda m: job_parameters[m.group(1)], argument)


def resolved_task_arguments() -> list[tuple[str, str, list[str]]]:
    """(job key, task key, arguments) with `{{job.parameters.x}}` replaced by the defaults."""
    resolved = []
    for path in bundle_files():
        for job_key, job in _load(path).get("resources", {}).get("jobs", {}).items():
            defaults = _defaults(job)
            for task in job["tasks"]:
                arguments = [_substitute(a, defaults) for a in task["python_wheel_task"]["parameters"]]
                resolved.append((job_key, task["task_key"], arguments))
    return resolved


@pytest.mark.parametrize(("job_key", "task_key", "arguments"), resolved_task_arguments())
def test_task_arguments_make_a_valid_databricks_configuration(job_key: str, task_key: str, arguments: list[str]) -> None:
    parser = job_parser(task_key)
    parser.add_argument("--alias")
    args = parser.parse_args(arguments)
    settings = load_settings(args.use_case, args.env, args.conf_dir, args.overrides)
    assert settings.runtime == "databricks"
    assert settings.lakehouse.root.startswith(f"/Volumes/{settings.lakehouse.catalog}/{settings.use_case.schema_}/")
    assert settings.model.name == _load(BUNDLE_FILE)["variables"]["model_name"]["default"]
