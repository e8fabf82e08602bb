"""project_wheel finds the wheel to ship with a model where the running code came from."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from jobs.common import project_wheel as module
from jobs.common.project_wheel import project_wheel
from tests.paths import REPO_ROOT

REPO = REPO_ROOT
WHEEL = "lakehouse_ml-0.1.0-py3-none-any.whl"


def _installed_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, direct_url: dict | None) -> None:
    """`jobs` imported from a site-packages folder, the distribution recording `direct_url`."""
    monkeypatch.setattr(module, "jobs", SimpleNamespace(__file__=str(tmp_path / "site" / "jobs" / "__init__.py")))
    recorded = SimpleNamespace(read_text=lambda name: json.dumps(direct_url) if direct_url else None)
    monkeypatch.setattr(module.metadata, "distribution", lambda name: recorded)


def test_built_from_the_checkout_with_its_modules_only(tmp_path):
    wheel = project_wheel(tmp_path)
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("transforms/")}
    assert shipped == {p.relative_to(REPO).as_posix() for p in (REPO / "transforms").rglob("*.py")}


def test_the_local_wheel_pip_installed_from_is_copied(monkeypatch, tmp_path):
    source = tmp_path / "libs" / WHEEL
    source.parent.mkdir()
    source.write_bytes(b"wheel bytes")
    _installed_elsewhere(monkeypatch, tmp_path, {"url": source.as_uri(), "archive_info": {}})
    assert project_wheel(tmp_path / "out").read_bytes() == b"wheel bytes"


@pytest.mark.parametrize("direct_url", [None, {"url": "https://example.org/" + WHEEL, "archive_info": {}},
                                        {"url": "file:///gone/" + WHEEL, "archive_info": {}}])
def test_no_wheel_to_ship_is_one_clear_error(monkeypatch, tmp_path, direct_url):
    _installed_elsewhere(monkeypatch, tmp_path, direct_url)
    with pytest.raises(RuntimeError, match="cannot find a wheel of lakehouse-ml"):
        project_wheel(tmp_path / "out")
