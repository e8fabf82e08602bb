"""Identifiers, leaks and protected attributes are refused as model inputs, with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.features import build_features
from transforms.profiling.governance import (
    GovernanceError,
    check_feature_steps,
    column_roles,
    forbidden_uses,
    referenced_columns,
)

TITLE = "regexp_extract(name, ', *([^.]+)\\\\.', 1)"
FORBIDDEN = {"identifiers": ["name", "ticket"], "leaks": ["boat", "body"], "protected": ["sex"]}


def test_referenced_columns_skip_functions_and_string_literals():
    assert referenced_columns(TITLE) == {"name"}
    assert referenced_columns("year(sale_date) - year_built") == {"sale_date", "year_built"}
    assert referenced_columns("`home.dest` || 'boat'") == {"home.dest"}


def test_clean_steps_pass():
    steps = [("derive", [], {"expressions": {"title": TITLE}}),
             ("one_hot", ["embarked", "title"], {}), ("assemble", ["age", "title"], {})]
    check_feature_steps(steps, **FORBIDDEN)


def test_every_forbidden_use_is_named():
    steps = [("derive", [], {"expressions": {"has_boat": "boat IS NOT NULL", "male": "SEX = 'male'"}}),
             ("one_hot", ["ticket"], {}), ("assemble", ["body", "age"], {})]
    assert forbidden_uses(steps, **FORBIDDEN) == [
        "step 'derive' derives 'has_boat' from 'boat', a leak of the target",
        "step 'derive' derives 'male' from 'SEX', a protected attribute",
        "step 'one_hot' uses 'ticket', an identifier",
        "step 'assemble' uses 'body', a leak of the target",
    ]
    with pytest.raises(GovernanceError, match=r"use_case\.identifiers / leaks / protected"):
        check_feature_steps(steps, **FORBIDDEN)


def test_dropping_a_forbidden_column_is_not_a_use():
    check_feature_steps([("drop", ["boat", "sex"], {}), ("assemble", ["age"], {})], **FORBIDDEN)


def test_roles_for_the_profile():
    roles = column_roles(["name"], ["boat"], ["sex"], key=["name", "ticket"], label="survived")
    assert roles == {"name": ["identifier", "key"], "boat": ["leak"], "sex": ["protected"],
                     "ticket": ["key"], "survived": ["label"]}


def test_feature_job_refuses_a_leak_before_reading_data(tmp_path: Path, spark):
    from jobs.common.cli import JobContext
    from jobs.common.tables import TableStore
    from tests.settings import make_settings

    settings = make_settings(tmp_path, "house_sales", "use_case.leaks=[lot_area]")
    context = JobContext(settings, spark, TableStore(spark, settings))
    # No table exists: the governance error comes first, naming the step and the column.
    with pytest.raises(GovernanceError, match="step 'impute_numeric' uses 'lot_area', a leak"):
        build_features(context)
