"""Settings of a use case with its lakehouse and MLflow store under a test's temporary folder."""

from __future__ import annotations

from pathlib import Path

from jobs.common.config import Settings, load_settings


def make_settings(tmp_path: Path, use_case: str = "house_sales", *overrides: str) -> Settings:
    """Settings of `use_case` with the lakehouse and MLflow under `tmp_path`."""
    return load_settings(
        use_case,
        "local",
        overrides=[
            f"lakehouse.root={tmp_path}/lakehouse",
            f"lakehouse.landing={tmp_path}/landing",
            f"mlflow.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
            f"mlflow.artifact_location={tmp_path}/mlartifacts",
            *overrides,
        ],
    )
