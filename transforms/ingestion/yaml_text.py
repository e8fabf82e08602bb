"""A tiny YAML writer for commented configuration files: every key with its comment.

PyYAML drops comments and ruamel.yaml is not a dependency, so files a person reviews are
written here. Strings are written plain only when YAML cannot read them as anything else;
otherwise double-quoted (JSON escapes are YAML escapes), so `?`, `NA`, `yes`, `no`, `on`,
`1e5`, `2020-01-01` and `" age"` come back as the same strings. `data` gives what a YAML
loader must read back, for a check.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

WIDTH = 100
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
# Words YAML 1.1 (PyYAML) reads as booleans or null, and missing-value words a reader may
# take for one (quoted so that a null token visibly stays text).
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "na", "none", "nan"}


@dataclass(frozen=True)
class Entry:
    """`key: value` with a comment line above it and an optional note after the value.

    A value is a scalar, a list of scalars or of flow mappings (written on one line), a list
    of `Entry` (a nested mapping) or a list of such lists (a list of mappings).
    """

    key: str
    value: Any
    comment: str = ""
    note: str = ""


@dataclass(frozen=True)
class Item:
    """One mapping of a list of mappings, with a comment after its dash."""

    entries: list[Entry]
    comment: str = ""


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        if exponent:  # PyYAML reads a float only with a dot and a signed exponent: 1.0e-05
            mantissa = mantissa if "." in mantissa else f"{mantissa}.0"
            text = f"{mantissa}e{exponent if exponent[0] in '+-' else '+' + exponent}"
        return text
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text)


def flow(value: Any) -> str:
    """A value on one line: scalars, [lists] and {mappings}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def _wrapped(head: str, value: Any, indent: str) -> list[str]:
    """`head` + the flow value, broken after commas of a long list (YAML allows it in flow style)."""
    if not isinstance(value, list | tuple) or len(head) + len(flow(value)) <= WIDTH or not value:
        return [head + flow(value)]
    lines, line = [], head + "["
    for index, item in enumerate(value):
        part = flow(item) + ("," if index < len(value) - 1 else "]")
        if len(line) + len(part) + 1 > WIDTH and not line.endswith("["):
            lines.append(line)
            line = indent + "    " + part
        else:
            line += ("" if line.endswith("[") else " ") + part
    return [*lines, line]


def _printable(text: str) -> str:
    # A line break in a comment (a file name holding one) would start a line of YAML.
    return "".join(c if c.isprintable() else "?" for c in text)


def _comment(text: str, indent: str) -> list[str]:
    return [f"{indent}# {_printable(text)}"] if text else []


def lines(entries: list[Entry], indent: str = "") -> list[str]:
    out: list[str] = []
    for entry in entries:
        out += _comment(entry.comment, indent)
        head = f"{indent}{scalar(entry.key)}:"
        note = f"  # {_printable(entry.note)}" if entry.note else ""
        value = entry.value
        if isinstance(value, list) and value and all(isinstance(v, Entry) for v in value):
            out.append(head + note)
            out += lines(value, indent + "  ")
        elif isinstance(value, list) and value and all(isinstance(v, Item) for v in value):
            out.append(head + note)
            for item in value:
                out.append(f"{indent}  -" + (f" # {_printable(item.comment)}" if item.comment else ""))
                out += lines(item.entries, indent + "    ")
        else:
            wrapped = _wrapped(head + " ", value, indent)
            out += [*wrapped[:-1], wrapped[-1] + note]
    return out


def render(entries: list[Entry], header: list[str] = ()) -> str:
    return "\n".join([*(line for h in header for line in _comment(h, "")), *lines(entries)]) + "\n"


def data(entries: list[Entry]) -> dict[str, Any]:
    """What a YAML loader reads from `render(entries)`."""
    def value_of(value: Any) -> Any:
        if isinstance(value, list) and value and all(isinstance(v, Entry) for v in value):
            return data(value)
        if isinstance(value, list) and value and all(isinstance(v, Item) for v in value):
            return [data(item.entries) for item in value]
        return value

    return {entry.key: value_of(entry.value) for entry in entries}
