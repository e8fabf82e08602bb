"""The first lines of a CSV file (or of the first file of a folder), read in bounded time.

Never the whole file: at most `max_bytes` are read, and a cut at that limit drops the partial
last line (the sample says it is incomplete). UTF-8 is tried first (a byte-order mark is
skipped); bytes that are not UTF-8 are read as ISO-8859-1, which decodes any byte.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from jobs.common.landing_files import is_bookkeeping, is_hidden

MAX_BYTES = 8 * 1024 * 1024
MAX_LINES = 20_000


class SampleError(ValueError):
    """The path names no readable CSV file."""


@dataclass(frozen=True)
class TextSample:
    path: Path
    text: str
    encoding: str
    # The whole file was read (no cut at the byte or line limit).
    complete: bool
    files: int


def data_files(path: Path) -> list[Path]:
    """`path` itself, or the visible files of the folder `path` in name order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise SampleError(f"{path}: no such file or folder")
    files = sorted(p for p in path.iterdir() if p.is_file() and not is_hidden(p.name) and not is_bookkeeping(p.name))
    if not files:
        raise SampleError(f"{path}: the folder holds no data file")
    return files


def _decoded(data: bytes, complete: bool) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the byte limit is not an encoding problem.
        if not complete and error.start >= len(data) - 3:
            return data[: error.start].decode("utf-8-sig"), "UTF-8"
        return data.decode("iso-8859-1"), "ISO-8859-1"


def read_head(path: Path, max_bytes: int = MAX_BYTES, max_lines: int = MAX_LINES) -> TextSample:
    """The first `max_lines` lines (at most `max_bytes`) of the first data file at `path`."""
    files = data_files(path)
    first = files[0]
    opener = gzip.open if first.suffix == ".gz" else open
    try:
        with opener(first, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except (OSError, EOFError) as error:
        raise SampleError(f"{first}: cannot read: {error}") from None
    complete = len(data) <= max_bytes
    if not complete:
        data = data[:max_bytes]
    text, encoding = _decoded(data, complete)
    # "\n" ends a line in "\r\n" files too; str.splitlines would also cut at \x1c, \u2028, ...
    lines = text.split("\n")
    if len(lines) > max_lines + 2:
        text, complete = "\n".join(lines[: max_lines + 1]) + "\n", False
    elif not complete:
        text = "\n".join(lines[:-1]) + "\n"
    return TextSample(first, text, encoding, complete, len(files))
