"""The Databricks bundle, checked offline: official schema, each target's names and compute, the wheel.

No workspace is needed: every YAML file validates against the Databricks CLI's official bundle
JSON schema (tests/data, with examples from the CLI's own repository), each target is resolved
as the CLI would (tests/bundle_config.py, with a made-up deploying user) to prove dev and prod
never share a schema, model or experiment, every entry point a task names is in the wheel the
artifact builds and answers `--help` without starting a JVM, and every task's arguments make a
configuration our settings accept.
"""

from __future__ import annotations

import copy
import functools
import itertools
import operator
import os
import re
import shlex
import subprocess
import sys
import zipfile
from configparser import ConfigParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from jobs.common.config import Settings, load_settings
from tests.bundle_config import (
    Deployer,
    bundle_files,
    deployed_task_settings,
    for_target,
    load_yaml,
    merge,
)
from tests.bundle_schema import SCHEMA, schema_errors, unknown_top_level_keys
from tests.paths import REPO_ROOT
from tests.spark_processes import scratch_dir

ROOT = REPO_ROOT
BUNDLE_FILE = ROOT / "databricks.yml"
EXAMPLES = ROOT / "tests" / "data" / "bundle_examples"
TARGETS = sorted(load_yaml(BUNDLE_FILE)["targets"])
VENV_BIN = Path(sys.executable).parent


def _name(path: Path) -> str:
    return path.name


@pytest.mark.parametrize("path", bundle_files(BUNDLE_FILE) + sorted(EXAMPLES.glob("*.yml")), ids=_name)
def test_file_validates_against_the_official_schema(path: Path) -> None:
    assert schema_errors(load_yaml(path)) == []
    assert unknown_top_level_keys(path.read_text(encoding="utf-8")) == []


def test_the_cli_examples_have_schemas_volumes_presets_and_sync() -> None:
    examples = functools.reduce(merge, [load_yaml(p) for p in sorted(EXAMPLES.glob("*.yml"))], {})
    assert examples["resources"]["schemas"] and examples["resources"]["volumes"]
    assert examples["targets"]["dev"]["presets"] and examples["sync"]["paths"]


def test_a_misspelt_top_level_key_is_reported() -> None:
    text = (EXAMPLES / "default_python_classic_databricks.yml").read_text(encoding="utf-8")
    misspelt = text.replace("\ntargets:\n", "\ntarget:\n")
    assert misspelt != text
    # The schema's top level takes any key (YAML anchors live there); the CLI's rule does not.
    assert schema_errors(yaml.safe_load(misspelt)) == []
    assert unknown_top_level_keys(misspelt) == ["target"]


def test_a_top_level_anchor_is_not_an_unknown_key() -> None:
    text = "cluster_defaults: &cluster\n  num_workers: 2\nbundle:\n  name: anchors\n"
    assert unknown_top_level_keys(text) == []


def test_misspelt_resource_and_task_keys_fail_validation() -> None:
    document = copy.deepcopy(load_yaml(ROOT / "resources" / "unity_catalog.yml"))
    schema = document["resources"]["schemas"]["lakehouse_ml"]
    schema["catalog"] = schema.pop("catalog_name")
    task = copy.deepcopy(load_yaml(ROOT / "resources" / "jobs.yml")["resources"]["jobs"]["lakehouse_ml_scoring"]["tasks"][0])
    task["python_wheel_taks"] = task.pop("python_wheel_task")
    document["resources"]["jobs"] = {"scoring": {"tasks": [task]}}
    errors = "\n".join(schema_errors(document))
    assert "'catalog' was unexpected" in errors and "'python_wheel_taks' was unexpected" in errors, errors


@pytest.mark.parametrize(("value", "valid"), [
    (2, True), ("${var.num_workers}", True), ("${var.größe}", True), ("two", False), ("${num_workers}", False),
])
def test_typed_values_take_the_references_the_schema_allows(value: object, valid: bool) -> None:
    cluster = {"job_cluster_key": "c", "new_cluster": {"num_workers": value}}
    document = {"resources": {"jobs": {"j": {"name": "j", "job_clusters": [cluster]}}}}
    assert (schema_errors(document) == []) is valid, schema_errors(document)


def test_the_bundle_has_a_default_dev_a_serverless_and_a_prod_target() -> None:
    targets = load_yaml(BUNDLE_FILE)["targets"]
    assert targets["dev"] == {**targets["dev"], "mode": "development", "default": True}
    assert targets["serverless"]["mode"] == "development"
    assert targets["prod"]["mode"] == "production"
    assert targets["prod"]["workspace"]["root_path"] and targets["prod"]["permissions"]


