"""Candidates from config, the log target, tuning by CV / train-validation split, determinism."""

from __future__ import annotations

import logging
import math
import re

import pytest
from pyspark.ml import PipelineModel
from pyspark.ml.linalg import Vectors
from pyspark.sql import functions as F

from transforms.modeling.candidates import FIT_LABEL, build_candidate
from transforms.modeling.classification import classification_statistics
from transforms.modeling.estimators import ModelConfigError
from transforms.modeling.metrics import build_evaluator
from transforms.modeling.target import InverseLogPrediction, transformed_label
from transforms.modeling.tuning import (
    Preprocessing,
    assign_folds,
    fold_count,
    stable_layout,
    tune_pipeline,
)

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def regression_rows(spark):
    # y = exp(0.3 x1 + 0.1 x2 + 1): exactly linear on the log scale.
    rows = [(i, Vectors.dense([float(i % 9), float(i % 4)]), math.exp(0.3 * (i % 9) + 0.1 * (i % 4) + 1))
            for i in range(48)]
    return spark.createDataFrame(rows, ["id", "features", "y"]).withColumn(
        FIT_LABEL, transformed_label("y", "log"))


def _lasso(target: str = "log"):
    return build_candidate("lasso", "linear_regression", "regression", {"elasticNetParam": 1.0},
                           {"regParam": [0.0, 0.5]}, "features", "y", target)


def test_log_target_predicts_on_the_original_scale_and_persists(regression_rows, tmp_path) -> None:
    candidate = _lasso()
    model = candidate.estimator.fit(regression_rows, candidate.param_maps[0])
    scored = model.transform(regression_rows)
    worst = scored.agg(F.max(F.abs(F.col("prediction") / F.col("y") - 1))).first()[0]
    assert worst < 1e-3
    model.write().save(str(tmp_path / "m"))
    reloaded = PipelineModel.load(str(tmp_path / "m"))
    assert isinstance(reloaded.stages[-1], InverseLogPrediction)
    assert reloaded.transform(regression_rows).select("prediction").collect() == scored.select("prediction").collect()


def test_log_of_a_non_positive_label_is_a_clear_error(spark) -> None:
    frame = spark.createDataFrame([(0.0,)], "y double").select(transformed_label("y", "log").alias("t"))
    with pytest.raises(Exception, match="log target: y must be > 0"):
        frame.collect()


def _search(candidate, rows, method: str, folds: int, ratio: float, parallelism: int, metric: str = "rmse"):
    laid_out = assign_folds(rows, ["id"], method, folds, ratio, 7)
    [result] = tune_pipeline(Preprocessing([], []), [candidate], laid_out, build_evaluator("regression", metric, "y"),
                             fold_count(method, folds), lambda c, frame: stable_layout(frame, ["id"], 2),
                             lambda c: parallelism)
    return result


def test_cross_validation_prefers_the_unpenalised_lasso_and_is_deterministic(regression_rows) -> None:
    runs = [_search(_lasso(), regression_rows, "cross_validation", 2, 0.8, 2) for _ in range(2)]
    assert runs[0].best_params == {"regParam": 0.0}
    assert [row["mean"] for row in runs[0].rows] == [row["mean"] for row in runs[1].rows]
    assert runs[0].rows[0]["std"] >= 0.0
    forest = build_candidate("forest", "random_forest_regressor", "regression", {"numTrees": 5, "seed": 3},
                             {"maxDepth": [2, 3]}, "features", "y")
    first, second = (_search(forest, regression_rows, "train_validation_split", 2, 0.75, 1) for _ in range(2))
    assert first.rows == second.rows and first.tuned


def test_tuning_says_how_far_it_is_fold_by_fold(regression_rows, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="transforms.modeling.tuning"):
        _search(_lasso(), regression_rows, "cross_validation", 2, 0.8, 2)
    assert [re.sub(r"in \d+\.\d s$", "in N s", m) for m in caplog.messages] == [
        "tuning: fold 1 of 2, 2 fits, in N s", "tuning: fold 2 of 2, 2 fits, in N s",
        "tuning: lasso refitted on all rows in N s"]


def test_tuning_on_rmsle_reads_predictions_back_on_the_label_scale(regression_rows) -> None:
    result = _search(_lasso(), regression_rows, "cross_validation", 2, 0.8, 2, metric="rmsle")

    # The data are exactly linear on the log scale: unpenalised, the log error is ~0; a penalty
    # shrinks the fit, and the smaller error wins although rmsle is lower-is-better.
    assert result.best_params == {"regParam": 0.0}
    assert result.rows[0]["mean"] < 1e-3 < result.rows[1]["mean"] < 1.0


def test_config_errors_name_the_candidate() -> None:
    with pytest.raises(ModelConfigError, match="lasso: unknown grid parameter 'depth'"):
        build_candidate("lasso", "linear_regression", "regression", {}, {"depth": [1]}, "features", "y")
    with pytest.raises(ModelConfigError, match="early stopping is for boosted trees"):
        build_candidate("lasso", "linear_regression", "regression", {}, {}, "features", "y", "none", 10)
    with pytest.raises(ModelConfigError, match="lasso: parameter 'regParam': Could not convert many to float"):
        build_candidate("lasso", "linear_regression", "regression", {}, {"regParam": [0.1, "many"]}, "features", "y")


def test_xgboost_candidate_uses_the_given_workers_and_early_stopping() -> None:
    candidate = build_candidate("xgb", "xgboost_regressor", "regression", {"n_estimators": 5},
                                {"max_depth": [2, 3]}, "features", "y", "log", 10, workers=2)
    stage = candidate.model_stage
    assert stage.getOrDefault("num_workers") == 2
    assert stage.getOrDefault("early_stopping_rounds") == 10
    assert stage.getOrDefault("validationIndicatorCol") == "_validation"
    assert len(candidate.param_maps) == 2


def test_classification_statistics_on_a_tiny_scored_frame(spark) -> None:
    rows = [(1.0, 0.9), (1.0, 0.8), (0.0, 0.7), (1.0, 0.6), (0.0, 0.2), (0.0, 0.1)]
    scored = spark.createDataFrame(
        [(y, Vectors.dense([1 - p, p])) for y, p in rows], ["y", "probability"])
    stats = classification_statistics(scored, "y", 0.5)
    # Pairs (positive, negative) ranked right: 8 of 9.
    assert stats["metrics"]["roc_auc"] == pytest.approx(8 / 9)
    assert stats["confusion"] == {"tp": 3, "fp": 1, "fn": 0, "tn": 2}
    expected_loss = -sum(math.log(p) if y else math.log(1 - p) for y, p in rows) / len(rows)
    assert stats["metrics"]["log_loss"] == pytest.approx(expected_loss)
