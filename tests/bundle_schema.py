"""Validation of bundle files against the Databricks CLI's official bundle JSON schema, offline.

tests/data/databricks_bundle_schema.json is that schema unmodified (see its .NOTICE). Two rules
need care to apply it as the CLI does:
- Its patterns use Unicode classes (`\\p{L}`, `\\p{N}`) in the `${...}` references it accepts in
  place of typed values (`num_workers: ${var.workers}`); Python's `re` has no `\\p`, so the
  `pattern` keyword is evaluated with the `regex` package, which implements them.
- Its top level accepts any key (`additionalProperties: {}`), so that YAML anchors can sit there;
  the CLI then warns `unknown field: <key>` for a top-level key that is not a field and holds no
  anchor (libs/dyn/convert/normalize.go). `unknown_top_level_keys` applies that rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import regex
import yaml
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from tests.paths import REPO_ROOT

SCHEMA: dict[str, Any] = json.loads(
    (REPO_ROOT / "tests" / "data" / "databricks_bundle_schema.json").read_text(encoding="utf-8"))


def _unicode_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    # JSON schema patterns are unanchored: a search, as jsonschema's own `pattern` does.
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


BundleValidator = validators.extend(Draft202012Validator, {"pattern": _unicode_pattern})
_VALIDATOR = BundleValidator(SCHEMA)


def schema_errors(document: dict[str, Any]) -> list[str]:
    """One line per violation of the official schema: the path in the document and the message."""
    lines = [f"{'/'.join(map(str, e.absolute_path)) or '<top>'}: {e.message}"
             for error in _VALIDATOR.iter_errors(document) for e in _causes(error)]
    return list(dict.fromkeys(lines))


def _causes(error: ValidationError) -> Iterator[ValidationError]:
    """The errors inside a `oneOf` that fits nothing (a mapping, or a `${...}` reference string),
    without those of the alternatives the value's type rules out: a misspelt key deep in a
    resource is reported as itself, not as "not valid under any of the given schemas"."""
    inner = [cause for cause in error.context if cause.validator not in ("type", "pattern")]
    if not inner:
        yield error
    for cause in inner:
        yield from _causes(cause)


class _AnchorRecordingLoader(yaml.SafeLoader):
    """Composes the node tree and remembers which nodes carry an anchor (`&name`)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.anchored: set[int] = set()

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        node = super().compose_node(parent, index)
        if not isinstance(event, yaml.AliasEvent) and getattr(event, "anchor", None):
            self.anchored.add(id(node))
        return node


def unknown_top_level_keys(text: str) -> list[str]:
    """Top-level keys the CLI would warn about: not a field of the schema's top level, no anchor."""
    loader = _AnchorRecordingLoader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    if not isinstance(root, yaml.MappingNode):
        return []

    def anchor_container(node: yaml.Node) -> bool:
        if id(node) in loader.anchored:
            return True
        if isinstance(node, yaml.MappingNode):
            children = [value for _, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            return False
        return bool(children) and all(anchor_container(child) for child in children)

    fields = SCHEMA["properties"]
    return [key.value for key, value in root.value if key.value not in fields and not anchor_container(value)]
