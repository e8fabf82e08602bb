"""The train job leaves out the training rows `train.outliers` finds, and says which."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from jobs.train import train
from tests.ingest_fixtures import ingested

pytestmark = pytest.mark.slow

USE_CASE = {
    "use_case": {"name": "sales", "schema": "sales_outliers", "key": ["sid"], "label": "price"},
    "sources": [{"name": "sales", "path": "sales", "format": "csv", "options": {"header": "true"},
                 "table": "sales_bronze", "key": ["sid"], "columns": {"sid": "int", "area": "double", "price": "double"}}],
    "split": {"test_fraction": 0.25},
    "features": {"steps": [{"stage": "assemble", "columns": ["area"]}]},
    # One candidate, no grid: the job, not the tuning, is under test.
    "model": {"candidates": [{"algorithm": "linear_regression", "params": {"loss": "huber"}}]},
    "train": {"outliers": {"max_scales": 6, "max_share": 0.01}},
}
PARTIAL_SALE = 77  # sold for a tenth of its size's price


def _sales_csv(rows: int = 400) -> str:
    lines = ["sid,area,price"]
    for sid in range(1, rows + 1):
        area = 50 + sid % 150
        price = 1000 * area + 500 * ((sid * 7) % 5 - 2)
        lines.append(f"{sid},{area},{price / 10 if sid == PARTIAL_SALE else price}")
    return "\n".join(lines) + "\n"


def test_the_far_off_training_row_is_left_out_and_named(spark, tmp_path: Path) -> None:
    context = ingested(spark, tmp_path, USE_CASE, _sales_csv())
    training = context.tables.read("sales_silver").where("sid = 77")
    assert training.count() == 1

    result = train(context)

    [line] = result["defaults"]
    judged = int(line.split(" of ")[1].split(" ")[0])
    assert line.startswith("train.outliers: left out 1 of") and line.endswith(f"sid (scales off) {PARTIAL_SALE} ("
                                                                             f"{line.rsplit('(', 1)[1]}")
    assert result["train_rows"] == judged - 1
    assert mlflow.get_run(result["run_id"]).data.metrics["train_outliers_left_out"] == 1
    assert "train.outliers: left out 1 of" in Path(result["report"]).read_text()
    assert result["metrics"]["r2"] > 0.99  # the far-off row did not pull the model (test rows: whole)
