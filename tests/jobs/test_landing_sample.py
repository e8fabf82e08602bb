"""Reading the head of a CSV file: bounded in bytes and lines, whatever the file's size or encoding."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from jobs.common.landing_sample import SampleError, read_head


def test_only_the_first_bytes_are_read_and_a_cut_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id,x\n" + "".join(f"{i},{'v' * 20}\n" for i in range(10_000)))

    head = read_head(path, max_bytes=100)

    assert not head.complete and len(head.text) <= 100
    assert head.text.endswith("\n") and all(len(line.split(",")) == 2 for line in head.text.splitlines())


def test_only_the_first_lines_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("id\r\n" + "".join(f"{i}\r\n" for i in range(50)))

    head = read_head(path, max_lines=10)

    assert not head.complete and head.text.splitlines() == ["id", *map(str, range(10))]
    assert read_head(path).complete


def test_a_small_file_is_read_whole_without_its_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffname\ncafé\n".encode())

    head = read_head(path)

    assert (head.text, head.encoding, head.complete, head.files) == ("name\ncafé\n", "UTF-8", True, 1)


def test_bytes_that_are_not_utf8_are_read_as_latin1(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("name\ncafé\n".encode("iso-8859-1"))

    assert read_head(path).encoding == "ISO-8859-1" and "café" in read_head(path).text


def test_a_utf8_character_cut_by_the_byte_limit_is_not_taken_for_latin1(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_bytes("n\né\né\n".encode())

    assert read_head(path, max_bytes=6).encoding == "UTF-8"  # the 6th byte starts an é


def test_a_folder_is_sampled_from_its_first_visible_data_file(tmp_path: Path) -> None:
    (tmp_path / "_manifest").write_text("not data")
    (tmp_path / ".hidden.csv").write_text("not data")
    (tmp_path / "b.csv").write_text("b\n2\n")
    with gzip.open(tmp_path / "a.csv.gz", "wt") as stream:
        stream.write("a\n1\n")

    head = read_head(tmp_path)

    assert (head.path.name, head.text, head.files) == ("a.csv.gz", "a\n1\n", 2)


def test_a_missing_path_or_an_empty_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SampleError, match="no such file or folder"):
        read_head(tmp_path / "nope.csv")
    with pytest.raises(SampleError, match="holds no data file"):
        read_head(tmp_path)
