"""Selectors by name, composed into a Pipeline from config; the report of a fitted one as rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pyspark.ml import Pipeline, PipelineModel
from pyspark.sql import DataFrame, SparkSession

from transforms.params import set_params
from transforms.selection._base import SelectionError, Selector, SelectorModel
from transforms.selection.constant import DropConstantFeatures
from transforms.selection.correlation import DropCorrelatedFeatures, SmartCorrelatedSelection
from transforms.selection.drift import DropHighPSIFeatures
from transforms.selection.duplicates import DropDuplicateFeatures
from transforms.selection.information_value import SelectByInformationValue
from transforms.selection.model_based import SelectFromLasso, SelectFromTreeImportance
from transforms.selection.permutation import SelectByShuffling
from transforms.selection.recursive import RecursiveFeatureAddition, RecursiveFeatureElimination
from transforms.selection.single_feature import SelectBySingleFeaturePerformance
from transforms.selection.univariate import UnivariateSelector

SELECTORS: dict[str, type[Selector]] = {
    "constant": DropConstantFeatures,
    "duplicates": DropDuplicateFeatures,
    "correlation": DropCorrelatedFeatures,
    "smart_correlation": SmartCorrelatedSelection,
    "univariate": UnivariateSelector,
    "single_feature": SelectBySingleFeaturePerformance,
    "lasso": SelectFromLasso,
    "tree_importance": SelectFromTreeImportance,
    "shuffle": SelectByShuffling,
    "recursive_elimination": RecursiveFeatureElimination,
    "recursive_addition": RecursiveFeatureAddition,
    "information_value": SelectByInformationValue,
    "drift": DropHighPSIFeatures,
}

REPORT_SCHEMA = (
    "step int, selector string, feature string, statistic string, value double, "
    "threshold double, decision string, reason string"
)


@dataclass(frozen=True)
class SelectionStep:
    selector: str
    params: Mapping[str, Any] = field(default_factory=dict)


def build_selector(step: SelectionStep, features_col: str, label_col: str, task: str) -> Selector:
    """One selector of kind `step.selector`, reading and rewriting `features_col` in place.

    The label column and task come from the use case; a step's params may still override them.
    """
    if step.selector not in SELECTORS:
        raise SelectionError(f"unknown selector {step.selector!r}; known: {', '.join(sorted(SELECTORS))}")
    selector = SELECTORS[step.selector]()
    defaults = {"featuresCol": features_col, "outputCol": features_col, "labelCol": label_col, "task": task}
    # A selector without a label or task takes the use case's defaults it has, and no others.
    known = {name: value for name, value in defaults.items() if selector.hasParam(name)}
    return set_params(selector, {**known, **step.params}, f"selector {step.selector!r}", SelectionError)


def build_selection_pipeline(
    steps: Sequence[SelectionStep], features_col: str, label_col: str, task: str
) -> Pipeline:
    """A `Pipeline` applying the selectors in order, each on what the previous one kept."""
    if not steps:
        raise SelectionError("a selection needs at least one step")
    return Pipeline(stages=[build_selector(s, features_col, label_col, task) for s in steps])


def selection_report(model: PipelineModel | SelectorModel) -> list[dict[str, Any]]:
    """One row per (step, feature it saw): the decision and its reason, ready for a table or CSV."""
    stages = model.stages if isinstance(model, PipelineModel) else [model]
    rows = []
    for step, stage in enumerate(s for s in stages if isinstance(s, SelectorModel)):
        rows.extend({"step": step, **asdict(decision)} for decision in stage.report())
    return [{key: row[key] for key in _REPORT_COLUMNS} for row in rows]


_REPORT_COLUMNS = [part.split()[0] for part in REPORT_SCHEMA.split(", ")]


def report_frame(spark: SparkSession, rows: list[dict[str, Any]]) -> DataFrame:
    """The report rows as a DataFrame with a fixed schema (stable Delta table columns)."""
    return spark.createDataFrame([tuple(row[c] for c in _REPORT_COLUMNS) for row in rows], REPORT_SCHEMA)