def test_the_resolver_names_what_it_cannot_resolve(tmp_path: Path) -> None:
    bundle = tmp_path / "databricks.yml"
    bundle.write_text("bundle: {name: b}\nresources: {schemas: {s: {catalog_name: main, name: '${var.missing}'}}}\n"
                      "targets: {dev: {mode: development}}\n")
    with pytest.raises(KeyError, match=r"\$\{var\.missing\}: no such value"):
        for_target(bundle, "dev")
    with pytest.raises(KeyError, match="no target 'prod'; targets: dev"):
        for_target(bundle, "prod")


@functools.cache
def resolved(target: str) -> dict[str, Any]:
    return for_target(BUNDLE_FILE, target)


@functools.cache
def task_settings(target: str) -> list[tuple[str, str, Settings]]:
    return deployed_task_settings(resolved(target))


def names_used(target: str) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {"schema": set(), "model": set(), "experiment": set()}
    for _, _, settings in task_settings(target):
        schema = f"{settings.lakehouse.catalog}.{settings.use_case.schema_}"
        used["schema"].add(schema)
        used["model"].add(f"{schema}.{settings.model.name}")
        used["experiment"].add(settings.mlflow.experiment)
    return used


@pytest.mark.parametrize(("first", "second"), list(itertools.combinations(TARGETS, 2)))
def test_targets_never_share_a_schema_model_or_experiment(first: str, second: str) -> None:
    names_first, names_second = names_used(first), names_used(second)
    for kind, names in names_first.items():
        assert names.isdisjoint(names_second[kind]), (kind, names, names_second[kind])


def test_prod_keeps_the_shared_names_and_dev_gets_the_user_s_own() -> None:
    assert names_used("prod") == {"schema": {"main.house_sales"}, "model": {"main.house_sales.house_sales_price"},
                                  "experiment": {"/Shared/lakehouse-ml"}}
    user = Deployer()
    assert names_used("dev") == {
        "schema": {f"main.dev_{user.short_name}_house_sales"},
        "model": {f"main.dev_{user.short_name}_house_sales.dev_{user.short_name}_house_sales_price"},
        "experiment": {f"/Workspace/Users/{user.user_name}/lakehouse-ml-dev"},
    }


def test_the_databricks_environment_defaults_to_the_prod_deployment() -> None:
    (_, _, prod), *_ = task_settings("prod")
    defaults = load_settings(prod.use_case.name, "databricks")
    names = ("lakehouse.catalog", "use_case.schema_", "lakehouse.root", "lakehouse.landing", "mlflow.experiment")
    assert [operator.attrgetter(n)(defaults) for n in names] == [operator.attrgetter(n)(prod) for n in names]


@pytest.mark.parametrize("target", TARGETS)
def test_every_task_uses_the_schema_volumes_and_model_its_target_creates(target: str) -> None:
    resources = resolved(target)["resources"]
    schema = resources["schemas"]["lakehouse_ml"]
    model = resources["registered_models"]["model"]
    volumes = {key: f"/Volumes/{v['catalog_name']}/{v['schema_name']}/{v['name']}" for key, v in resources["volumes"].items()}
    assert model["schema_name"] == schema["name"] and model["catalog_name"] == schema["catalog_name"]
    for job_key, task_key, settings in task_settings(target):
        where = (target, job_key, task_key)
        assert settings.runtime == "databricks", where
        assert (settings.lakehouse.catalog, settings.use_case.schema_) == (schema["catalog_name"], schema["name"]), where
        assert settings.model.name == model["name"], where
        assert (settings.lakehouse.root, settings.lakehouse.landing) == (volumes["lakehouse"], volumes["landing"]), where


def test_only_prod_grants_privileges_and_keeps_its_schema_on_destroy() -> None:
    prod = resolved("prod")["resources"]["schemas"]["lakehouse_ml"]
    assert {grant["principal"] for grant in prod["grants"]} == {"admins", "account users"}
    assert prod["lifecycle"] == {"prevent_destroy": True}
    assert "grants" not in resolved("dev")["resources"]["schemas"]["lakehouse_ml"]


@pytest.mark.parametrize("target", TARGETS)
def test_every_task_records_the_deployed_commit_and_target(target: str) -> None:
    for job_key, task_key, settings in task_settings(target):
        lineage = (settings.lineage.git_commit, settings.lineage.bundle_target)
        assert lineage == (Deployer().git_commit, target), (job_key, task_key)


