"""Which variables a model may use: identifiers, leaks and protected attributes are refused.

The use case's config names them. A feature step may not consume one of them; nor may a
`derive` expression read a leak or a protected attribute (a value computed from a leak still
leaks; one computed from a protected attribute still encodes it). An identifier may be read by
a derivation — it is refused as a feature because it names a row, not because its content is
off limits, e.g. the title extracted from a passenger's name — but never used as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

IDENTIFIER, LEAK, PROTECTED = "identifier", "leak", "protected"
DESCRIPTIONS = {IDENTIFIER: "an identifier", LEAK: "a leak of the target",
                PROTECTED: "a protected attribute"}
# Stages that only remove columns: naming a forbidden variable there keeps it out of the model.
REMOVING_STAGES = frozenset({"drop"})

# A SQL token: a quoted string (skipped), a `backticked` name, or a bare word; a bare word
# followed by "(" is a function call, not a column.
_TOKEN = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`((?:[^`]|``)+)`|([A-Za-z_][A-Za-z0-9_]*)(\s*\()?")


class GovernanceError(ValueError):
    """A feature list uses a variable the use case forbids as a model input."""


def column_roles(
    identifiers: Iterable[str] = (),
    leaks: Iterable[str] = (),
    protected: Iterable[str] = (),
    key: Iterable[str] = (),
    label: str | None = None,
) -> dict[str, list[str]]:
    """Column -> its governance roles, for the profile's flags."""
    roles: dict[str, list[str]] = {}
    named = [(IDENTIFIER, identifiers), (LEAK, leaks), (PROTECTED, protected), ("key", key),
             ("label", [label] if label else [])]
    for role, columns in named:
        for column in columns:
            roles.setdefault(column, []).append(role)
    return roles


def referenced_columns(expression: str) -> set[str]:
    """Column names a Spark SQL expression reads (string literals and function names excluded)."""
    names = set()
    for match in _TOKEN.finditer(expression):
        quoted, bare, call = match.groups()
        if quoted:
            names.add(quoted.replace("``", "`"))
        elif bare and not call:
            names.add(bare)
    return names


def forbidden_uses(
    steps: Sequence[tuple[str, Sequence[str], Mapping[str, Any]]],
    identifiers: Iterable[str] = (),
    leaks: Iterable[str] = (),
    protected: Iterable[str] = (),
) -> list[str]:
    """Each use of a forbidden variable by the feature steps (stage, columns, params)."""
    direct = {c.lower(): role for role, cs in ((IDENTIFIER, identifiers), (LEAK, leaks),
                                               (PROTECTED, protected)) for c in cs}
    derived = {name: role for name, role in direct.items() if role != IDENTIFIER}
    problems = []
    for stage, columns, params in steps:
        if stage in REMOVING_STAGES:
            continue
        for column in columns:
            if (role := direct.get(column.lower())) is not None:
                problems.append(f"step {stage!r} uses {column!r}, {DESCRIPTIONS[role]}")
        for name, expression in (params.get("expressions") or {}).items():
            for column in sorted(referenced_columns(expression)):
                if (role := derived.get(column.lower())) is not None:
                    problems.append(
                        f"step {stage!r} derives {name!r} from {column!r}, {DESCRIPTIONS[role]}")
    return problems


def check_feature_steps(
    steps: Sequence[tuple[str, Sequence[str], Mapping[str, Any]]],
    identifiers: Iterable[str] = (),
    leaks: Iterable[str] = (),
    protected: Iterable[str] = (),
) -> None:
    """Raise GovernanceError naming every forbidden use; return quietly when there is none."""
    problems = forbidden_uses(steps, identifiers, leaks, protected)
    if problems:
        raise GovernanceError(
            "the feature steps use variables the use case forbids as model inputs "
            "(use_case.identifiers / leaks / protected):\n  " + "\n  ".join(problems)
        )
