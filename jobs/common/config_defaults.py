"""Keys a short use case may leave out, derived from the rest of its configuration.

A use case needs only ``use_case`` (name, schema, key, label), ``sources`` and ``split``.
Before validation, on the merged YAML:

* ``use_case.task`` follows the label's declared type (text or boolean: classification;
  float, double or decimal: regression). An integer label may be class codes or a count, so
  it has to be said;
* ``features.input_table`` is the silver table of the source that declares the label, and
  ``features.output_table`` ``<its name less _silver>_features``;
* ``model.name`` is ``<schema>_model``;
* ``score`` scores ``features.input_table`` into ``predictions``.

Feature steps and candidates left out are chosen from the training rows by the train job
(transforms/modeling/defaults.py); with the default candidates (no ``model.candidates`` nor
``model.algorithm``) a regression's ``train.outliers`` is the default rule, as lakehouse-init
writes it (``train.outliers: null`` turns it off). Values already set are never changed; malformed sections
are left as they are for validation to report.
"""

from __future__ import annotations

import re
from typing import Any

from transforms.modeling.defaults import default_outlier_rule

_CLASSES = re.compile(r"string|boolean|varchar\(\d+\)|char\(\d+\)")
_QUANTITIES = re.compile(r"float|double|real|decimal(\(\s*\d+\s*(,\s*\d+\s*)?\))?")


class UndecidedKeyError(ValueError):
    """A key left out whose value cannot be derived; `key` is its dotted path."""

    def __init__(self, key: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.key = key


def silver_name(table: str, silver_table: str | None) -> str:
    """A source's silver table: as configured, else its bronze table's name less _bronze plus _silver."""
    return silver_table or f"{table.removesuffix('_bronze')}_silver"


def fill_derived(merged: dict[str, Any]) -> None:
    """Set, in place, the keys of the module docstring that `merged` leaves out."""
    use_case = merged.get("use_case")
    if not isinstance(use_case, dict) or not isinstance(label := use_case.get("label"), str):
        return
    source = _label_source(merged.get("sources"), label)
    if use_case.get("task") is None:
        use_case["task"] = _task(label, source["columns"][label] if source else None)
    features = _section(merged, "features")
    if features is not None and source is not None and "input_table" not in features:
        features["input_table"] = silver_name(source.get("table", ""), source.get("silver_table"))
    input_table = features.get("input_table") if features is not None else None
    if features is not None and isinstance(input_table, str):
        features.setdefault("output_table", f"{input_table.removesuffix('_silver')}_features")
    model = _section(merged, "model")
    if model is not None and isinstance(schema := use_case.get("schema"), str):
        model.setdefault("name", f"{schema}_model")
    if model is not None and not model.get("candidates") and not model.get("algorithm"):
        _default_outliers(merged, use_case["task"])
    score = _section(merged, "score")
    if score is not None and isinstance(input_table, str):
        score.setdefault("input_table", input_table)
        score.setdefault("output_table", "predictions")


def _default_outliers(merged: dict[str, Any], task: Any) -> None:
    """`train.outliers` as the default candidates go with, unless set (null included)."""
    train = _section(merged, "train")
    if train is not None and "outliers" not in train and task == "regression":
        train["outliers"] = default_outlier_rule(task)


def _section(merged: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The section `name`, created empty when absent; None when it is no mapping (validation says so)."""
    section = merged.setdefault(name, {})
    return section if isinstance(section, dict) else None


def _label_source(sources: Any, label: str) -> dict[str, Any] | None:
    """The first source that declares `label` with a type."""
    for source in sources if isinstance(sources, list) else []:
        columns = source.get("columns") if isinstance(source, dict) else None
        if isinstance(columns, dict) and isinstance(columns.get(label), str) and isinstance(source.get("table"), str):
            return source
    return None


def _task(label: str, declared: str | None) -> str:
    if declared is None:
        raise UndecidedKeyError(("use_case", "task"), f"not set, and no source declares the label {label!r} with a "
                                "type to tell it from: set use_case.task: classification or regression")
    spark_type = declared.strip().lower()
    if _CLASSES.fullmatch(spark_type):
        return "classification"
    if _QUANTITIES.fullmatch(spark_type):
        return "regression"
    raise UndecidedKeyError(("use_case", "task"), f"not set, and the label {label!r} is declared {declared}, "
                            "which may hold class codes or quantities: set use_case.task: classification or regression")
