"""Pass 3: the Pearson correlation matrix of the numeric columns, by Spark ML's `Correlation`.

`Correlation` aggregates a k x k Gramian natively (BLAS), so its cost does not depend on
compiling one expression per pair. Missing values count as the column's mean (from pass 1),
which shrinks the correlations of columns with many nulls toward 0; the report says so.
"""

from __future__ import annotations

import math

from pyspark.ml.functions import array_to_vector
from pyspark.ml.stat import Correlation
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.profiling.columns import ProfiledColumn

VECTOR = "numeric_values"


def centred_vectors(prepared: DataFrame, columns: list[ProfiledColumn], means: dict[int, float]) -> DataFrame:
    values = [F.coalesce(c.ref - F.lit(means[c.index]), F.lit(0.0)) for c in columns]
    return prepared.select(array_to_vector(F.array(*values)).alias(VECTOR))


def correlation_pairs(vectors: DataFrame, columns: list[ProfiledColumn]) -> dict[tuple[str, str], float]:
    """Correlations by (column, column) name; pairs with a constant column are left out."""
    matrix = Correlation.corr(vectors, VECTOR).head()[0].toArray()
    pairs = {}
    for i, left in enumerate(columns):
        for j, right in enumerate(columns):
            value = float(matrix[i][j])
            if i != j and not math.isnan(value):
                pairs[(left.name, right.name)] = value
    return pairs
