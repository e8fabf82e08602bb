"""The Databricks bundle as the CLI sees one target, offline: files merged, target applied, names resolved.

A small model of what `databricks bundle validate -t <target>` does before it deploys, enough
for the tests to compare targets: the root file and its includes are merged (maps deep, lists
appended), the target's overrides are merged in (job tasks joined by task_key), development
mode's name prefix is applied, and `${var.*}`, `${bundle.*}`, `${workspace.current_user.*}` and
`${resources.*}` references are substituted. The rules follow the CLI's code
(bundle/config/root.go MergeTargetOverrides, resourcemutator/merge_job_tasks.go,
apply_target_mode.go, apply_presets.go) for the parts this bundle uses.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jobs.common.cli import job_parser
from jobs.common.config import Settings, load_settings

REFERENCE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class Deployer:
    """Who runs `databricks bundle deploy`, and from which commit."""

    user_name: str = "jane.doe@example.com"
    short_name: str = "jane_doe"
    git_commit: str = "0123456789abcdef0123456789abcdef01234567"


def load_yaml(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path}: a bundle file must be a mapping, found {type(document).__name__}")
    return document


def bundle_files(bundle_file: Path) -> list[Path]:
    """The root file and the files its `include` globs name, in the CLI's order."""
    root = bundle_file.parent
    included = [path for pattern in load_yaml(bundle_file).get("include", []) for path in sorted(root.glob(pattern))]
    return [bundle_file, *included]


def merge(base: Any, override: Any) -> Any:
    """The CLI's merge: maps key by key, sequences appended, anything else replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return [*base, *copy.deepcopy(override)]
    return copy.deepcopy(override if override is not None else base)


def merged_files(bundle_file: Path) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for path in bundle_files(bundle_file):
        config = merge(config, load_yaml(path))
    return config


def _join_by_key(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Elements with the same key merged into one, sorted by key (merge.ElementsBySortedKey)."""
    joined: dict[str, dict[str, Any]] = {}
    for item in items:
        joined[item[key]] = merge(joined.get(item[key], {}), item)
    return [joined[k] for k in sorted(joined)]


def normalize_prefix(prefix: str) -> str:
    """'[dev jane_doe] ' -> 'dev_jane_doe_': the prefix of Unity Catalog names (apply_presets.go)."""
    prefix = prefix.replace("[", "").strip(" ")
    suffix = "_" if prefix.endswith("]") else ""
    letters = "".join(c if unicodedata.category(c)[0] in "LN" else "_" for c in prefix.lower())
    return re.sub("_+", "_", letters).strip("_") + suffix


def for_target(bundle_file: Path, target: str, deployer: Deployer = Deployer()) -> dict[str, Any]:
    """The configuration `target` deploys, every reference resolved."""
    root = merged_files(bundle_file)
    targets = root.pop("targets", {})
    if target not in targets:
        raise KeyError(f"{bundle_file.name}: no target {target!r}; targets: {', '.join(sorted(targets))}")
    overrides = targets[target] or {}
    config = root
    for field in ("bundle", "workspace", "artifacts", "resources", "sync", "permissions", "presets"):
        if field in overrides:
            config[field] = merge(config.get(field), overrides[field])
    for name, value in (overrides.get("variables") or {}).items():
        if name not in config.get("variables", {}):
            raise KeyError(f"targets.{target}.variables.{name}: not a declared variable")
        if isinstance(value, dict) and "default" not in value:
            raise ValueError(f"targets.{target}.variables.{name}: only a value or a default resolves offline")
        config["variables"][name]["default"] = value["default"] if isinstance(value, dict) else value
    config["bundle"] = {**config.get("bundle", {}), "target": target, "mode": overrides.get("mode"),
                        "git": {"commit": deployer.git_commit}}
    for job in config.get("resources", {}).get("jobs", {}).values():
        job["tasks"] = _join_by_key(job.get("tasks", []), "task_key")
        if "job_clusters" in job:
            job["job_clusters"] = _join_by_key(job["job_clusters"], "job_cluster_key")
    _apply_name_prefix(config, deployer)
    config["workspace"] = {**config.get("workspace", {}),
                           "current_user": {"userName": deployer.user_name, "short_name": deployer.short_name}}
    return _resolve(config, config)


def _apply_name_prefix(config: dict[str, Any], deployer: Deployer) -> None:
    """Development mode's prefix: '[dev <user>] ' on job names, 'dev_<user>_' on schemas and models."""
    presets = config.get("presets") or {}
    prefix = presets.get("name_prefix") or (
        f"[dev {deployer.short_name}] " if config["bundle"]["mode"] == "development" else "")
    resources = config.get("resources", {})
    for job in resources.get("jobs", {}).values():
        job["name"] = prefix + job["name"]
    for kind in ("schemas", "registered_models"):
        for resource in resources.get(kind, {}).values():
            resource["name"] = normalize_prefix(prefix) + resource["name"]


def _lookup(config: dict[str, Any], reference: str) -> Any:
    path = reference.split(".")
    if path[0] == "var":
        path = ["variables", path[1], "default", *path[2:]]
    node: Any = config
    for part in path:
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"${{{reference}}}: no such value in the bundle")
        node = node[part]
    return node


def _resolve(value: Any, config: dict[str, Any], depth: int = 0) -> Any:
    if depth > 10:
        raise ValueError(f"{value!r}: references nest more than 10 deep (a cycle?)")
    if isinstance(value, dict):
        return {key: _resolve(item, config, depth) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, config, depth) for item in value]
    if isinstance(value, str) and REFERENCE.search(value):
        whole = REFERENCE.fullmatch(value)
        if whole:  # a whole-value reference keeps the referenced value's type
            return _resolve(_lookup(config, whole.group(1)), config, depth + 1)
        return REFERENCE.sub(lambda m: str(_resolve(_lookup(config, m.group(1)), config, depth + 1)), value)
    return value


def _task_arguments(job: dict[str, Any], task: dict[str, Any]) -> list[str]:
    """The task's arguments with `{{job.parameters.x}}` replaced by the job parameter defaults."""
    defaults = {parameter["name"]: str(parameter["default"]) for parameter in job.get("parameters", [])}
    return [re.sub(r"\{\{job\.parameters\.(\w+)\}\}", lambda m: defaults[m.group(1)], argument)
            for argument in task["python_wheel_task"]["parameters"]]


def deployed_task_settings(config: dict[str, Any]) -> list[tuple[str, str, Settings]]:
    """(job key, task key, the settings the task runs with) for every task of a resolved target."""
    settings = []
    for job_key, job in config["resources"]["jobs"].items():
        for task in job["tasks"]:
            parser = job_parser(task["task_key"])
            parser.add_argument("--alias")
            args = parser.parse_args(_task_arguments(job, task))
            settings.append((job_key, task["task_key"], load_settings(args.use_case, args.env, args.conf_dir, args.overrides)))
    return settings
