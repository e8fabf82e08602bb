"""Training rows far off a robust linear fit of the label, to leave out of fitting and tuning.

A regression label with a few rows far off the rest (a partial sale of a huge house, a typo)
wrecks cross-validation: in the fold that validates on them a linear model extrapolates to a
wild prediction and loses to trees it would otherwise beat. `train.exclude` names such rows
by hand; this finds them from the data, the same way on every use case: one linear model
fitted with the Huber loss on the training rows' features (squared near the fit, absolute
beyond `HUBER_EPSILON` scales, so the far-off rows barely pull it) also estimates `scale`, the
spread of the ordinary rows' residuals. A row whose residual exceeds `max_scales` of it is far
off; at most `max_share` of the rows are left out, the farthest first, so a label with heavy
tails loses its few worst rows, not a slice of itself. Test rows are never judged.

Pure: Spark ML fits, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.ml import Pipeline
from pyspark.ml.base import Estimator, Transformer
from pyspark.ml.regression import LinearRegression
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.modeling.defaults import HUBER_EPSILON

# The column `far_off_rows` adds: |label - robust prediction|, on the fit label's scale.
RESIDUAL_COLUMN = "_robust_residual"
_PREDICTION = "_robust_prediction"
_STANDARD_LABEL = "_robust_label"
# One point of the default linear candidate's grid; the scale hardly depends on it.
ROBUST_REG_PARAM = 0.01
# Keys of rows left out that come back to the driver, to be named in the log and the report.
NAMED_KEYS = 5


@dataclass(frozen=True)
class OutlierRule:
    """Leave out rows more than `max_scales` robust scales off, at most `max_share` of them."""

    max_scales: float
    max_share: float


@dataclass(frozen=True)
class FarOffRows:
    """What the rule found: the first `NAMED_KEYS` keys left out (the farthest first) and their
    residuals in scales, the robust scale (on the label's scale), how many rows were judged, how
    many are left out and how many were beyond the bound; `frame` holds the key of every row left
    out, cached (None when none is), for an anti-join: the keys are never collected."""

    keys: list[tuple]
    scales: list[float]
    scale: float
    judged: int
    count: int
    beyond: int = 0  # rows beyond the bound, before the share capped them
    frame: DataFrame | None = None


def far_off_rows(scored: DataFrame, key: Sequence[str], label: str, prediction: str, scale: float,
                 rule: OutlierRule, rows: int) -> DataFrame:
    """The key and `RESIDUAL_COLUMN` of the rows of `scored` whose |`label` - `prediction`|
    exceeds `rule.max_scales` x `scale`, the largest first (ties by key), at most
    floor(`rule.max_share` x `rows`) of them."""
    limit = math.floor(rule.max_share * rows)
    residual = F.abs(F.col(label) - F.col(prediction))
    far = scored.select(*key, residual.alias(RESIDUAL_COLUMN)).where(F.col(RESIDUAL_COLUMN) > rule.max_scales * scale)
    return far.orderBy(F.desc(RESIDUAL_COLUMN), *key).limit(limit)


def robust_fit(features_col: str, label: str) -> LinearRegression:
    """The linear model whose residuals judge the rows: Huber loss, as the default candidate."""
    return LinearRegression(featuresCol=features_col, labelCol=label, predictionCol=_PREDICTION, loss="huber",
                            epsilon=HUBER_EPSILON, regParam=ROBUST_REG_PARAM, maxIter=100)


def find_far_off_rows(stages: Sequence[Estimator | Transformer], rows: DataFrame, key: Sequence[str],
                      features_col: str, label: str, rule: OutlierRule) -> FarOffRows:
    """Fit `stages` and the robust linear model on `rows` (its label column `label`: the fit
    label, log(label) under a log target) and find the rows `far_off_rows` leaves out. No fit
    when the share allows no row (fewer than 1 / `rule.max_share` rows): the scale is then NaN."""
    judged = rows.count()
    cap = math.floor(rule.max_share * judged)
    if cap == 0:
        return FarOffRows([], [], math.nan, judged, 0)
    # Spark's Huber fit starts from a scale of 1 and stops early, far from the optimum, on a
    # label in the hundred thousands (a slope of 2.3 for 1000 in tests/…/test_outliers.py):
    # it is fitted on the standardised label, and the fit is scale-equivariant.
    mean, std = rows.select(F.mean(label), F.stddev(label)).first()
    std = std if std else 1.0  # a constant label: nothing to standardise
    standard = rows.withColumn(_STANDARD_LABEL, (F.col(label) - F.lit(mean)) / F.lit(std))
    model = Pipeline(stages=[*stages, robust_fit(features_col, _STANDARD_LABEL)]).fit(standard)
    scale = float(model.stages[-1].scale)
    # One pass over the training rows: only the rows beyond the bound are kept (cached), and the
    # share's cap is taken from them.
    everyone = OutlierRule(rule.max_scales, 1.0)
    beyond_bound = far_off_rows(model.transform(standard), key, _STANDARD_LABEL, _PREDICTION, scale, everyone,
                                judged).cache()
    beyond = beyond_bound.count()
    far = beyond_bound.orderBy(F.desc(RESIDUAL_COLUMN), *key).limit(cap).cache()
    count = far.count()
    beyond_bound.unpersist()
    named = far.orderBy(F.desc(RESIDUAL_COLUMN), *key).limit(NAMED_KEYS).collect()
    if not count:
        far.unpersist()
    return FarOffRows([tuple(row[c] for c in key) for row in named],
                      [row[RESIDUAL_COLUMN] / scale if scale > 0 else math.inf for row in named], scale * std, judged,
                      count, beyond, far.select(*key) if count else None)
