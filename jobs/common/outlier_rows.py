"""`train.outliers`: the training rows far off a robust linear fit, left out before tuning, and
what the run says about them (log line, report line, MLflow figures)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import mlflow
from pyspark.ml.base import Estimator, Transformer
from pyspark.sql import DataFrame

from jobs.common.config import Settings
from transforms.features.pipeline import FEATURES_COLUMN
from transforms.modeling.candidates import FIT_LABEL
from transforms.modeling.outliers import NAMED_KEYS, FarOffRows, OutlierRule, find_far_off_rows
from transforms.reporting.numbers import format_number

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class LeftOut:
    """What `train.outliers` found (None: the rule is off) and the line saying so."""

    found: FarOffRows | None = None
    lines: list[str] = field(default_factory=list)

    def log_to_mlflow(self) -> None:
        """The count left out (0 when none) and the robust scale, in the active run."""
        if self.found is not None:
            figures = {"train_outliers_left_out": self.found.count, "train_outliers_scale": self.found.scale}
            mlflow.log_metrics({k: v for k, v in figures.items() if not math.isnan(v)})


def without_far_off_rows(settings: Settings, stages: list[Estimator | Transformer],
                         rows: DataFrame) -> tuple[DataFrame, LeftOut]:
    """`rows` (the cached, prepared training rows) less those `train.outliers` finds far off a
    Huber fit of the fit label through `stages`, cached in their place (`rows` is unpersisted),
    and what was left out. `rows` itself when the rule is off or leaves nothing out."""
    config, use_case = settings.train.outliers, settings.use_case
    if config is None:
        return rows, LeftOut()
    rule = OutlierRule(config.max_scales, config.max_share)
    label = use_case.label if settings.model.target_transform == "none" else FIT_LABEL
    found = find_far_off_rows(stages, rows, use_case.key, FEATURES_COLUMN, label, rule)
    line = describe(found, rule, use_case.key, label != use_case.label)
    log.info("%s", line)
    if found.frame is None:
        return rows, LeftOut(found, [line])
    kept = rows.join(found.frame, use_case.key, "left_anti").cache()
    kept.count()  # materialised before the frames it is computed from are dropped
    found.frame.unpersist()
    rows.unpersist()
    return kept, LeftOut(found, [line])


def describe(found: FarOffRows, rule: OutlierRule, key: list[str], log_label: bool) -> str:
    """One line: how many training rows were left out of how many, by which rule, and the first keys."""
    bound = f"at most {rule.max_share:.1%}"
    if math.isnan(found.scale):
        return f"train.outliers: none left out of {found.judged:,} training rows (too few for one: {bound})"
    scale = f"robust scale {format_number(found.scale)}{' of log(label)' if log_label else ''}"
    capped = f"; {found.beyond:,} were beyond, {bound} go" if found.beyond > found.count else f"; {bound}"
    head = (f"train.outliers: left out {found.count:,} of {found.judged:,} training rows more than "
            f"{rule.max_scales:g} robust scales off a Huber linear fit ({scale}{capped})")
    if not found.count:
        return head
    shown = ", ".join(f"{_key_text(values)} ({scales:.1f})"
                      for values, scales in zip(found.keys[:NAMED_KEYS], found.scales, strict=False))
    more = f", and {found.count - NAMED_KEYS:,} more" if found.count > NAMED_KEYS else ""
    return f"{head}: {', '.join(key)} (scales off) {shown}{more}"


def _key_text(values: tuple) -> str:
    return str(values[0]) if len(values) == 1 else "(" + ", ".join(map(str, values)) + ")"
