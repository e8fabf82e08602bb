"""This project's own wheel, to ship inside a logged model.

A registered model's custom stages (`transforms`) load only where this project is installed,
and `lakehouse-ml` is on no package index: so the model carries the wheel itself. It comes from
where the running code comes from, in this order:

- a source checkout (an editable install, a run from the repository): built from a clean copy
  of it with `pip wheel --no-deps`. A copy, because setuptools reuses the checkout's `build/`
  folder and would put modules deleted since the last build into the wheel;
- a wheel on `sys.path` (`spark-submit --py-files lakehouse_ml-....whl`): that file;
- a wheel installed with pip from a local file (PEP 610 `direct_url.json`, what a Databricks
  job library leaves): that file, if it is still there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

import jobs

DISTRIBUTION = "lakehouse-ml"
# What the build needs besides the Python packages themselves (pyproject names README.md).
_BUILD_FILES = ("pyproject.toml", "README.md", "LICENSE")


def project_wheel(dest: Path) -> Path:
    """Put this project's wheel into the folder `dest` and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    source = Path(jobs.__file__).resolve().parents[1]
    if _is_project_root(source):
        return _build(source, dest)
    for candidate in (_wheel_on_sys_path(source), _installed_wheel_file()):
        if candidate is not None:
            return Path(shutil.copy2(candidate, dest / candidate.name))
    raise RuntimeError(f"cannot find a wheel of {DISTRIBUTION} to ship with the model: {source} is no source "
                       "checkout, no wheel file, and the installed distribution records no local wheel file; "
                       "install the project from a checkout or from a wheel file")


def _is_project_root(folder: Path) -> bool:
    pyproject = folder / "pyproject.toml"
    return pyproject.is_file() and f'name = "{DISTRIBUTION}"' in pyproject.read_text(encoding="utf-8")


def _build(source: Path, dest: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="wheel-src-") as tmp:
        copy = Path(tmp) / "src"
        copy.mkdir()
        for name in _BUILD_FILES:
            if (source / name).is_file():
                shutil.copy2(source / name, copy / name)
        for package in sorted(p.parent for p in source.glob("*/__init__.py")):
            shutil.copytree(package, copy / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        built = Path(tmp) / "dist"
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir",
                                 str(built), str(copy)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"building the {DISTRIBUTION} wheel from {source} failed: {result.stderr.strip()}")
        (wheel,) = built.glob("*.whl")
        return Path(shutil.move(str(wheel), dest / wheel.name))


def _wheel_on_sys_path(source: Path) -> Path | None:
    """The wheel file `jobs` was imported from (`.../lakehouse_ml-0.1.0-py3-none-any.whl/jobs`)."""
    return source if source.suffix == ".whl" and source.is_file() else None


def _installed_wheel_file() -> Path | None:
    try:
        recorded = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    url = urlparse(json.loads(recorded).get("url", "")) if recorded else None
    if url is None or url.scheme != "file" or not url.path.endswith(".whl"):
        return None
    path = Path(unquote(url.path))
    return path if path.is_file() else None
