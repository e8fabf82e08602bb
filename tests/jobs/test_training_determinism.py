"""The same seed and the same rows give the same metrics, however the table was written.

The rows of a Delta table come back in the order and partitions its writer happened to use
(shuffle partitions, appends, MERGEs), so two lakehouses holding the same data can hand the
train job the same rows in different layouts. Training must not see the difference.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, job_parser, open_context
from jobs.common.model_inputs import training_rows
from jobs.features import build_features
from jobs.train import train
from transforms.modeling.tuning import FOLD_COLUMN, stable_layout, with_folds

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

# Row subsampling and column sampling (xgboost), an early-stopping slice, a log target and
# 2-fold cross-validation of two candidates: every place where row order could leak in.
CANDIDATES = (
    "[{name: lasso, algorithm: linear_regression, params: {elasticNetParam: 1.0, maxIter: 50},"
    "  grid: {regParam: [0.01]}},"
    " {name: xgboost, algorithm: xgboost_regressor,"
    "  params: {n_estimators: 30, learning_rate: 0.3, subsample: 0.6, colsample_bytree: 0.7, random_state: 0},"
    "  grid: {max_depth: [3]}, early_stopping: true}]"
)


def _context(tmp: Path, *extra: str) -> JobContext:
    overrides = [
        f"lakehouse.root={tmp}/lakehouse", f"lakehouse.landing={tmp}/landing",
        f"mlflow.tracking_uri=sqlite:///{tmp}/mlflow.db", f"mlflow.artifact_location={tmp}/mlartifacts",
        "features.input_table=tiny_raw", "features.output_table=tiny_features",
        "features.steps=[{stage: assemble, columns: [x1, x2, x3]}]",
        f"model.candidates={CANDIDATES}", "model.target_transform=log",
        "train.folds=2", "train.seed=11", "train.early_stopping_rounds=5", *extra,
    ]
    return open_context(job_parser("determinism").parse_args([a for o in overrides for a in ("--set", o)]))


def _rows(spark) -> DataFrame:
    rows = [(i, float(i % 13), float((i * 7) % 11), float((i * 5) % 17),
             100.0 + 9.0 * (i % 13) + 4.0 * ((i * 7) % 11) + ((i * 5) % 17) ** 1.5 + (i * 37) % 10)
            for i in range(1, 161)]
    return spark.createDataFrame(rows, "sale_id int, x1 double, x2 double, x3 double, sale_price double")


def _trained(spark, tmp: Path, layout, *extra: str) -> dict:
    context = _context(tmp, *extra)
    context.tables.write(layout(_rows(spark)), "tiny_raw")
    build_features(context)
    return {**train(context), "tracking_uri": context.settings.mlflow.tracking_uri}


@pytest.fixture(scope="module")
def two_runs(spark, tmp_path_factory) -> tuple[dict, dict]:
    # The same 160 rows: once in one partition by ascending key, once in three shuffled by a hash.
    one_sorted = _trained(spark, tmp_path_factory.mktemp("sorted"), lambda df: df.orderBy("sale_id").coalesce(1))
    three_mixed = _trained(spark, tmp_path_factory.mktemp("mixed"),
                           lambda df: df.repartition(3, F.xxhash64("x3", "x1")).sortWithinPartitions(F.desc("x2")))
    return one_sorted, three_mixed


def test_same_rows_in_another_layout_train_to_identical_metrics(two_runs) -> None:
    first, second = two_runs
    assert first["candidate"] == second["candidate"]
    assert first["metrics"] == second["metrics"]
    assert first["baseline"] == second["baseline"]


def test_cross_validation_scores_are_identical_too(two_runs) -> None:
    scores = []
    for trained in two_runs:
        run = MlflowClient(trained["tracking_uri"]).get_run(trained["run_id"])
        scores.append({k: v for k, v in run.data.metrics.items() if k.startswith("cv_")})
    assert len(scores[0]) == 4  # mean and std of both candidates
    assert scores[0] == scores[1]


def test_folds_and_layout_follow_the_key_not_the_input_order(spark) -> None:
    frame = _rows(spark).select("sale_id", "x1")
    forward = with_folds(frame.orderBy("sale_id").coalesce(1), ["sale_id"], 3, 5)
    backward = with_folds(frame.orderBy(F.desc("sale_id")).repartition(4), ["sale_id"], 3, 5)
    folds = {r["sale_id"]: r[FOLD_COLUMN] for r in forward.collect()}
    assert folds == {r["sale_id"]: r[FOLD_COLUMN] for r in backward.collect()}
    assert set(folds.values()) == {0, 1, 2}
    laid_out = [stable_layout(f, ["sale_id"], 2).rdd.glom().map(lambda p: [r["sale_id"] for r in p]).collect()
                for f in (forward, backward)]
    assert laid_out[0] == laid_out[1]
    assert all(part == sorted(part) for part in laid_out[0])


def test_training_rows_carry_the_fold(spark, tmp_path) -> None:
    context = _context(tmp_path)
    features = _rows(spark).select("sale_id", F.lit("train").alias("split"), "sale_price")
    rows = training_rows(context.settings, features)
    assert {r[FOLD_COLUMN] for r in rows.select(FOLD_COLUMN).collect()} == {0, 1}


def test_early_stopping_has_rows_whatever_the_split_seed(spark, tmp_path) -> None:
    # split.seed = train.seed + 1 once hashed the early-stopping rows exactly as the test rows
    # (a subset of them): none was left in training and xgboost's early stopping failed.
    trained = _trained(spark, tmp_path, lambda df: df, "split.seed=12")
    assert trained["metrics"]["rmse"] > 0
