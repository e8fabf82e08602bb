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


def test_reference_models_pass_the_gate_into_an_empty_registry(reference) -> None:
    for trained in reference.values():
        assert trained["gate"]["promoted"], trained["gate"]["reasons"]
        assert "no champion yet" in trained["gate"]["reasons"]


def test_markdown_table_has_a_row_per_target(reference) -> None:
    table = markdown_table(reference)
    assert table.count("\n") == len(TARGETS) + 1
    assert "| no |" not in table
