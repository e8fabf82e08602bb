"""What cross-validating the whole model pipeline costs, against the two other ways to do it.

On generated house sales (transforms.ingestion.synthetic, deterministic), one pipeline: the benchmark's
feature steps (bench.pipeline_spec), two selectors, then linear regression with a 2-point grid,
3-fold CV on the training rows. Three ways to tune it, each timed whole (search + refit):

- before: the features and selectors fitted once on all training rows, CV over the estimator
  only. What training did before the model became one pipeline; its CV scores are optimistic
  whenever a stage reads the label (the selectors here do).
- now: transforms.modeling.tuning.tune_pipeline: label-free stages fitted once, the rest refitted
  per fold and shared by the grid points.
- naive: Spark's CrossValidator over Pipeline(all stages + estimator): every stage refitted for
  every fold and every grid point.

    .venv/bin/python -m bench.bench_tuning --rows 200000

Prints one line per way and round (seconds, CV RMSE of the best grid point) and the 1-minute
load average before and after, so a figure is read beside the load it was measured under. The
three ways run `--rounds` times in turn (default 2): the first round also pays the session's
warm-up (code generation, class loading), so read the later ones.
"""

from __future__ import annotations

import argparse
import os
import time

from pyspark.ml import Pipeline
from pyspark.ml.tuning import CrossValidator
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from bench import pipeline_spec as spec
from transforms.features.pipeline import FEATURES_COLUMN, Step, build_feature_pipeline
from transforms.ingestion.synthetic import house_sales
from transforms.modeling.candidates import build_candidate
from transforms.modeling.metrics import build_evaluator
from transforms.modeling.tuning import (
    FOLD_COLUMN,
    Preprocessing,
    stable_layout,
    tune_pipeline,
    with_folds,
)
from transforms.selection import SelectionStep, build_selection_pipeline

FOLDS = 3


def stages(inputs: list[str]) -> list:
    features = build_feature_pipeline([Step(*s) for s in spec.feature_steps()], inputs, label=spec.LABEL)
    selectors = build_selection_pipeline([SelectionStep("constant", {"tol": 0.995}),
                                          SelectionStep("univariate", {"selectionMode": "fpr",
                                                                       "selectionThreshold": 0.01})],
                                         FEATURES_COLUMN, spec.LABEL, "regression")
    return [*features.getStages(), *selectors.getStages()]


def timed(label: str, work) -> None:
    started = time.perf_counter()
    rmse = work()
    print(f"{label:<10} {time.perf_counter() - started:8.1f} s   CV RMSE of the best grid point {rmse:,.0f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    spark = (SparkSession.builder.master(args.master).config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    raw = house_sales(spark, args.rows, seed=42, partitions=4)
    rows: DataFrame = raw.select(*[c for c in raw.columns if not c.startswith("_")])
    rows = with_folds(rows.where(F.col(spec.KEY) % spec.TEST_EVERY != 0), [spec.KEY], FOLDS, 3).cache()
    inputs = [c for c in rows.columns if c not in (spec.LABEL, FOLD_COLUMN)]
    print(f"{rows.count():,} training rows, {FOLDS} folds, 2 grid points; load before {os.getloadavg()[0]:.2f}")
    evaluator = build_evaluator("regression", "rmse", spec.LABEL)

    def candidate():
        return build_candidate("linear", "linear_regression", "regression", {"maxIter": 50},
                               {"regParam": [0.01, 100.0]}, FEATURES_COLUMN, spec.LABEL)

    def before() -> float:
        ready = Pipeline(stages=stages(inputs)).fit(rows).transform(rows).cache()
        lasso = candidate()
        cv = CrossValidator(estimator=lasso.estimator, estimatorParamMaps=lasso.param_maps, evaluator=evaluator,
                            foldCol=FOLD_COLUMN, numFolds=FOLDS, parallelism=2).fit(ready)
        ready.unpersist()
        return min(cv.avgMetrics)

    def now() -> float:
        [result] = tune_pipeline(Preprocessing.of(stages(inputs)), [candidate()], rows, evaluator, FOLDS,
                                 lambda c, frame: stable_layout(frame, [spec.KEY], 2), lambda c: 2)
        return result.best_mean

    def naive() -> float:
        lasso = candidate()
        cv = CrossValidator(estimator=Pipeline(stages=[*stages(inputs), lasso.estimator]),
                            estimatorParamMaps=lasso.param_maps, evaluator=evaluator, foldCol=FOLD_COLUMN,
                            numFolds=FOLDS, parallelism=2).fit(rows)
        return min(cv.avgMetrics)

    for round_ in range(1, args.rounds + 1):
        for label, work in (("before", before), ("now", now), ("naive", naive)):
            timed(f"{label} {round_}", work)
    print(f"load after {os.getloadavg()[0]:.2f}")
    spark.stop()


if __name__ == "__main__":
    main()