@pytest.mark.parametrize("target", TARGETS)
def test_every_task_runs_on_exactly_one_compute_of_its_job(target: str) -> None:
    for job_key, job in resolved(target)["resources"]["jobs"].items():
        clusters = {cluster["job_cluster_key"] for cluster in job.get("job_clusters", [])}
        environments = {environment["environment_key"] for environment in job.get("environments", [])}
        for task in job["tasks"]:
            compute = [key for key in ("job_cluster_key", "environment_key", "existing_cluster_id") if key in task]
            assert len(compute) == 1, (target, job_key, task["task_key"], compute)
            if "job_cluster_key" in task:
                assert task["job_cluster_key"] in clusters and task["libraries"], (target, job_key, task["task_key"])
            else:  # serverless: the wheel comes with the environment, a task takes no libraries
                assert task["environment_key"] in environments and "libraries" not in task


def test_the_serverless_target_runs_every_task_on_serverless_compute() -> None:
    for job in resolved("serverless")["resources"]["jobs"].values():
        assert "job_clusters" not in job
        assert all("environment_key" in task for task in job["tasks"])
        assert all(environment["spec"]["dependencies"] == ["../dist/*.whl"] for environment in job["environments"])


@pytest.mark.parametrize("target", ["dev", "prod"])
def test_job_clusters_use_a_current_access_mode(target: str) -> None:
    node = SCHEMA["$defs"]["github.com"]["databricks"]["databricks-sdk-go"]["service"]["compute.DataSecurityMode"]
    modes = node["oneOf"][0]
    descriptions = dict(zip(modes["enum"], modes["enumDescriptions"], strict=True))
    for job in resolved(target)["resources"]["jobs"].values():
        for cluster in job["job_clusters"]:
            mode = cluster["new_cluster"]["data_security_mode"]
            # The schema documents the legacy and deprecated modes in their descriptions.
            assert mode in descriptions and not re.search(r"legacy|deprecated", descriptions[mode], re.I), mode


def _artifact() -> dict[str, Any]:
    return load_yaml(BUNDLE_FILE)["artifacts"]["lakehouse_ml_wheel"]


def _wheel_references(document: Any) -> list[str]:
    """Every cluster library wheel and serverless environment dependency in a bundle document."""
    if isinstance(document, list):
        return [ref for item in document for ref in _wheel_references(item)]
    if not isinstance(document, dict):
        return []
    found = [document["whl"]] if "whl" in document else []
    found += document.get("spec", {}).get("dependencies", []) if "environment_key" in document else []
    return found + [ref for value in document.values() for ref in _wheel_references(value)]


def test_every_wheel_a_task_installs_is_the_one_the_artifact_builds() -> None:
    assert shlex.split(_artifact()["build"]) == ["uv", "build", "--wheel"]
    expected = (ROOT / _artifact()["path"] / "dist").resolve()  # uv build's default output folder
    references = [(path, ref) for path in bundle_files(BUNDLE_FILE) for ref in _wheel_references(load_yaml(path))]
    assert len(references) >= 2  # the job clusters' library and the serverless environments' dependency
    for path, reference in references:
        # Paths in a bundle file are relative to that file.
        assert ((path.parent / reference).parent.resolve(), Path(reference).name) == (expected, "*.whl"), path


@pytest.fixture(scope="module")
def built_wheel():
    """The wheel exactly as the bundle's artifact builds it, into a temporary folder."""
    with scratch_dir("lakehouse-wheel-") as out:
        command = [*shlex.split(_artifact()["build"]), "--out-dir", str(out)]
        env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        completed = subprocess.run(command, cwd=ROOT / _artifact()["path"], env=env,
                                   capture_output=True, text=True, timeout=600)
        assert completed.returncode == 0, completed.stderr[-3000:]
        (wheel,) = out.glob("lakehouse_ml-*.whl")
        yield wheel


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


def _wheel_tasks() -> list[dict[str, Any]]:
    return [task for target in TARGETS for job in resolved(target)["resources"]["jobs"].values() for task in job["tasks"]]


def test_every_entry_point_the_bundle_names_is_in_the_built_wheel(built_wheel: Path) -> None:
    name, scripts = _wheel_metadata(built_wheel)
    for task in _wheel_tasks():
        wheel_task = task["python_wheel_task"]
        assert _normalized(wheel_task["package_name"]) == _normalized(name), task["task_key"]
        assert wheel_task["entry_point"] in scripts, (task["task_key"], sorted(scripts))


@pytest.mark.parametrize("entry_point", sorted({task["python_wheel_task"]["entry_point"] for task in _wheel_tasks()}))
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
