"""A copy of the packaged conf folder with a use case of the test's own, `mine.yml`."""

from __future__ import annotations

from pathlib import Path

from jobs.common.config import default_conf_dir


def conf_copy(tmp_path: Path, use_case_text: str) -> Path:
    conf = tmp_path / "conf"
    (conf / "env").mkdir(parents=True)
    (conf / "use_cases").mkdir()
    source = default_conf_dir()
    (conf / "base.yml").write_text((source / "base.yml").read_text())
    (conf / "env" / "local.yml").write_text((source / "env" / "local.yml").read_text())
    (conf / "use_cases" / "mine.yml").write_text(use_case_text)
    return conf


def house_sales_text() -> str:
    return (default_conf_dir() / "use_cases" / "house_sales.yml").read_text()
