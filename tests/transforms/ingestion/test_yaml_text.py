"""The commented YAML writer: what it writes reads back as the same values, comments and all."""

from __future__ import annotations

import yaml

from transforms.ingestion.yaml_text import Entry, Item, data, render, scalar

TRICKY = ["?", "NA", "yes", "No", "on", "OFF", "y", "null", "~", "", " age", "1e5", "2020-01-01", "0x1F",
          "\t", ",", '"', "a: b", "# not a comment", "[x]", "{x}", "- x", "é", "plain_text", "UTF-8"]


def test_strings_yaml_would_misread_are_quoted_and_read_back_as_written() -> None:
    entries = [Entry("values", TRICKY, "strings"), Entry("as_keys", [Entry(t or "empty", t) for t in TRICKY])]

    assert yaml.safe_load(render(entries)) == data(entries)
    assert scalar("?") == '"?"' and scalar("NA") == '"NA"' and scalar("plain_text") == "plain_text"


def test_numbers_booleans_and_null_read_back_with_their_types() -> None:
    entries = [Entry("n", [0, -3, 0.2, 1e-05, 2.5e20, True, False, None])]

    assert yaml.safe_load(render(entries)) == {"n": [0, -3, 0.2, 1e-05, 2.5e20, True, False, None]}


def test_every_key_has_its_comment_and_nested_lists_of_mappings_read_back() -> None:
    entries = [
        Entry("top", [Entry("a", 1, "the a"), Entry("b", {"x": [1, 2], "y": "?"}, "the b", note="a note")], "top c"),
        Entry("items", [Item([Entry("stage", "one_hot", "stage c"), Entry("columns", ["c"] * 40, "cols c")], "item c")],
              "items c"),
    ]

    text = render(entries, ["header line"])

    assert yaml.safe_load(text) == data(entries)
    assert text.splitlines()[:4] == ["# header line", "# top c", "top:", "  # the a"]
    assert "  b: {x: [1, 2], \"y\": \"?\"}  # a note" in text.splitlines()  # a bare y is true
    assert "  - # item c" in text.splitlines()
    assert max(len(line) for line in text.splitlines()) <= 100  # long lists wrap


def test_a_line_break_in_a_comment_cannot_start_a_line_of_yaml() -> None:
    entries = [Entry("a", 1, "from x\nb: 2", note="y\rc: 3")]

    text = render(entries, ["file\nd: 4"])

    assert yaml.safe_load(text) == {"a": 1}
