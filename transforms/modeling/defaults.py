"""A default feature pipeline and default candidates for a use case that configures neither.

Chosen from each model input's declared type, (approximate) number of distinct values and
share of nulls, as the reference course would by hand:

* numbers and booleans: a missing indicator where nulls were seen, then median imputation of
  every one of them (a null that first shows up at scoring is filled too);
* text: nulls become a ``Missing`` category; up to :data:`ONE_HOT_MAX_LEVELS` levels are
  one-hot encoded after levels under 5% of rows are grouped; more levels are grouped under 1%
  and encoded by the label's mean order (one column, whatever the cardinality);
* dates and timestamps: year, month and day of week (and hour for timestamps), days elapsed
  from the first date column to each other one, all imputed like numbers;
* constant columns (one value and no nulls, or only nulls) and types no stage reads (arrays,
  maps, binary) are left out.

The regression candidates are a linear model fitted with the Huber loss (robust to a few far-off
labels) and boosted trees; the classification ones logistic regression and boosted trees. With
the regression candidates goes the outlier rule (`default_outlier_rule`): a training row far off
a Huber fit would still decide the linear model's cross-validation score in its fold.

No scaler: the linear candidates standardise their inputs themselves (Spark's
``standardization=True``) and boosted trees do not need it. Pure: no Spark, no I/O; the
result is config-shaped, as a use case's ``features.steps`` and ``model.candidates``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TASKS = ("classification", "regression")
# At most this many levels (a null counted as its "Missing" level) are one-hot encoded.
ONE_HOT_MAX_LEVELS = 10
# Levels under this share of rows are grouped as "Rare" before one-hot (few, sparse dummies)
# and before the ordered encoding of many levels (a code learnt from a handful of rows overfits).
ONE_HOT_RARE_SHARE = 0.05
MANY_LEVELS_RARE_SHARE = 0.01
# Residuals beyond this many scales count linearly in the regression candidate's loss.
HUBER_EPSILON = 1.35
# Regression: training rows whose residual from a Huber linear fit exceeds this many of its
# robust scales are left out of fitting and tuning (at 6, a normal label loses about 2 rows in
# a billion), at most this share of them (transforms/modeling/outliers.py).
OUTLIER_MAX_SCALES = 6.0
OUTLIER_MAX_SHARE = 0.01
DATE_PARTS = ["year", "month", "day_of_week"]
TIMESTAMP_PARTS = [*DATE_PARTS, "hour"]

_NUMERIC = re.compile(r"(tinyint|smallint|short|byte|int|integer|bigint|long|float|real|double|decimal)(\(.*\))?")
_TEXT = re.compile(r"(string|varchar\(\d+\)|char\(\d+\))")


class DefaultsError(ValueError):
    """No default can be chosen: an unknown task, or no column a model could learn from."""


@dataclass(frozen=True)
class ColumnSummary:
    """What the defaults need to know of one model input column."""

    name: str
    type: str  # declared Spark SQL type: int, bigint, double, float, date, timestamp, boolean, string
    distinct: int  # (approximate) number of distinct non-null values
    null_fraction: float  # share of rows that are null


def kind_of(spark_type: str) -> str | None:
    """'numeric', 'boolean', 'date', 'timestamp', 'text', or None for a type no stage reads."""
    declared = spark_type.strip().lower()
    if declared == "boolean":
        return "boolean"
    if declared == "date":
        return "date"
    if declared in ("timestamp", "timestamp_ntz", "timestamp_ltz"):
        return "timestamp"
    if _NUMERIC.fullmatch(declared):
        return "numeric"
    if _TEXT.fullmatch(declared):
        return "text"
    return None


def unused_columns(columns: Sequence[ColumnSummary]) -> dict[str, str]:
    """Input columns the default pipeline leaves out -> why (for the run's log and report)."""
    unused = {}
    for column in columns:
        if kind_of(column.type) is None:
            unused[column.name] = f"type {column.type} is not a feature type"
        elif column.distinct == 0:
            unused[column.name] = "only nulls"
        elif column.distinct == 1 and column.null_fraction == 0:
            unused[column.name] = "one value in every row"
    return unused


def default_feature_steps(columns: Sequence[ColumnSummary], task: str) -> list[dict[str, Any]]:
    """The feature steps for `columns` (model inputs only), ending in ``assemble``."""
    _check_task(task)
    unused = unused_columns(columns)
    kept = [c for c in columns if c.name not in unused]
    if not kept:
        raise DefaultsError("no column to learn from: " + (
            "; ".join(f"{name}: {why}" for name, why in unused.items()) or "the model has no input columns"))
    by_kind: dict[str, list[ColumnSummary]] = {}
    for column in kept:
        by_kind.setdefault(kind_of(column.type) or "", []).append(column)
    numbers = by_kind.get("numeric", []) + by_kind.get("boolean", [])
    dates = by_kind.get("date", []) + by_kind.get("timestamp", [])
    text = by_kind.get("text", [])
    few_levels = [c.name for c in text if c.distinct + (c.null_fraction > 0) <= ONE_HOT_MAX_LEVELS]
    many_levels = [c.name for c in text if c.name not in few_levels]

    date_parts = [f"{c.name}_{part}" for c in dates
                  for part in (TIMESTAMP_PARTS if kind_of(c.type) == "timestamp" else DATE_PARTS)]
    # The first date column is the reference; it is not itself a number a model reads.
    elapsed = [c.name for c in dates[1:]]
    numeric_features = [c.name for c in numbers] + date_parts + elapsed
    with_nulls = [c.name for c in numbers + dates if c.null_fraction > 0]
    indicators = [f"{name}_na" for name in with_nulls]

    steps: list[dict[str, Any]] = []
    _add(steps, "missing_indicator", with_nulls)
    _add(steps, "date_parts", [c.name for c in dates if kind_of(c.type) == "date"], {"parts": DATE_PARTS})
    _add(steps, "date_parts", [c.name for c in dates if kind_of(c.type) == "timestamp"], {"parts": TIMESTAMP_PARTS})
    if elapsed:
        _add(steps, "elapsed_time", elapsed, {"referenceCol": dates[0].name, "unit": "days"})
    # Approximate medians: bounded memory whatever the table's size; exact on small tables.
    _add(steps, "impute_mean_median", numeric_features, {"strategy": "median", "relativeError": 0.001})
    _add(steps, "impute_categorical", [c.name for c in text], {"strategy": "missing"})
    _add(steps, "rare_label", few_levels, {"tol": ONE_HOT_RARE_SHARE, "nCategories": 1})
    _add(steps, "one_hot", few_levels)
    _add(steps, "rare_label", many_levels, {"tol": MANY_LEVELS_RARE_SHARE, "nCategories": 1})
    _add(steps, "ordinal_encode", many_levels, {"encodingMethod": "ordered"})
    steps.append({"stage": "assemble", "columns": numeric_features + indicators + few_levels + many_levels,
                  "params": {}})
    return steps


def default_candidates(task: str) -> list[dict[str, Any]]:
    """A regularised linear model (Huber loss for regression) and boosted trees, each with a
    grid of at most 6 points."""
    _check_task(task)
    classification = task == "classification"
    boosted = f"xgboost_{'classifier' if classification else 'regressor'}"
    linear = {"name": "logistic_regression", "algorithm": "logistic_regression", "params": {"maxIter": 100},
              # elasticNetParam 0: ridge; 0.5: half lasso, which drops useless dummies.
              "grid": {"regParam": [0.001, 0.01, 0.1], "elasticNetParam": [0.0, 0.5]}}
    if not classification:
        # Huber loss: squared near the fit, absolute beyond HUBER_EPSILON scales, so a few rows
        # far off the rest (a partial sale, a typo) cannot pull every coefficient towards them,
        # while a clean label costs little (95% of least squares' efficiency on normal noise).
        # Spark's Huber fit takes an L2 penalty only (elasticNetParam 0).
        linear = {"name": "linear_regression", "algorithm": "linear_regression",
                  "params": {"maxIter": 100, "loss": "huber", "epsilon": HUBER_EPSILON},
                  "grid": {"regParam": [0.001, 0.01, 0.1]}}
    return [
        linear,
        # Early stopping on a held-out slice of the training rows sets the number of trees;
        # no `num_workers`: training gives xgboost one worker per task slot of the session.
        {"name": "xgboost", "algorithm": boosted,
         "params": {"n_estimators": 500, "subsample": 0.8, "colsample_bytree": 0.8, "random_state": 0},
         "grid": {"max_depth": [3, 5], "learning_rate": [0.03, 0.1]},
         "early_stopping": True},
    ]


def default_outlier_rule(task: str) -> dict[str, float] | None:
    """`train.outliers` with the default candidates: the rule for regression, none for classification
    (a class label has no residual to be far off)."""
    _check_task(task)
    return {"max_scales": OUTLIER_MAX_SCALES, "max_share": OUTLIER_MAX_SHARE} if task == "regression" else None


def describe_steps(steps: Sequence[dict[str, Any]]) -> str:
    """One line: each step's stage and how many columns it works on."""
    return ", ".join(f"{s['stage']} ({len(s.get('columns', []))})" for s in steps)


def describe_candidates(candidates: Sequence[dict[str, Any]]) -> str:
    """One line: each candidate's algorithm and the size of its grid."""
    def points(grid: dict[str, list[Any]]) -> int:
        total = 1
        for values in grid.values():
            total *= len(values)
        return total
    return ", ".join(f"{c['algorithm']} ({points(c.get('grid', {}))} grid points)" for c in candidates)


def _add(steps: list[dict[str, Any]], stage: str, columns: list[str], params: dict[str, Any] | None = None) -> None:
    if columns:
        steps.append({"stage": stage, "columns": list(columns), "params": dict(params or {})})


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise DefaultsError(f"unknown task {task!r}; expected one of: {', '.join(TASKS)}")
