"""Build a Spark ML feature `Pipeline` from a list of config steps.

Each step names a stage kind, the columns it works on and its parameters, e.g.::

    - stage: impute_numeric
      columns: [lot_area, living_area]
      params: {strategy: median}

Steps refer to columns by their *feature* names. A step that produces a new physical column
(an index, a one-hot vector) records it, so later steps (``assemble``) still say
``neighborhood`` and get the encoded column. Steps that add features (missing indicators,
date parts, sine/cosine) register them under ``<feature>_<suffix>``. Supervised encoders
(``ordinal_encode``, ``mean_encode``, ``woe_encode``) read the label given to
:func:`build_feature_pipeline` while fitting only. Add a stage kind by adding a builder to
:data:`STAGE_BUILDERS`; the stages of ``transforms.features`` are listed in
:data:`FEATURE_STAGES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.ml import Pipeline
from pyspark.ml.base import Estimator, Transformer
from pyspark.ml.feature import (
    Binarizer,
    Imputer,
    MinMaxScaler,
    OneHotEncoder,
    SQLTransformer,
    StandardScaler,
    StringIndexer,
    TargetEncoder,
    VectorAssembler,
)

from transforms import features as fe
from transforms.features._base import FeatureConfigError
from transforms.params import set_params

FEATURES_COLUMN = "features"
PipelineStage = Estimator | Transformer


@dataclass
class BuildState:
    """Columns known so far: feature name -> the physical column that currently holds it."""

    columns: dict[str, str] = field(default_factory=dict)
    label: str | None = None

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
    return set_params(stage, params, f"step {step.stage!r}", FeatureConfigError)


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


def _target_encode(step: Step, state: BuildState) -> list[PipelineStage]:
    """Spark 4's ``TargetEncoder`` on StringIndexer indices, into ``<column>__target`` columns.

    The alternative to ``mean_encode`` that keeps the learned statistics inside Spark's own
    model. Same blend, ``n/(n + smoothing)`` of the category's label mean. Nulls and levels
    unseen in training share StringIndexer's extra index: when training had nulls, an unseen
    level gets the nulls' mean, otherwise the overall mean (impute categories first to keep
    them apart).
    """
    if state.label is None:
        raise FeatureConfigError(f"step {step.stage!r} needs the label: no label was given")
    inputs = [state.resolve(c, step.stage) for c in step.columns]
    indices = [f"{c}__index" for c in inputs]
    outputs = [f"{c}__target" for c in inputs]
    indexer = StringIndexer(inputCols=inputs, outputCols=indices, handleInvalid="keep")
    encoder = TargetEncoder(inputCols=indices, outputCols=outputs, labelCol=state.label,
                            targetType="continuous", handleInvalid="keep")
    for name, output in zip(step.columns, outputs, strict=True):
        state.columns[name] = output
    return [indexer, _with_params(encoder, step.params, step)]


def _assemble(step: Step, state: BuildState) -> list[PipelineStage]:
    inputs = [state.resolve(c, step.stage) for c in step.columns]
    output = step.params.get("outputCol", FEATURES_COLUMN)
    state.columns[output] = output
    return [VectorAssembler(inputCols=inputs, outputCol=output, handleInvalid="keep")]


def _in_place(stage_class: type[PipelineStage], supervised: bool = False) -> StageBuilder:
    """A builder for a multi-column stage that rewrites its columns where they are."""

    def build(step: Step, state: BuildState) -> list[PipelineStage]:
        inputs = [state.resolve(c, step.stage) for c in step.columns]
        stage = stage_class(inputCols=inputs)
        if supervised:
            if state.label is None:
                raise FeatureConfigError(f"step {step.stage!r} needs the label: no label was given")
            stage._set(labelCol=state.label)
        return [_with_params(stage, step.params, step)]

    return build


def _adding(stage_class: type[PipelineStage], suffixes: Callable[[Step], list[str]]) -> StageBuilder:
    """A builder for a stage that adds ``<column>_<suffix>`` features and keeps its inputs."""

    def build(step: Step, state: BuildState) -> list[PipelineStage]:
        inputs = [state.resolve(c, step.stage) for c in step.columns]
        stage = _with_params(stage_class(inputCols=inputs, outputCols=inputs), step.params, step)
        for name, physical in zip(step.columns, inputs, strict=True):
            for suffix in suffixes(stage):
                state.columns[f"{name}_{suffix}"] = f"{physical}_{suffix}"
        return [stage]

    return build


def _missing_indicator(step: Step, state: BuildState) -> list[PipelineStage]:
    inputs = [state.resolve(c, step.stage) for c in step.columns]
    stage = _with_params(fe.MissingIndicator(inputCols=inputs), step.params, step)
    suffix = stage.getOrDefault(stage.suffix)
    for name, physical in zip(step.columns, inputs, strict=True):
        state.columns[name + suffix] = physical + suffix
    return [stage]


def _elapsed_time(step: Step, state: BuildState) -> list[PipelineStage]:
    params = dict(step.params)
    if "referenceCol" not in params:
        raise FeatureConfigError("step 'elapsed_time': params.referenceCol names the later column")
    params["referenceCol"] = state.resolve(params["referenceCol"], step.stage)
    return _in_place(fe.ElapsedTime)(Step(step.stage, step.columns, params), state)


def _value_map(step: Step, state: BuildState) -> list[PipelineStage]:
    params = dict(step.params)
    mapping = params.pop("mapping", None)
    if not isinstance(mapping, Mapping) or not mapping:
        raise FeatureConfigError("step 'value_map': params.mapping must map values to numbers")
    inputs = [state.resolve(c, step.stage) for c in step.columns]
    try:
        stage = fe.ValueMapper(mapping=dict(mapping), inputCols=inputs)
    except ValueError as error:
        raise FeatureConfigError(f"step 'value_map': {error}") from error
    return [_with_params(stage, params, step)]


def _binarize(step: Step, state: BuildState) -> list[PipelineStage]:
    """Spark's Binarizer (1 above ``threshold``, default 0) into ``<column>__bin`` columns."""
    inputs = [state.resolve(c, step.stage) for c in step.columns]
    outputs = [f"{c}__bin" for c in inputs]
    cast = SQLTransformer(statement="SELECT *, " + ", ".join(
        f"CAST(`{c}` AS DOUBLE) AS `{c}__double`" for c in inputs) + " FROM __THIS__")
    binarizer = _with_params(
        Binarizer(inputCols=[f"{c}__double" for c in inputs], outputCols=outputs, threshold=0.0),
        step.params, step)
    for name, output in zip(step.columns, outputs, strict=True):
        state.columns[name] = output
    return [cast, binarizer]


