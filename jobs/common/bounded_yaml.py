"""YAML parsing with limits: file size, expanded size, nesting depth, no self-referencing aliases.

PyYAML shares the node an alias points to, so a few lines of nested aliases (the "billion
laughs") parse quickly into a structure that is small in memory but astronomically large once
merged and validated, which then hangs the job. The shipped use cases reuse a column list with
an anchor, so aliases stay allowed; the document is refused when its expansion is too large.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_BYTES = 1_000_000
# Scalars, sequences and mappings once every alias is expanded; a shipped use case has ~1000.
MAX_EXPANDED_NODES = 100_000


class YamlLimitError(ValueError):
    """The document is too large, too deep or expands too far to be a configuration."""


class _BoundedLoader(yaml.SafeLoader):
    def compose_document(self) -> Node:
        node = super().compose_document()
        _expanded_size(node, {}, set())
        return node


def _expanded_size(node: Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """Nodes of `node` with aliases expanded; each shared node is counted once per use, visited once."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_nodes:
        raise YamlLimitError("an alias refers to a node that contains it")
    open_nodes.add(id(node))
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(_expanded_size(child, sizes, open_nodes) for child in node.value)
    elif isinstance(node, MappingNode):
        size += sum(
            _expanded_size(key, sizes, open_nodes) + _expanded_size(value, sizes, open_nodes)
            for key, value in node.value
        )
    open_nodes.discard(id(node))
    if size > MAX_EXPANDED_NODES:
        raise YamlLimitError(f"expands to more than {MAX_EXPANDED_NODES} values (aliases of aliases?)")
    sizes[id(node)] = size
    return size


def load(text: str | bytes) -> Any:
    """Parse one YAML document within the limits; YamlLimitError or yaml.YAMLError otherwise."""
    if len(text) > MAX_BYTES:
        raise YamlLimitError(f"larger than {MAX_BYTES} bytes")
    try:
        # A SafeLoader subclass: no Python objects are built from the YAML.
        return yaml.load(text, Loader=_BoundedLoader)
    except RecursionError:
        raise YamlLimitError("nested too deeply") from None
