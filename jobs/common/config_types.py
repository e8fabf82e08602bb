"""Constrained value types of the configuration: names, relative paths and bounded numbers.

Names from the YAML become Spark SQL identifiers, folder names under the lakehouse root and
parts of Unity Catalog names, so they are checked when the configuration loads: a name that is
not a plain identifier could break out of SQL text (``x; DROP TABLE t``) or of the lakehouse
folder (``../../elsewhere``), and the catalog refuses it only after a job has written files.
"""

from __future__ import annotations

import math
import re
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import AfterValidator, Field

# What Spark's session catalog accepts unquoted for a schema or a table name.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Columns may also start with a digit, as Ames' 1stFlrSF does (Spark's SQL parser reads such a
# name as an identifier); at least one letter or _ keeps it from being a number.
COLUMN = re.compile(r"[A-Za-z0-9_]*[A-Za-z_][A-Za-z0-9_]*")
MAX_NAME_LENGTH = 128
# Java's long: Spark ML's integer parameters and seeds become Java ints or longs.
JAVA_LONG_MAX = 2**63 - 1
# Seeds reach Spark (long), numpy (< 2**32) and xgboost (int): a Java int fits them all.
SEED_MAX = 2**31 - 1
GLOB_CHARACTERS = "*?[]{}\\"


def _name_check(pattern: re.Pattern[str], rule: str):
    def check(value: str) -> str:
        if len(value) > MAX_NAME_LENGTH or not pattern.fullmatch(value):
            raise ValueError(f"expected {rule}, at most {MAX_NAME_LENGTH} characters")
        return value

    return check


_column = _name_check(COLUMN, "a column name of letters, digits and _")


def _relative_path(value: str) -> str:
    """A path under a configured folder: relative, no `..`, no scheme, no control characters."""
    path = PurePosixPath(value)
    if (
        not value
        or path.is_absolute()
        or ".." in path.parts
        or ":" in value
        or "\\" in value
        or _has_control_characters(value)
    ):
        raise ValueError("must be a relative path inside the landing folder: no leading '/', no '..', ':' or '\\'")
    return _no_glob(value)


def _header_name(value: str) -> str:
    # A file's own column name (`home.dest`): anything printable but the quote Spark's column
    # references use.
    if not value or "`" in value or _has_control_characters(value):
        raise ValueError("expected a column name as the files spell it, without '`' or control characters")
    return value


def _folder(value: str) -> str:
    if not value.strip() or _has_control_characters(value):
        raise ValueError("must be a non-empty path without control characters")
    return value


def _no_glob(value: str) -> str:
    # Spark's file readers expand these as a Hadoop glob: a folder named `data[1]` would be
    # read as `data1`, or as nothing, without an error.
    if found := sorted(set(value) & set(GLOB_CHARACTERS)):
        raise ValueError(f"must not contain {''.join(found)!r}: Spark reads it as a file pattern")
    return value


def _has_control_characters(value: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in value)


def _java_numbers(value: Any, where: str = "") -> Any:
    """Numbers inside free-form parameters: finite and within what the JVM can hold."""
    if isinstance(value, dict):
        return {key: _java_numbers(item, f"{where}.{key}".lstrip(".")) for key, item in value.items()}
    if isinstance(value, list):
        return [_java_numbers(item, where) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > JAVA_LONG_MAX:
        raise ValueError(f"{where}: {value} does not fit in a 64-bit integer")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: {value} is not a finite number")
    return value


def _column_params(value: dict[str, Any]) -> dict[str, Any]:
    """Spark ML's `...Col` / `...Cols` parameters name columns: they obey the column rule."""
    for key, item in value.items():
        names = [item] if key.endswith("Col") else item if key.endswith("Cols") else []
        for name in names if isinstance(names, list) else []:
            try:
                _column(str(name))
            except ValueError as error:
                raise ValueError(f"{key}: {error}") from None
    return value


Identifier = Annotated[
    str, AfterValidator(_name_check(IDENTIFIER, "a name of letters, digits and _, not starting with a digit"))
]
ColumnName = Annotated[str, AfterValidator(_column)]
HeaderName = Annotated[str, AfterValidator(_header_name)]
RelativePath = Annotated[str, AfterValidator(_relative_path)]
Folder = Annotated[str, AfterValidator(_folder)]
LandingFolder = Annotated[str, AfterValidator(_folder), AfterValidator(_no_glob)]
Seed = Annotated[int, Field(ge=0, le=SEED_MAX)]
Params = Annotated[dict[str, Any], AfterValidator(_java_numbers), AfterValidator(_column_params)]
Grid = Annotated[dict[str, list[Any]], AfterValidator(_java_numbers)]
