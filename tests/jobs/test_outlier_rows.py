"""The line a training run logs and reports about the rows `train.outliers` left out."""

from __future__ import annotations

import math

from jobs.common.outlier_rows import describe
from transforms.modeling.outliers import FarOffRows, OutlierRule

RULE = OutlierRule(6.0, 0.01)


def test_the_line_counts_the_rows_and_names_the_first_keys() -> None:
    found = FarOffRows([(1299,), (524,), (496,), (633,), (31,)], [47.2, 32.2, 15.7, 15.3, 15.0],
                       0.0499, 1314, 7, beyond=22)
    assert describe(found, RULE, ["id"], log_label=True) == (
        "train.outliers: left out 7 of 1,314 training rows more than 6 robust scales off a Huber linear fit "
        "(robust scale 0.0499 of log(label); 22 were beyond, at most 1.0% go): id (scales off) 1299 (47.2), "
        "524 (32.2), 496 (15.7), "
        "633 (15.3), 31 (15.0), and 2 more")


def test_a_composite_key_is_shown_in_brackets_and_none_found_is_said() -> None:
    found = FarOffRows([("a", 2)], [9.0], 2.0, 400, 1, beyond=1)
    assert describe(found, RULE, ["shop", "day"], log_label=False).endswith(
        "(robust scale 2.000; at most 1.0%): shop, day (scales off) (a, 2) (9.0)")
    assert describe(FarOffRows([], [], 2.0, 400, 0), RULE, ["id"], log_label=False).startswith(
        "train.outliers: left out 0 of 400 training rows")


def test_too_few_rows_say_so() -> None:
    assert describe(FarOffRows([], [], math.nan, 50, 0), RULE, ["id"], log_label=False) == (
        "train.outliers: none left out of 50 training rows (too few for one: at most 1.0%)")
