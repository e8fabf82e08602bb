"""Score with a fitted pipeline while the input columns keep the values they came with."""

from __future__ import annotations

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame

from transforms.modeling.scores import PROBABILITY
from transforms.scoring.booster import score_pipeline
from transforms.scoring.values import literal_column

# Prefix of the copies of the input columns that travel through the model untouched.
_INPUT_COPY = "__input__"
MODEL_OUTPUTS = ("prediction", PROBABILITY)


def score_keeping_inputs(model: PipelineModel, rows: DataFrame) -> DataFrame:
    """`rows` as they came, with a `prediction` column (and `probability` for Spark ML classifiers).

    A fitted pipeline rewrites some of its input columns in place (imputed, rare levels
    grouped); the pass-through columns and quarantined raw records must show the input, so the
    pipeline scores a frame that also carries a copy of every input column.
    """
    # The model's outputs replace input columns of the same name, as `withColumn` would.
    # Copies are numbered: an input name may hold dots or backticks.
    inputs = rows.drop(*MODEL_OUTPUTS)
    copies = {c: f"{_INPUT_COPY}{i}" for i, c in enumerate(inputs.columns)}
    scored = score_pipeline(model, inputs.select("*", *[literal_column(c).alias(copy) for c, copy in copies.items()]))
    # A stage that selects named columns drops the copies: its own output is all there is.
    restored = [literal_column(copy if copy in scored.columns else c).alias(c) for c, copy in copies.items()]
    return scored.select(*restored, *[c for c in MODEL_OUTPUTS if c in scored.columns])
