"""Nothing lost at the seams of scoring: two inputs, a run stopped mid-batch, duplicates, garbage.

Every test ends with the reconciliation query: every input row of every batch is in the
predictions or the quarantine table, exactly once.
"""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

import jobs.score
from jobs.common.cli import JobContext
from jobs.monitor import batch_input
from jobs.score import score
from tests.scoring_fixtures import (
    FIRST_BATCH,
    SECOND_BATCH,
    build_registry,
    context_for,
    listings,
    listings_context,
    scoring_settings,
)
from tests.scoring_fixtures import score_args as _args
from transforms.scoring import reconciliation_sql

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def registry(spark, tmp_path_factory):
    return build_registry(spark, tmp_path_factory.mktemp("registry"), tmp_path_factory.mktemp("unused"))


@pytest.fixture
def context(spark, tmp_path, registry):
    return listings_context(spark, tmp_path, registry)


def assert_reconciles(context: JobContext) -> list[dict]:
    """The reconciliation query reconciles every batch, and the audit's rows in are the input's rows."""
    tables, config = context.tables, context.settings.score
    query = reconciliation_sql(tables.qualified(config.audit_table), tables.qualified(config.output_table),
                               tables.qualified(config.quarantine), context.settings.use_case.key)
    batches = [r.asDict() for r in context.spark.sql(query).collect()]
    assert batches and all(b["reconciles"] for b in batches), batches
    for audit in tables.read(config.audit_table).collect():
        assert batch_input(context, audit).count() == audit["rows_in"], audit
    return batches


def test_two_input_tables_at_the_same_version_keep_both_batches(spark, tmp_path, registry) -> None:
    def scoring(table: str, rows: list[tuple]) -> JobContext:
        settings = scoring_settings(tmp_path / "lakehouse", registry[0], f"score.input_table={table}",
                                    "score.incremental.mode=none")
        context = context_for(spark, settings)
        context.tables.write(listings(spark, rows), table)  # Delta version 0
        return context

    # Each table holds a null key for the shared quarantine table.
    first_input = scoring("first_silver", [(1, "north", 100.0, FIRST_BATCH), (2, "south", 150.0, FIRST_BATCH),
                                           (None, "north", 90.0, FIRST_BATCH)])
    second_input = scoring("second_silver", [(7, "south", 80.0, FIRST_BATCH), (None, "south", 70.0, FIRST_BATCH)])
    first, second = score(first_input, _args()), score(second_input, _args())

    assert first["input_version"] == second["input_version"] == 0
    assert first["batch_id"] == "house_sales.first_silver@v0"
    assert second["batch_id"] == "house_sales.second_silver@v0"
    tables = first_input.tables
    assert sorted((r["batch_id"], r["sale_id"]) for r in tables.read("predictions").collect()) == [
        (first["batch_id"], 1), (first["batch_id"], 2), (second["batch_id"], 7)]
    quarantined = tables.read("predictions_quarantine").groupBy("batch_id").count().collect()
    assert sorted(tuple(r) for r in quarantined) == [(first["batch_id"], 1), (second["batch_id"], 1)]
    assert tables.read("score_audit").count() == 2
    # A rerun of the second input replaces its own batch only.
    score(second_input, _args())
    assert tables.read("predictions").count() == 3
    assert_reconciles(first_input)


def stopped(*_args, **_kwargs) -> None:
    raise SystemExit("killed between the predictions commit and the audit commit")


def test_a_run_stopped_before_its_audit_leaves_no_key_scored_twice(context, spark, monkeypatch) -> None:
    assert score(context, _args())["rows_scored"] == 4                      # silver v0: keys 1-4
    changed = listings(spark, [(4, "south", 130.0, SECOND_BATCH), (5, "north", 90.0, SECOND_BATCH)])
    context.tables.merge(changed, "listings_silver", "t.sale_id = s.sale_id")
    monkeypatch.setattr(jobs.score, "_record_audit", stopped)
    with pytest.raises(SystemExit):
        score(context, _args())                                             # silver v1: keys 4, 5, orphaned
    monkeypatch.undo()
    assert context.tables.read("predictions").count() == 6

    later = listings(spark, [(6, "north", 110.0, SECOND_BATCH)])
    context.tables.merge(later, "listings_silver", "t.sale_id = s.sale_id")
    result = score(context, _args())                                        # silver v2: keys 4, 5, 6
    assert (result["rows_in"], result["rows_scored"]) == (3, 3)
    predictions = context.tables.read("predictions")
    assert predictions.count() == 7                                         # 4 + 3: the orphan is gone
    assert {r["batch_id"] for r in predictions.collect()} == {
        "house_sales.listings_silver@v0", "house_sales.listings_silver@v2"}
    audited = context.tables.read("score_audit").agg(F.sum("rows_scored")).first()[0]
    assert audited == 7
    assert_reconciles(context)


def test_a_rerun_stopped_before_its_audit_is_repaired_by_the_next_batch(context, spark, monkeypatch) -> None:
    score(context, _args())                                                 # v0 audited
    monkeypatch.setattr(jobs.score, "_record_audit", stopped)
    with pytest.raises(SystemExit):
        score(context, _args())                                             # rerun of v0: its audit row is gone
    monkeypatch.undo()
    context.tables.merge(listings(spark, [(5, "north", 90.0, SECOND_BATCH)]), "listings_silver",
                         "t.sale_id = s.sale_id")
    result = score(context, _args())
    # The unaudited v0 batch is removed; v1 scores its rows again, each key once.
    assert (result["rows_in"], result["rows_scored"]) == (5, 5)
    assert context.tables.read("predictions").groupBy("sale_id").count().where("count > 1").count() == 0
    assert_reconciles(context)


def test_duplicate_keys_and_values_that_are_not_data_are_quarantined_with_reasons(context, spark) -> None:
    # living_area arrives as text: the model declares a double.
    rows = [(1, "north", "100", FIRST_BATCH), (2, "south", "abc", FIRST_BATCH), (3, "north", "NaN", FIRST_BATCH),
            (4, "north", "-Infinity", FIRST_BATCH), (6, "north", "120", FIRST_BATCH), (6, "south", "130", FIRST_BATCH),
            (8, "south", None, FIRST_BATCH)]
    schema = "sale_id bigint, neighborhood string, living_area string, _ingested_at timestamp"
    context.tables.write(listings(spark, rows, schema), "listings_silver")
    result = score(context, _args())
    assert (result["rows_in"], result["rows_scored"], result["rows_quarantined"]) == (7, 1, 6)
    scored = context.tables.read("predictions").collect()
    assert [(r["sale_id"], r["living_area"]) for r in scored] == [(1, 100.0)]  # the parsed value passes through
    assert scored[0]["prediction"] == pytest.approx(1050.0, rel=1e-3)
    reasons = sorted(r["reason"] for r in context.tables.read("predictions_quarantine").collect())
    assert reasons == [
        "duplicate key (sale_id): 2 rows in this batch",
        "duplicate key (sale_id): 2 rows in this batch",
        "living_area: -Infinity is not a number",
        "living_area: NaN is not a number",
        "living_area: abc is not a valid double",
        # A null stays a null: this model has no imputer, so it returns no prediction for it.
        "no prediction (model returned null or NaN)",
    ]
    assert_reconciles(context)
