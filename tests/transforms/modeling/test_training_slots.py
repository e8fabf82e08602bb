"""xgboost.spark sized to the session's task slots: its workers, the fits run at once, its threads."""

from __future__ import annotations

import pytest
from pyspark.ml.linalg import Vectors
from pyspark.sql import functions as F

from transforms.modeling import tuning
from transforms.modeling.candidates import build_candidate
from transforms.modeling.estimators import ModelConfigError, build_estimator
from transforms.modeling.metrics import regression_metrics
from transforms.modeling.training import (
    TrainingPlan,
    barrier_workers,
    concurrent_fits,
    prepared_training_rows,
    tune_candidates,
)
from transforms.modeling.tuning import stable_layout


@pytest.mark.parametrize(("parallelism", "slots", "workers", "fits"), [
    (2, 2, None, 2),  # Spark ML fits share the slots: as many as asked for
    (5, 2, None, 5),
    (2, 2, 2, 1),     # an xgboost fit that takes every slot runs alone
    (4, 2, 2, 1),     # however many are asked for
    (4, 4, 2, 2),     # two 2-worker fits fill 4 slots together
    (1, 4, 2, 1),     # never more than asked for
    (8, 4, 1, 4),
    (3, 5, 2, 2),
])
def test_barrier_fits_never_ask_for_more_slots_together_than_there_are(parallelism, slots, workers, fits) -> None:
    assert concurrent_fits(parallelism, slots, workers) == fits
    assert workers is None or concurrent_fits(parallelism, slots, workers) * workers <= slots


def test_barrier_workers_are_xgboosts_largest_num_workers(spark) -> None:
    forest = build_candidate("forest", "random_forest_regressor", "regression", {}, {}, "features", "y")
    assert barrier_workers(forest) is None
    xgb = build_candidate("xgb", "xgboost_regressor", "regression", {}, {"max_depth": [2, 3]}, "features", "y",
                          workers=2)
    assert barrier_workers(xgb) == 2
    pinned = build_candidate("xgb", "xgboost_regressor", "regression", {"num_workers": 1}, {}, "features", "y",
                             workers=4)
    assert barrier_workers(pinned) == 1  # the configured value wins over the slots
    searched = build_candidate("xgb", "xgboost_regressor", "regression", {}, {"num_workers": [1, 3]},
                               "features", "y", workers=2)
    assert barrier_workers(searched) == 3


@pytest.mark.parametrize("param", ["nthread", "n_jobs"])
def test_xgboost_threads_are_refused_with_the_spark_conf_to_set(param) -> None:
    with pytest.raises(ModelConfigError, match=rf"^xgboost_regressor: parameter '{param}' .* spark\.task\.cpus"):
        build_estimator("xgboost_regressor", "regression", {param: 2}, "features", "y", workers=2)


@pytest.fixture(scope="module")
def rows(spark):
    # y = 3 x1 - 2 x2 + a step in x3, plus a small deterministic wiggle: 240 rows, 3 features.
    data = [(i, Vectors.dense([float(i % 17), float(i % 7), float(i % 5)]),
             3.0 * (i % 17) - 2.0 * (i % 7) + (4.0 if i % 5 > 2 else 0.0) + ((i * 37) % 10) / 10)
            for i in range(240)]
    return spark.createDataFrame(data, ["id", "features", "y"])


@pytest.mark.slow  # two xgboost.spark fits on a busy machine: ~25 s
def test_two_workers_on_two_slots_train_as_well_as_one(rows) -> None:
    train, test = rows.where(F.col("id") % 4 != 0), rows.where(F.col("id") % 4 == 0)
    metrics = {}
    for workers in (1, 2):
        estimator = build_estimator("xgboost_regressor", "regression",
                                    {"n_estimators": 40, "max_depth": 3, "learning_rate": 0.3}, "features", "y",
                                    workers)
        # One partition per worker, as training lays its rows out: xgboost.spark keeps them.
        model = estimator.fit(stable_layout(train, ["id"], workers))
        assert model.getOrDefault("num_workers") == workers
        metrics[workers] = regression_metrics(model.transform(test), "y")
    # Two workers merge their histograms into the same split candidates (here: identical RMSE,
    # 0.999 against a label of standard deviation 15); allow a little for quantile merging.
    assert metrics[2]["r2"] > 0.99
    assert abs(metrics[2]["rmse"] - metrics[1]["rmse"]) <= 0.05 * metrics[1]["rmse"]


@pytest.mark.slow  # five xgboost.spark fits: ~1 min on a busy machine
def test_tuning_fits_xgboost_on_every_slot_one_at_a_time(rows, monkeypatch) -> None:
    pools = []

    class RecordedPool(tuning.ThreadPool):
        def __init__(self, processes: int) -> None:
            pools.append(processes)
            super().__init__(processes)

    monkeypatch.setattr(tuning, "ThreadPool", RecordedPool)
    candidate = build_candidate("xgb", "xgboost_regressor", "regression", {"n_estimators": 10},
                                {"max_depth": [2, 3]}, "features", "y", workers=2)
    plan = TrainingPlan(key=["id"], task="regression", label="y", metric="rmse", folds=2)
    # Four fits asked for at once on two slots: each 2-worker fit must have both to itself.
    [result] = tune_candidates(plan, [candidate], [], prepared_training_rows(rows, plan), slots=2, parallelism=4,
                               search=True, histogram=False)
    assert pools == [1, 1]  # one pool per fold, one fit at a time
    # CV RMSE 2.45 with 10 trees against a label of standard deviation 15.
    assert result.estimator.getOrDefault("num_workers") == 2 and result.best_mean < 5.0
