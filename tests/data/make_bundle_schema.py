"""Write databricks_bundle_schema.json, the JSON schema tests/test_bundle.py checks the bundle with.

The official schema is the one `databricks bundle schema` prints; the CLI could not be built
here (the Go module proxy refuses github.com/databricks/cli) and no registry package ships the
JSON itself. Databricks' `databricks-bundles` package (PyPI) holds the same resource model as
typed dataclasses generated from that schema, so the resource part (jobs, their tasks, clusters,
schedules, permissions...) is derived from it field by field; the few top-level sections
(bundle, variables, artifacts, include, workspace, permissions, targets) follow the bundle
configuration reference. Every object is closed (additionalProperties: false), so a misspelt
key fails validation as `databricks bundle validate` reports it.

    pip install databricks-bundles==1.22.1 jsonschema
    python tests/data/make_bundle_schema.py
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from importlib.metadata import version
from pathlib import Path
from typing import Any

from databricks.bundles.core._variable import Variable
from databricks.bundles.jobs import Job

OUTPUT = Path(__file__).with_name("databricks_bundle_schema.json")
# A `${...}` reference (variable, bundle, workspace, resources) wherever a value may stand.
INTERPOLATION = {"type": "string", "pattern": r"\$\{[^}]+\}"}
SCALARS = {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
           bool: {"type": "boolean"}, typing.Any: {}}


class SchemaBuilder:
    """Turns the typed dataclasses into JSON schema, one `$defs` entry per class."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def of(self, tp: Any) -> dict[str, Any]:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if tp in SCALARS:
            return SCALARS[tp]
        if origin is typing.Literal:
            return {"enum": list(args)}
        if origin in (typing.Union, types.UnionType):
            options = [self.of(arg) for arg in args if arg is not type(None)]
            return {"anyOf": options} if len(options) > 1 else options[0]
        if origin is Variable or tp is Variable:
            return INTERPOLATION
        if origin is list:
            return {"type": "array", "items": self.of(args[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.of(args[1])}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return {"enum": [member.value for member in tp]}
        if dataclasses.is_dataclass(tp):
            return self._dataclass(tp)
        raise TypeError(f"no JSON schema rule for {tp!r}")

    def _dataclass(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        if name not in self.defs:
            self.defs[name] = {}  # placeholder: recursive types refer to it while it is built
            hints = typing.get_type_hints(cls)
            fields = [f for f in dataclasses.fields(cls) if f.name in hints]
            self.defs[name] = {
                "type": "object",
                "properties": {f.name: self.of(hints[f.name]) for f in fields},
                "required": [
                    f.name for f in fields
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                ],
                "additionalProperties": False,
            }
        return {"anyOf": [{"$ref": f"#/$defs/{name}"}, INTERPOLATION]}


def closed(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or [],
            "additionalProperties": False}


def string_or_reference() -> dict[str, Any]:
    return {"type": "string"}


def bundle_schema() -> dict[str, Any]:
    builder = SchemaBuilder()
    job = builder.of(Job)
    text = string_or_reference()
    permission = closed({"level": text, "user_name": text, "group_name": text,
                         "service_principal_name": text}, ["level"])
    resources = closed({"jobs": {"type": "object", "additionalProperties": job}})
    variable = closed({
        "description": text,
        "default": {},
        "type": {"enum": ["complex"]},
        "lookup": {"type": "object", "additionalProperties": text},
    })
    workspace = closed({"host": text, "profile": text, "root_path": text, "artifact_path": text,
                        "file_path": text, "state_path": text, "resource_path": text})
    artifact = closed({"type": {"enum": ["whl", "jar"]}, "build": text, "path": text,
                       "executable": text, "dynamic_version": {"type": "boolean"},
                       "files": {"type": "array", "items": closed({"source": text}, ["source"])}})
    run_as = closed({"user_name": text, "service_principal_name": text})
    target = closed({
        "mode": {"enum": ["development", "production"]},
        "default": {"type": "boolean"},
        "workspace": workspace,
        "variables": {"type": "object"},
        "permissions": {"type": "array", "items": permission},
        "run_as": run_as,
        "resources": resources,
        "artifacts": {"type": "object", "additionalProperties": artifact},
        "presets": {"type": "object"},
    })
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": (
            f"Generated by tests/data/make_bundle_schema.py from databricks-bundles "
            f"{version('databricks-bundles')} (Databricks' typed bundle resource model); do not edit."
        ),
        **closed({
            "bundle": closed({"name": text, "databricks_cli_version": text, "uuid": text}, ["name"]),
            "variables": {"type": "object", "additionalProperties": variable},
            "artifacts": {"type": "object", "additionalProperties": artifact},
            "include": {"type": "array", "items": text},
            "workspace": workspace,
            "permissions": {"type": "array", "items": permission},
            "run_as": run_as,
            "resources": resources,
            "targets": {"type": "object", "additionalProperties": target},
        }),
        "$defs": builder.defs,
    }


if __name__ == "__main__":
    OUTPUT.write_text(json.dumps(bundle_schema(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")
