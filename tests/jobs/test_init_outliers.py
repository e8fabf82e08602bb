"""lakehouse-init writes the outlier rule, with its comment, for a regression and not for a classification."""

from __future__ import annotations

from pathlib import Path

import yaml

from jobs.common.config import OutlierSettings, load_settings
from jobs.init_use_case import main
from tests.jobs.test_init_use_case import messy_csv


def _prices_csv(path: Path) -> Path:
    """A positive, skewed price per house: a regression label."""
    lines = ["HouseId,Area,Price"] + [f"{i},{50 + i % 70},{round(1000 * 1.05 ** (i % 60))}" for i in range(1, 201)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_regression_gets_train_outliers_with_a_comment(tmp_path: Path) -> None:
    output = tmp_path / "prices.yml"
    main([str(_prices_csv(tmp_path / "prices.csv")), "--label", "Price", "--output", str(output)])

    written = yaml.safe_load(output.read_text())
    assert written["use_case"]["task"] == "regression"
    assert written["train"]["outliers"] == {"max_scales": 6.0, "max_share": 0.01}
    lines = output.read_text().splitlines()
    at = lines.index("  outliers:")
    assert lines[at - 1].startswith("  # Training rows far off a robust (Huber) linear fit")
    assert load_settings(str(output)).train.outliers == OutlierSettings(max_scales=6.0, max_share=0.01)


def test_a_classification_gets_none(tmp_path: Path) -> None:
    output = tmp_path / "churn.yml"
    main([str(messy_csv(tmp_path / "churn.csv", rows=40)), "--label", "Churn", "--output", str(output)])

    assert "outliers" not in yaml.safe_load(output.read_text())["train"]
