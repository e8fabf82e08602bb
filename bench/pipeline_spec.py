"""The workload both sides of the pipeline benchmark run: stages, features, split, models.

One definition, so the project (Spark) and the single-machine side (pandas + scikit-learn)
learn from the same rows, the same feature steps and the same model settings.
"""

from __future__ import annotations

from typing import Any

KEY, LABEL, DATE = "sale_id", "sale_price", "sale_date"
NUMERIC = ["house_age", "sale_month", "lot_area", "living_area", "bedrooms", "bathrooms",
           "overall_quality", "garage_cars"]
IMPUTED = ["house_age", "lot_area", "living_area", "bedrooms", "bathrooms", "overall_quality",
           "garage_cars"]
CATEGORICAL = ["neighborhood", "building_type", "kitchen_quality", "pool_quality", "sale_condition"]
CATEGORICAL_WITH_NULLS = ["kitchen_quality", "pool_quality"]
LOGGED = ["lot_area", "living_area"]
PASS_THROUGH = ["neighborhood"]
RARE_TOL = 0.01
# Every fifth sale is held out. A rule on the key both sides can compute: pandas cannot
# reproduce Spark's xxhash64 (transforms.modeling.split), and the generator's values do not depend on
# the id's residue, so this is as random a split as a hash.
TEST_EVERY = 5
# Landing files hold this many rows; the project ingests at most BATCH_FILES of them per
# streaming batch (10M rows: one batch at 10M, ten at 100M, so the cached batch stays bounded).
ROWS_PER_FILE = 500_000
BATCH_FILES = 20
# xgboost (on both sides) holds its training rows in one process's memory: 80M rows of
# features would not fit here. Beyond this many training rows it learns from every k-th block
# of TEST_EVERY keys (booster_sample); at 10M rows and under, from all of them.
MAX_BOOSTER_TRAIN_ROWS = 8_000_000
XGBOOST_PARAMS: dict[str, Any] = {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.3,
                                  "tree_method": "hist"}

# Stage names, in the order they run; both sides report under these names.
STARTUP = "start-up"
GENERATE = "generate"
INGEST = "ingest (bronze+silver)"
IO_FLOOR = "I/O floor (read+write silver)"
PROFILE = "profile"
FEATURE_FIT = "feature fit"
FEATURE_TRANSFORM = "feature transform"
TRAIN_LINEAR = "train linear"
TRAIN_XGBOOST = "train xgboost"
SCORE = "score (no write)"
SCORE_WRITE = "score + write predictions"
STAGES = [STARTUP, GENERATE, INGEST, IO_FLOOR, PROFILE, FEATURE_FIT, FEATURE_TRANSFORM,
          TRAIN_LINEAR, TRAIN_XGBOOST, SCORE, SCORE_WRITE]
# The single-machine side reads the files the project generated.
PANDAS_SKIPS = {GENERATE}
# The user's pipeline from landing files to written predictions (generate and the I/O floor
# are context; scoring without writing is part of scoring with it).
END_TO_END = [STARTUP, INGEST, PROFILE, FEATURE_FIT, FEATURE_TRANSFORM, TRAIN_LINEAR,
              TRAIN_XGBOOST, SCORE_WRITE]
DERIVED = {"house_age": f"year({DATE}) - year_built", "sale_month": f"month({DATE})"}


def booster_sample_every(train_rows: int) -> int:
    """k: xgboost learns from the training rows whose key falls in every k-th block of keys."""
    return max(1, -(-train_rows // MAX_BOOSTER_TRAIN_ROWS))


def in_booster_sample(key: Any, every: int) -> Any:
    """Whether `key` (a Spark Column or a pandas Series) is in the sample; `& ~test` makes it training."""
    return key % (TEST_EVERY * every) < TEST_EVERY


def feature_steps() -> list[tuple[str, list[str], dict[str, Any]]]:
    """(stage, columns, params) of the project's feature pipeline (transforms.features.pipeline)."""
    return [
        ("derive", [], {"expressions": DERIVED}),
        ("impute_mean_median", IMPUTED, {"strategy": "median"}),
        ("impute_categorical", CATEGORICAL_WITH_NULLS, {"strategy": "missing"}),
        ("rare_label", CATEGORICAL, {"tol": RARE_TOL}),
        ("log", LOGGED, {}),
        ("one_hot", CATEGORICAL, {}),
        ("assemble", [*NUMERIC, *CATEGORICAL], {}),
    ]
