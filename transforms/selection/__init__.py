"""Feature selectors as Spark ML estimators that report what they dropped and why.

Every selector works on an assembled vector column, keeps the ML attribute names of the kept
slots (or, given `inputCols`, on plain numeric columns), and its fitted model's `report()`
returns one :class:`Decision` per input feature.
:func:`build_selection_pipeline` turns config steps into a `Pipeline`; :func:`selection_report`
collects the decisions of a fitted one.
"""

from transforms.selection._base import (
    DROPPED,
    KEPT,
    Decision,
    SelectionError,
    SelectorModel,
    copy_slot_names,
    feature_names,
)
from transforms.selection.constant import DropConstantFeatures
from transforms.selection.correlation import DropCorrelatedFeatures, SmartCorrelatedSelection
from transforms.selection.drift import DropHighPSIFeatures
from transforms.selection.duplicates import DropDuplicateFeatures
from transforms.selection.information_value import SelectByInformationValue
from transforms.selection.model_based import SelectFromLasso, SelectFromTreeImportance
from transforms.selection.permutation import SelectByShuffling
from transforms.selection.pipeline import (
    SELECTORS,
    SelectionStep,
    build_selection_pipeline,
    selection_report,
)
from transforms.selection.recursive import RecursiveFeatureAddition, RecursiveFeatureElimination
from transforms.selection.single_feature import SelectBySingleFeaturePerformance
from transforms.selection.univariate import UnivariateSelector

__all__ = [
    "DROPPED",
    "KEPT",
    "SELECTORS",
    "Decision",
    "DropConstantFeatures",
    "DropCorrelatedFeatures",
    "DropDuplicateFeatures",
    "DropHighPSIFeatures",
    "RecursiveFeatureAddition",
    "RecursiveFeatureElimination",
    "SelectByInformationValue",
    "SelectByShuffling",
    "SelectBySingleFeaturePerformance",
    "SelectFromLasso",
    "SelectFromTreeImportance",
    "SelectionError",
    "SelectionStep",
    "SelectorModel",
    "SmartCorrelatedSelection",
    "UnivariateSelector",
    "build_selection_pipeline",
    "copy_slot_names",
    "feature_names",
    "selection_report",
]
