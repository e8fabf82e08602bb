"""Build a Spark ML feature `Pipeline` from a list of config steps.

Each step names a stage kind, the columns it works on and its parameters, e.g.::

    - stage: impute_numeric
      columns: [lot_area, living_area]
      params: {strategy: median}

Steps refer to columns by their *feature* names. A step that produces a new physical column
(an index, a one-hot vector) records it, so later steps (``assemble``) still say
``neighborhood`` and get the encoded column. Add a stage kind by adding a builder to
:data:`STAGE_BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.ml import Pipeline
from pyspark.ml.base import Estimator, Transformer
from pyspark.ml.feature import (
    Imputer,
    OneHotEncoder,
    SQLTransformer,
    StringIndexer,
    VectorAssembler,
)

FEATURES_COLUMN = "features"
PipelineStage = Estimator | Transformer


class FeatureConfigError(ValueError):
    """A feature step names an unknown stage, a bad parameter or an unknown column."""


@dataclass
class BuildState:
    """Columns known so far: feature name -> the physical column that currently holds it."""

    columns: dict[str, str] = field(default_factory=dict)

    def resolve(self, name: str, step: str) -> str:
        if name not in self.columns:
            known = ", ".join(sorted(self.columns)) or "none"
            raise FeatureConfigError(f"step {step!r}: unknown column {name!r}; known columns: {known}")
        return self.columns[name]


@dataclass(frozen=True)
class Step:
    stage: str
    columns: Sequence[str] = ()
    params: Mapping[str, Any] = field(default_factory=dict)


StageBuilder = Callable[[Step, BuildState], list[PipelineStage]]


def _with_params(stage: PipelineStage, params: Mapping[str, Any], step: Step) -> PipelineStage:
    for name, value in params.items():
        if not stage.hasParam(name):
            valid = ", ".join(sorted(p.name for p in stage.params))
            raise FeatureConfigError(f"step {step.stage!r}: unknown parameter {name!r}; valid: {valid}")
        stage.set(stage.getParam(name), value)
    return stage


def _derive(step: Step, state: BuildState) -> list[PipelineStage]:
    expressions: Mapping[str, str] = step.params.get("expressions", {})
    if not expressions:
        raise FeatureConfigError("step 'derive': params.expressions must map new columns to SQL expressions")
    selects = ", ".join(f"{expr} AS `{name}`" for name, expr in expressions.items())
    for name in expressions:
        state.columns[name] = name
    return [SQLTransformer(statement=f"SELECT *, {selects} FROM __THIS__")]


def _impute_numeric(step: Step, state: BuildState) -> list[PipelineStage]:
    inputs = [state.resolve(c, step.stage) for c in step.columns]
    # Imputer works on floating point; integers are cast first so the output type is stable.
    cast = ", ".join(f"CAST(`{c}` AS DOUBLE) AS `{c}`" for c in inputs)
    keep = ", ".join(f"`{c}`" for c in inputs)
    caster = SQLTransformer(statement=f"SELECT * EXCEPT ({keep}), {cast} FROM __THIS__")
    imputer = _with_params(Imputer(inputCols=inputs, outputCols=inputs), step.params, step)
    return [caster, imputer]


def _one_hot(step: Step, state: BuildState) -> list[PipelineStage]:
    stages: list[PipelineStage] = []
    for name in step.columns:
        source = state.resolve(name, step.stage)
        index, vector = f"{name}__index", f"{name}__onehot"
        # "keep" gives nulls and levels unseen in training their own bucket at scoring time.
        stages.append(_with_params(
            StringIndexer(inputCol=source, outputCol=index, handleInvalid="keep"),
            step.params, step))
        stages.append(OneHotEncoder(inputCol=index, outputCol=vector, handleInvalid="keep"))
        state.columns[name] = vector
    return stages


def _assemble(step: Step, state: BuildState) -> list[PipelineStage]:
    inputs = [state.resolve(c, step.stage) for c in step.columns]
    output = step.params.get("outputCol", FEATURES_COLUMN)
    state.columns[output] = output
    return [VectorAssembler(inputCols=inputs, outputCol=output, handleInvalid="keep")]


STAGE_BUILDERS: dict[str, StageBuilder] = {
    "derive": _derive,
    "impute_numeric": _impute_numeric,
    "one_hot": _one_hot,
    "assemble": _assemble,
}


def build_feature_pipeline(steps: Sequence[Step], input_columns: Sequence[str]) -> Pipeline:
    """A `Pipeline` of the configured steps over a frame with `input_columns`."""
    state = BuildState({c: c for c in input_columns})
    stages: list[PipelineStage] = []
    for step in steps:
        builder = STAGE_BUILDERS.get(step.stage)
        if builder is None:
            raise FeatureConfigError(
                f"unknown stage {step.stage!r}; known stages: {', '.join(sorted(STAGE_BUILDERS))}"
            )
        stages.extend(builder(step, state))
    return Pipeline(stages=stages)

