"""On the reference house prices: the L1 selector after the course's feature pipeline.

The course keeps 36 of 79 features with scikit-learn's Lasso(alpha=0.001) on log(SalePrice)
after min-max scaling. `SelectFromLasso(regParam=0.001)` (standardization off, see
transforms/selection/model_based.py) solves the same problem, so it must keep a set of similar
size: the band asserted is 25-50 of the 81 slots (79 variables + 3 missing indicators - YrSold).
"""

from __future__ import annotations

import pytest

from tests.selection_fixtures import house_prices_features
from tests.settings import make_settings
from transforms.selection import (
    SelectFromLasso,
    build_selection_pipeline,
    feature_names,
    selection_report,
)
from transforms.selection.pipeline import SelectionStep

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

# Variables any sensible price model of Ames keeps (quality, size, neighbourhood).
CORE = {"OverallQual", "GrLivArea", "Neighborhood", "KitchenQual", "GarageCars"}


@pytest.fixture(scope="module")
def house_features(spark, shared_data, tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("house_prices"), "house_prices")
    return house_prices_features(spark, settings, shared_data)


def test_lasso_keeps_a_course_sized_set_and_explains_every_drop(house_features) -> None:
    train = house_features.where("split = 'train'")
    names = feature_names(train, "features")
    model = SelectFromLasso(labelCol="log_price", regParam=0.001).fit(train)
    kept = model.selectedFeatures()
    assert 25 <= len(kept) <= 50, f"kept {len(kept)} of {len(names)}"
    assert set(kept) >= CORE
    report = model.report()
    assert [d.feature for d in report] == names
    dropped = [d for d in report if d.decision == "dropped"]
    assert len(dropped) == len(names) - len(kept)
    assert all("L1 penalty" in d.reason and d.value <= 1e-5 for d in dropped)
    assert feature_names(model.transform(train), "features") == kept


def test_filters_then_lasso_from_config(house_features) -> None:
    steps = [
        SelectionStep("constant", {"tol": 0.998}),
        SelectionStep("duplicates"),
        SelectionStep("correlation", {"threshold": 0.95}),
        SelectionStep("lasso", {"regParam": 0.001}),
    ]
    pipeline = build_selection_pipeline(steps, "features", "log_price", "regression")
    model = pipeline.fit(house_features.where("split = 'train'"))
    rows = selection_report(model)
    kept = feature_names(model.transform(house_features), "features")
    assert 25 <= len(kept) <= 50
    lasso_rows = [r for r in rows if r["selector"] == "lasso"]
    assert {r["feature"] for r in lasso_rows if r["decision"] == "kept"} == set(kept)
    # every feature appears in step 0, with a reason
    assert len([r for r in rows if r["step"] == 0]) == len(feature_names(house_features, "features"))
    assert all(r["reason"] for r in rows)
