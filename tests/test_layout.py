"""The layout the import contract and README describe: thin jobs, a complete contract, mirrored tests.

`lint-imports` (run by `make test`) checks the imports; it can only check modules it is told
about, so these tests keep its lists complete as jobs come and go.
"""

from __future__ import annotations

import pytest
import tomllib

from tests.paths import REPO_ROOT

ORCHESTRATORS = {"jobs.run_all", "jobs.reference_results"}
# "About 120 lines": an adapter that reads config and tables, calls transforms and writes
# tables. A job over this has grown logic that belongs in jobs/common or transforms.
JOB_LINE_BUDGET = 130

CONTRACTS = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def _job_modules() -> set[str]:
    return {f"jobs.{path.stem}" for path in (REPO_ROOT / "jobs").glob("*.py") if path.stem != "__init__"}


def _contract(type_: str, source: str | None = None) -> dict:
    return next(c for c in CONTRACTS if c["type"] == type_ and (source is None or c["source_modules"] == [source]))


def test_the_job_layer_lists_every_job_and_the_orchestrators_sit_above_it():
    layers = _contract("layers")["layers"]
    assert {m.strip() for m in layers[0].split("|")} == ORCHESTRATORS
    assert {m.strip() for m in layers[1].split("|")} == _job_modules() - ORCHESTRATORS
    assert layers[2:] == ["jobs.common", "transforms"]


def test_the_bench_may_import_no_job_module():
    assert set(_contract("forbidden", "bench")["forbidden_modules"]) == _job_modules()


@pytest.mark.parametrize("module", sorted(_job_modules()))
def test_each_job_is_a_thin_adapter(module: str):
    path = REPO_ROOT / (module.replace(".", "/") + ".py")
    lines = len(path.read_text().splitlines())
    assert lines <= JOB_LINE_BUDGET, f"{path.name} has {lines} lines; move logic to jobs/common or transforms"


def test_tests_mirror_the_library_packages():
    library = {p.name for p in (REPO_ROOT / "transforms").iterdir() if (p / "__init__.py").is_file()}
    mirrored = {p.name for p in (REPO_ROOT / "tests" / "transforms").iterdir() if (p / "__init__.py").is_file()}
    assert mirrored <= library, f"tests/transforms/ has folders for no package: {sorted(mirrored - library)}"