def _scale(scaler_class: type[PipelineStage]) -> StageBuilder:
    """Spark's vector scaler over the assembled columns, into ``params.outputCol``."""

    def build(step: Step, state: BuildState) -> list[PipelineStage]:
        params = dict(step.params)
        output = params.pop("outputCol", None)
        if not output:
            raise FeatureConfigError(f"step {step.stage!r}: params.outputCol names the scaled vector")
        inputs = [state.resolve(c, step.stage) for c in step.columns]
        raw = f"{output}__unscaled"
        assembler = VectorAssembler(inputCols=inputs, outputCol=raw, handleInvalid="keep")
        scaler = _with_params(scaler_class(inputCol=raw, outputCol=output), params, step)
        state.columns[output] = output
        return [assembler, scaler]

    return build


def _drop(step: Step, state: BuildState) -> list[PipelineStage]:
    inputs = [state.resolve(c, step.stage) for c in step.columns]
    for name in step.columns:
        del state.columns[name]
    keep = ", ".join(f"`{c}`" for c in inputs)
    return [SQLTransformer(statement=f"SELECT * EXCEPT ({keep}) FROM __THIS__")]


FEATURE_STAGES: dict[str, StageBuilder] = {
    "impute_mean_median": _in_place(fe.MeanMedianImputer),
    "impute_arbitrary": _in_place(fe.ArbitraryNumberImputer),
    "impute_end_tail": _in_place(fe.EndTailImputer),
    "impute_categorical": _in_place(fe.CategoricalImputer),
    "missing_indicator": _missing_indicator,
    "rare_label": _in_place(fe.RareLabelEncoder),
    "ordinal_encode": _in_place(fe.OrdinalEncoder, supervised=True),
    "count_encode": _in_place(fe.CountFrequencyEncoder),
    "mean_encode": _in_place(fe.MeanEncoder, supervised=True),
    "woe_encode": _in_place(fe.WoEEncoder, supervised=True),
    "date_parts": _adding(fe.DatePartExtractor, lambda stage: stage.getOrDefault(stage.parts)),
    "elapsed_time": _elapsed_time,
    "cyclical": _adding(fe.CyclicalFeatures, lambda stage: ["sin", "cos"]),
    "log": _in_place(fe.LogTransformer),
    "log_cp": _in_place(fe.LogCpTransformer),
    "power": _in_place(fe.PowerTransformer),
    "box_cox": _in_place(fe.BoxCoxTransformer),
    "yeo_johnson": _in_place(fe.YeoJohnsonTransformer),
    "equal_width_bins": _in_place(fe.EqualWidthDiscretiser),
    "equal_frequency_bins": _in_place(fe.EqualFrequencyDiscretiser),
    "arbitrary_bins": _in_place(fe.ArbitraryDiscretiser),
    "winsorize": _in_place(fe.Winsorizer),
    "value_map": _value_map,
    "binarize": _binarize,
    "min_max_scale": _scale(MinMaxScaler),
    "standard_scale": _scale(StandardScaler),
    "drop": _drop,
}

STAGE_BUILDERS: dict[str, StageBuilder] = {
    "derive": _derive,
    "impute_numeric": _impute_numeric,
    "one_hot": _one_hot,
    "target_encode": _target_encode,
    "assemble": _assemble,
    **FEATURE_STAGES,
}


def build_steps(
    steps: Sequence[Step], input_columns: Sequence[str], label: str | None = None
) -> list[tuple[Step, list[PipelineStage], dict[str, str]]]:
    """Each step with its stages and the feature -> column map after it (for walkthroughs)."""
    state = BuildState({c: c for c in input_columns}, label)
    built = []
    for index, step in enumerate(steps):
        builder = STAGE_BUILDERS.get(step.stage)
        try:
            if builder is None:
                raise FeatureConfigError(
                    f"unknown stage {step.stage!r}; known stages: {', '.join(sorted(STAGE_BUILDERS))}"
                )
            built.append((step, builder(step, state), dict(state.columns)))
        except FeatureConfigError as error:
            error.step_index = index
            raise
    return built


def build_feature_pipeline(
    steps: Sequence[Step], input_columns: Sequence[str], label: str | None = None
) -> Pipeline:
    """A `Pipeline` of the configured steps over a frame with `input_columns`.

    `label` is the target column the supervised encoders learn from; it must be in the frame
    given to ``fit`` and is not needed by ``transform``.
    """
    built = build_steps(steps, input_columns, label)
    return Pipeline(stages=[stage for _, stages, _ in built for stage in stages])
