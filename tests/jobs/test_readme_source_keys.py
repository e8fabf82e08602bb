"""The README's "Use your own CSV" lists every key a source takes, and every key of its contract."""

import re

from jobs.common.config import SourceContract, SourceSettings
from tests.paths import REPO_ROOT


def _source_key_table() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("Every key of a source")
    return readme[start:readme.index("\n\n", readme.index("| --- |", start))]


def test_the_readme_lists_every_source_key():
    listed = re.findall(r"^\| `(\w+)` \|", _source_key_table(), flags=re.MULTILINE)
    assert sorted(listed) == sorted(SourceSettings.model_fields)


def test_the_readme_names_every_contract_key_in_the_contract_row():
    row = next(line for line in _source_key_table().splitlines() if line.startswith("| `contract` |"))
    named = re.findall(r"`(\w+)`", row.split("|")[2])
    assert named == list(SourceContract.model_fields)
