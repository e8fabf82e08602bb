"""Score a fitted pipeline that ends in an xgboost.spark model without building its feature vectors.

xgboost.spark predicts in a pandas UDF: the assembled feature vector goes through
``vector_to_array``, Arrow and one numpy array per row before xgboost sees it. In the pipeline
the project ships (``StringIndexer`` -> ``OneHotEncoder`` -> ``VectorAssembler`` -> xgboost),
building those sparse vectors and taking them apart again cost Spark more than the booster's
own predict (bench/RESULTS.md, scoring). When every input of the assembler that feeds the
booster is a numeric column or a one-hot encoder's output, :func:`score_pipeline` hands the UDF
those columns (an encoder's category index in place of its vector) and assembles the same
dense float32 matrix in numpy; Spark then prunes the encoder and assembler projections the
prediction does not read. The predictions are the model's own: the same xgboost model, the same
prediction function and output columns as ``PipelineModel.transform``. Any other pipeline is
scored by ``PipelineModel.transform``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.ml import PipelineModel, Transformer
from pyspark.ml.feature import OneHotEncoderModel, VectorAssembler
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.functions import pandas_udf
from xgboost.spark.core import _SparkXGBModel

_KEEP = "keep"


@dataclass(frozen=True)
class FeatureBlock:
    """One input of the assembler: a scalar feature (``width`` 0) or a one-hot block of ``width`` slots.

    ``column`` is what the prediction UDF receives: the numeric value as a double, or for a
    one-hot block the slot that holds the 1 (the encoder's invalid slot for an out-of-range
    index), NaN where the encoder's input is null (the assembler keeps it as NaNs).
    """

    name: str
    column: Column
    width: int


def pipeline_stages(model: Transformer) -> list[Transformer]:
    """The stages of `model`, nested pipeline models flattened, in the order they run."""
    if isinstance(model, PipelineModel):
        return [stage for inner in model.stages for stage in pipeline_stages(inner)]
    return [model]


def dense_matrix(columns: Sequence[pd.Series], widths: Sequence[int]) -> np.ndarray:
    """The float32 rows ``vector_to_array`` would give the booster, from the blocks' UDF inputs."""
    rows = len(columns[0]) if columns else 0
    matrix = np.zeros((rows, sum(width or 1 for width in widths)), dtype=np.float32)
    at = 0
    for values, width in zip(columns, widths, strict=True):
        value = values.to_numpy(dtype=np.float64, na_value=np.nan)
        if width == 0:
            matrix[:, at] = value
            at += 1
            continue
        missing = np.isnan(value)
        matrix[missing, at:at + width] = np.nan
        # A slot at `width` is the invalid category the encoder drops (dropLast): all zeros.
        hot = ~missing & (value < width)
        matrix[np.flatnonzero(hot), at + value[hot].astype(np.int64)] = 1.0
        at += width
    return matrix


def _encoder_columns(encoder: OneHotEncoderModel) -> list[tuple[str, str]]:
    """(index column, vector column) of each column pair `encoder` encodes."""
    if encoder.isSet(encoder.inputCols):
        return list(zip(encoder.getInputCols(), encoder.getOutputCols(), strict=True))
    return [(encoder.getInputCol(), encoder.getOutputCol())]


def _one_hot_block(encoder: OneHotEncoderModel, position: int, index_column: str, name: str) -> FeatureBlock:
    """The block of `encoder`'s `position`-th output, with Spark's slot rule for its index."""
    categories = encoder.categorySizes[position]
    index = F.col(index_column).cast("double")
    # The encoder's 'keep': an index outside [0, categories) (NaN too) takes the extra slot
    # `categories`, which dropLast removes; a null input makes the assembler's NaN block.
    slot = (F.when(index.isNull(), F.lit(float("nan")))
            .when((index >= 0) & (index < categories), F.floor(index).cast("double"))
            .otherwise(F.lit(float(categories))))
    return FeatureBlock(name, slot, categories + 1 - int(encoder.getDropLast()))


