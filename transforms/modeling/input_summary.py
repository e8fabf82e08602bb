"""What the default pipeline needs to know of the model's input columns, in one pass over the rows."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.features._base import aggregate, missing_condition
from transforms.modeling.defaults import ColumnSummary

# approx_count_distinct's relative standard deviation: near exact for the few levels that
# decide one-hot or not, a few kilobytes per column.
DISTINCT_RSD = 0.01
_ROWS = ("", "rows")


def summarize_columns(frame: DataFrame, columns: Sequence[str]) -> list[ColumnSummary]:
    """Declared type, approximate distinct non-missing values and share of missing rows of each
    of `columns`, from ONE aggregation over `frame` (missing: null, or NaN in float columns)."""
    types = {field.name: field.dataType for field in frame.schema.fields}
    statistics = {_ROWS: F.count(F.lit(1))}
    for name in columns:
        missing = missing_condition(frame, name)
        statistics[(name, "distinct")] = F.approx_count_distinct(F.when(~missing, F.col(name)), DISTINCT_RSD)
        statistics[(name, "missing")] = F.count(F.when(missing, 1))
    values = aggregate(frame, statistics)
    rows = values[_ROWS]
    return [ColumnSummary(name, types[name].simpleString(), int(values[(name, "distinct")]),
                          values[(name, "missing")] / rows if rows else 0.0)
            for name in columns]
