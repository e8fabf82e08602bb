"""The README's reference results: our targets on the course's splits of ../shared/data.

Runs the full configured search (several minutes): skipped where the reference data is absent.
"""

from __future__ import annotations

import pytest

from jobs.reference_results import TARGETS, markdown_table, met, run_reference

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def reference(spark, shared_data, tmp_path_factory):
    return run_reference(str(tmp_path_factory.mktemp("reference")), ["house_prices", "titanic"])


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"{t.use_case}-{t.metric}")
def test_reference_target_is_reached(reference, target) -> None:
    value = reference[target.use_case]["metrics"][target.metric]
    assert met(target, value), f"{target.use_case} test {target.metric} {value} misses {target.goal}"


@pytest.mark.parametrize(
    ("use_case", "metric", "course", "higher_is_better"),
    [("house_prices", "rmse", 32_569, False), ("house_prices", "r2", 0.8456, True),
     ("titanic", "roc_auc", 0.8355, True)],
)
def test_reference_models_beat_the_course(reference, use_case, metric, course, higher_is_better) -> None:
    value = reference[use_case]["metrics"][metric]
    assert value > course if higher_is_better else value < course


def test_the_gate_promotes_exactly_the_models_that_reach_their_targets(reference) -> None:
    for use_case, trained in reference.items():
        reached = all(met(t, trained["metrics"][t.metric]) for t in TARGETS if t.use_case == use_case)
        assert trained["gate"]["promoted"] == reached, trained["gate"]["reasons"]
        assert "no champion yet" in trained["gate"]["reasons"]


def test_markdown_table_has_a_row_per_target(reference) -> None:
    table = markdown_table(reference)
    assert table.count("\n") == len(TARGETS) + 1
    for target in TARGETS:
        value = reference[target.use_case]["metrics"][target.metric]
        assert ("| yes |" if met(target, value) else "| no |") in table