def _encoder_outputs(stages: Sequence[Transformer]) -> dict[str, tuple[OneHotEncoderModel, int, str]]:
    """Vector column -> (the encoder that writes it last, its position there, its index column)."""
    outputs: dict[str, tuple[OneHotEncoderModel, int, str]] = {}
    for stage in stages:
        if isinstance(stage, OneHotEncoderModel):
            for position, (index, vector) in enumerate(_encoder_columns(stage)):
                outputs[vector] = (stage, position, index)
    return outputs


def feature_blocks(stages: Sequence[Transformer], schema: T.StructType) -> list[FeatureBlock] | None:
    """The blocks the booster `stages[-1]` can be fed from, or None where the pipeline does not allow it.

    `schema` is the frame's after every stage but the booster. Fusing needs the stage before
    the booster to be the ``VectorAssembler`` of its features with ``handleInvalid='keep'``,
    and each assembler input to be a numeric column or the output of a ``OneHotEncoderModel``
    with ``handleInvalid='keep'`` whose index column is still in the frame, as the encoder read
    it (no later stage rewrites an encoder's index column in place).
    """
    if len(stages) < 2 or not _fusable_booster(stages[-1]):
        return None
    assembler = stages[-2]
    if (not isinstance(assembler, VectorAssembler) or assembler.getHandleInvalid() != _KEEP
            or assembler.getOutputCol() != stages[-1].getFeaturesCol()):
        return None
    encoded = _encoder_outputs(stages[:-2])
    types = {field.name: field.dataType for field in schema.fields}
    blocks = []
    for name in assembler.getInputCols():
        if name in encoded:
            encoder, position, index = encoded[name]
            if encoder.getHandleInvalid() != _KEEP or index not in types:
                return None
            block = _one_hot_block(encoder, position, index, name)
        elif isinstance(types.get(name), T.NumericType | T.BooleanType):
            block = FeatureBlock(name, F.col(name).cast("double"), 0)
        else:
            return None
        blocks.append(block)
    return blocks


def _fusable_booster(stage: Transformer) -> bool:
    """An xgboost.spark model predicting on the CPU from its features vector alone."""
    if not isinstance(stage, _SparkXGBModel) or stage._run_on_gpu():
        return False
    return not (stage.getOrDefault(stage.enable_sparse_data_optim) or stage.getOrDefault(stage.features_cols)
                or stage._col_is_defined_not_empty(stage.base_margin_col)
                or stage._get_pred_contrib_col_name() is not None)


def _predict(booster: _SparkXGBModel, widths: list[int]) -> Callable[..., Column]:
    """The pandas UDF that predicts from the blocks' columns, as xgboost.spark's own UDF does."""
    model = booster._xgb_sklearn_model
    predict = booster._get_predict_func()
    _, schema = booster._out_schema()

    @pandas_udf(schema)  # type: ignore[call-overload]
    def predict_rows(batches: Iterator[tuple[pd.Series, ...]]) -> Iterator[pd.Series]:
        for columns in batches:
            # pyspark hands a UDF of one column a Series, not a one-element tuple.
            batch = (columns,) if isinstance(columns, pd.Series) else columns
            yield predict(model, dense_matrix(batch, widths), None)

    return predict_rows


def score_pipeline(model: Transformer, frame: DataFrame) -> DataFrame:
    """``model.transform(frame)``; an xgboost tail fed from the assembler's inputs where it can be."""
    stages = pipeline_stages(model)
    if not stages or not _fusable_booster(stages[-1]):
        return model.transform(frame)
    prepared = PipelineModel(stages[:-1]).transform(frame)
    blocks = feature_blocks(stages, prepared.schema)
    if blocks is None:
        return model.transform(frame)
    booster = stages[-1]
    predict = _predict(booster, [block.width for block in blocks])
    return booster._post_transform(prepared, predict(*[block.column for block in blocks]))
