"""The score job on tiny inputs: rerun, incremental run, bad input, alias switch, monitoring.

And nothing lost at the seams: two inputs at one version, a run stopped before its audit,
duplicate keys, values that are not data. Those tests end with the reconciliation query: every
input row of every batch is in the predictions or the quarantine table, exactly once.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import fields
from pathlib import Path

import pytest
from pyspark.ml import PipelineModel
from pyspark.ml.feature import SQLTransformer
from pyspark.sql import functions as F

import jobs.common.scoring
from jobs.common.cli import JobContext
from jobs.common.model_loading import ResolvedModel, apply_model
from jobs.common.monitoring import batch_input
from jobs.common.predictions import STATS_COLUMNS_PROPERTY
from jobs.common.score_batches import AUDIT_SCHEMA, AuditRecord, replace_batch
from jobs.common.tables import TableStore
from jobs.monitor import main as monitor_main
from jobs.monitor import monitor
from jobs.score import score
from tests.scoring_fixtures import (
    FIRST_BATCH,
    SECOND_BATCH,
    context_for,
    first_listings,
    listings,
    register_price_model,
    scoring_settings,
    set_champion,
)
from tests.settings import make_settings
from transforms.scoring.table import ModelIdentity, reconciliation_sql

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def registry(spark, tmp_path_factory):
    """Version 1 (10 per unit of area) is champion; version 2 (20 per unit) waits."""
    mlflow_dir = tmp_path_factory.mktemp("registry")
    settings = scoring_settings(tmp_path_factory.mktemp("unused"), mlflow_dir)
    first = register_price_model(spark, settings, 10.0)
    second = register_price_model(spark, settings, 20.0)
    set_champion(settings, first)
    return mlflow_dir, first, second


@pytest.fixture
def context(spark, tmp_path, registry):
    mlflow_dir, first, _ = registry
    set_champion(scoring_settings(tmp_path, mlflow_dir), first)
    context = context_for(spark, scoring_settings(tmp_path / "lakehouse", mlflow_dir))
    context.tables.write(first_listings(spark), "listings_silver")
    return context


def _args(**values) -> argparse.Namespace:
    return argparse.Namespace(**{"alias": None, "version": None, "full": False, **values})


def test_rerun_of_a_batch_replaces_it(context, registry) -> None:
    first = score(context, _args())
    again = score(context, _args())
    predictions = context.tables.read("predictions")
    assert first["batch_id"] == again["batch_id"]
    assert predictions.count() == again["rows_scored"] == 4
    assert predictions.select("sale_id").distinct().count() == 4
    assert context.tables.read("score_audit").count() == 1
    row = predictions.where("sale_id = 3").first()
    assert row["prediction"] == pytest.approx(2050.0, rel=1e-3)  # 10 * 200 + 50 (north)
    assert (row["model_version"], row["model_alias"], row["neighborhood"]) == (registry[1], "champion", "north")
    assert row["scoring_date"] == row["scored_at"].date()


def _file_statistics(spark, location: str) -> list[dict]:
    """The per-file statistics of the table's live files, as Delta recorded them in its log."""
    log = spark.read.json(f"{location}/_delta_log/*.json").where("add IS NOT NULL")
    return [json.loads(r["stats"]) for r in log.select("add.stats").collect()]


def test_predictions_carry_statistics_only_on_the_columns_that_skip_files(context, spark) -> None:
    writers = "spark.sql.maxConcurrentOutputFileWriters"
    spark.conf.set(writers, "0")
    try:
        score(context, _args())
        assert spark.conf.get(writers) == "0"  # the scoring write's setting does not leak
    finally:
        spark.conf.unset(writers)
    name = context.tables.qualified("predictions")
    detail = spark.sql(f"DESCRIBE DETAIL {name}").first()
    assert detail["properties"][STATS_COLUMNS_PROPERTY] == "sale_id,batch_id,scored_at"
    assert detail["partitionColumns"] == ["scoring_date"]
    assert set(_file_statistics(spark, context.tables.location("predictions"))[-1]["minValues"]) == {
        "sale_id", "batch_id", "scored_at"}

    # A table written before the property existed gets it on its next batch.
    spark.sql(f"ALTER TABLE {name} UNSET TBLPROPERTIES ('{STATS_COLUMNS_PROPERTY}')")
    score(context, _args())
    assert spark.sql(f"DESCRIBE DETAIL {name}").first()["properties"][STATS_COLUMNS_PROPERTY] == (
        "sale_id,batch_id,scored_at")
    assert context.tables.read("predictions").count() == 4


def test_incremental_run_scores_only_new_and_changed_rows(context, spark) -> None:
    first = score(context, _args())
    changed = listings(spark, [(4, "south", 130.0, SECOND_BATCH), (5, "north", 90.0, SECOND_BATCH)])
    context.tables.merge(changed, "listings_silver", "t.sale_id = s.sale_id")
    second = score(context, _args())

    assert second["batch_id"] != first["batch_id"]
    assert (second["rows_in"], second["rows_scored"], second["rows_quarantined"]) == (2, 2, 0)
    new_batch = context.tables.read("predictions").where(F.col("batch_id") == second["batch_id"])
    assert sorted(r["sale_id"] for r in new_batch.collect()) == [4, 5]
    assert context.tables.read("predictions").count() == 6
    latest = spark.table(context.tables.qualified("predictions_latest"))
    assert latest.count() == 5
    assert latest.where("sale_id = 4").first()["living_area"] == 130.0
    # Nothing new: the next run reruns the current batch and scores the same two rows again.
    assert score(context, _args())["rows_scored"] == 2
    assert context.tables.read("predictions").count() == 6


def test_bad_input_is_scored_by_the_stages_or_quarantined_and_reconciles(context, spark) -> None:
    bad = spark.createDataFrame(
        [(10, "north", 100.0, "x", SECOND_BATCH),      # extra column: ignored
         (11, "west", 100.0, "x", SECOND_BATCH),       # unseen category: the indexer's keep bucket
         (12, "south", None, "x", SECOND_BATCH),       # new null the model cannot use: NaN prediction
         (None, "south", 100.0, "x", SECOND_BATCH)],   # null key
        "sale_id bigint, neighborhood string, living_area double, extra string, _ingested_at timestamp",
    )
    context.tables.write(bad, "listings_silver")
    result = score(context, _args(full=True))
    assert (result["rows_in"], result["rows_scored"], result["rows_quarantined"]) == (4, 2, 2)
    scored = {r["sale_id"] for r in context.tables.read("predictions").collect()}
    assert scored == {10, 11}
    reasons = {r["reason"] for r in context.tables.read("predictions_quarantine").collect()}
    assert reasons == {"no prediction (model returned null or NaN)", "null key (sale_id)"}
    raw = context.tables.read("predictions_quarantine").where("reason LIKE 'no prediction%'").first()
    assert '"sale_id":12' in raw["raw_record"] and '"extra":"x"' in raw["raw_record"]
    audit = context.tables.read("score_audit").first()
    assert audit["rows_in"] == audit["rows_scored"] + audit["rows_quarantined"]
    rerun = score(context, _args(full=True))
    assert (rerun["rows_in"], rerun["rows_scored"], rerun["rows_quarantined"]) == (4, 2, 2)
    assert context.tables.read("predictions_quarantine").count() == 2


def test_a_missing_input_column_quarantines_every_row_with_the_reason(context, spark) -> None:
    context.tables.write(first_listings(spark).drop("living_area"), "listings_silver")
    result = score(context, _args())
    assert (result["rows_in"], result["rows_scored"], result["rows_quarantined"]) == (4, 0, 4)
    reasons = {r["reason"] for r in context.tables.read("predictions_quarantine").collect()}
    assert reasons == {"missing input column(s): living_area"}


def test_scoring_picks_up_a_new_champion(context, registry) -> None:
    _, first, second = registry
    assert score(context, _args())["version"] == first
    set_champion(context.settings, second)
    result = score(context, _args())
    assert result["version"] == second and result["alias"] == "champion"
    identity = {tuple(r) for r in context.tables.read("predictions").select("model_version", "model_alias").collect()}
    assert identity == {(second, "champion")}
    row = context.tables.read("predictions").where("sale_id = 3").first()
    assert row["prediction"] == pytest.approx(4050.0, rel=1e-3)  # 20 * 200 + 50


def test_monitor_flags_a_shifted_batch_and_not_an_unshifted_one(context, spark, tmp_path, registry) -> None:
    reference = spark.range(400).select(
        F.col("id").alias("sale_id"),
        F.when(F.col("id") % 2 == 0, "north").otherwise("south").alias("neighborhood"),
        (F.lit(50.0) + (F.col("id") % 200)).alias("living_area"),
    )
    context.tables.write(reference, "sales_silver")
    overrides = ["monitoring.numeric_features=[living_area]", "monitoring.categorical_features=[neighborhood]",
                 "monitoring.label_table=null"]
    monitored = context_for(spark, scoring_settings(tmp_path / "lakehouse", registry[0], *overrides))

    same = reference.where("sale_id % 5 = 1").withColumn("_ingested_at", F.lit(SECOND_BATCH))
    context.tables.write(same, "listings_silver")
    score(context, _args())
    unshifted = monitor(monitored, argparse.Namespace(batch_id=None, all_batches=False))
    assert unshifted["breaches"] == 0 and unshifted["checks"] == 5  # psi+ks, psi, prediction psi+ks

    shifted = same.withColumn("living_area", F.col("living_area") + 120).withColumn(
        "_ingested_at", F.lit(SECOND_BATCH).cast("timestamp") + F.expr("INTERVAL 1 DAY"))
    context.tables.merge(shifted, "listings_silver", "t.sale_id = s.sale_id")
    score(context, _args())
    # The command line: the breach is written, then the job exits non-zero.
    settings = monitored.settings
    with pytest.raises(SystemExit) as exit_info:
        monitor_main([
            "--set", f"lakehouse.root={settings.lakehouse.root}",
            "--set", f"mlflow.tracking_uri={settings.mlflow.tracking_uri}",
            "--set", f"mlflow.artifact_location={settings.mlflow.artifact_location}",
            *[arg for override in overrides for arg in ("--set", override)],
        ])
    assert exit_info.value.code == 1
    rows = context.tables.read("score_monitoring").where("breached").collect()
    assert {(r["kind"], r["name"]) for r in rows} >= {("feature", "living_area"), ("prediction", "prediction")}
    assert all(not math.isnan(r["value"]) for r in rows)


def _commits(spark, location: str) -> list:
    """The table's commits, newest first: operation and metrics."""
    return spark.sql(f"DESCRIBE HISTORY delta.`{location}`").select("operation", "operationMetrics").collect()


def test_counts_of_a_rerun_leave_out_the_other_batches_rows_a_compacted_file_held(context, spark) -> None:
    score(context, _args())
    changed = listings(spark, [(4, "south", 130.0, SECOND_BATCH), (5, "north", 90.0, SECOND_BATCH)])
    context.tables.merge(changed, "listings_silver", "t.sale_id = s.sale_id")
    score(context, _args())
    location = context.tables.location("predictions")
    spark.sql(f"OPTIMIZE delta.`{location}`")  # both batches now share one file

    rerun = score(context, _args())
    copied = int(_commits(spark, location)[0]["operationMetrics"]["numCopiedRows"])
    assert copied == 4  # the first batch's rows, rewritten with the file
    assert (rerun["rows_in"], rerun["rows_scored"], rerun["rows_quarantined"]) == (2, 2, 0)
    assert context.tables.read("predictions").count() == 6
    audit = context.tables.read("score_audit").where(F.col("batch_id") == rerun["batch_id"]).first()
    assert (audit["rows_in"], audit["rows_scored"], audit["rows_quarantined"]) == (2, 2, 0)


def test_null_keys_are_quarantined_in_one_pass_and_a_rerun_replaces_them(context, spark, tmp_path, registry) -> None:
    every_row = context_for(spark, scoring_settings(tmp_path / "lakehouse", registry[0], "score.incremental.mode=none"))
    rows = [(1, "north", 100.0, FIRST_BATCH), (2, "south", 150.0, FIRST_BATCH), (None, "north", 90.0, FIRST_BATCH)]
    every_row.tables.write(listings(spark, rows), "listings_silver")
    for _ in range(2):
        result = score(every_row, _args())
        assert (result["rows_in"], result["rows_scored"], result["rows_quarantined"]) == (3, 2, 1)
    quarantine = every_row.tables.read("predictions_quarantine")
    assert [r["reason"] for r in quarantine.collect()] == ["null key (sale_id)"]
    # No row lacked a prediction, so the model did not run again to look for such rows: one
    # quarantine write per run.
    writes = [c for c in _commits(spark, every_row.tables.location("predictions_quarantine")) if c["operation"] == "WRITE"]
    assert len(writes) == 2  # one per run


def test_pass_through_columns_keep_the_input_values_a_pipeline_rewrites(spark) -> None:
    rewrite = SQLTransformer(statement="SELECT * EXCEPT (neighborhood, living_area), 'Rare' AS neighborhood, "
                                       "coalesce(living_area, 0.0) AS living_area FROM __THIS__")
    predict = SQLTransformer(statement="SELECT *, living_area * 2 AS prediction FROM __THIS__")
    model = ResolvedModel(ModelIdentity("m", "1", None, "run"), "unused", [], PipelineModel([rewrite, predict]), None)
    rows = listings(spark, [(1, "north", None, FIRST_BATCH), (2, "south", 150.0, FIRST_BATCH)]).withColumns(
        {"home.dest": F.lit("x"), "prediction": F.lit(-1.0)})  # a dotted name; a stale prediction
    scored = apply_model(spark, model, rows)
    assert scored.columns == rows.columns
    assert scored.select("`home.dest`").distinct().collect()[0][0] == "x"
    assert [tuple(r) for r in scored.select("sale_id", "neighborhood", "living_area", "prediction").collect()] == [
        (1, "north", None, 0.0), (2, "south", 150.0, 300.0)]


def assert_reconciles(context: JobContext) -> list[dict]:
    """The reconciliation query reconciles every batch, and the audit's rows in are the input's rows."""
    tables, config = context.tables, context.settings.score
    query = reconciliation_sql(tables.qualified(config.audit_table), tables.qualified(config.output_table),
                               tables.qualified(config.quarantine), context.settings.use_case.key)
    batches = [r.asDict() for r in context.spark.sql(query).collect()]
    assert batches and all(b["reconciles"] for b in batches), batches
    for audit in tables.read(config.audit_table).collect():
        assert batch_input(context.tables, AuditRecord.from_row(audit)).count() == audit["rows_in"], audit
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

    tables = first_input.tables
    assert sorted((r["batch_id"], r["sale_id"]) for r in tables.read("predictions").collect()) == [
        (first["batch_id"], 1), (first["batch_id"], 2), (second["batch_id"], 7)]
    quarantined = tables.read("predictions_quarantine").groupBy("batch_id").count().collect()
    assert sorted(tuple(r) for r in quarantined) == [(first["batch_id"], 1), (second["batch_id"], 1)]
    assert first["input_version"] == second["input_version"] == 0
    assert first["batch_id"] == "house_sales.first_silver@v0"
    assert second["batch_id"] == "house_sales.second_silver@v0"
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
    monkeypatch.setattr(jobs.common.scoring, "record_audit", stopped)
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
    monkeypatch.setattr(jobs.common.scoring, "record_audit", stopped)
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


def test_a_rerun_takes_over_the_batch_an_earlier_release_named_by_version_alone(context, spark) -> None:
    first = score(context, _args())
    for table in ("predictions", "predictions_quarantine", "score_audit"):  # as an earlier release wrote them
        spark.sql(f"UPDATE delta.`{context.tables.location(table)}` SET batch_id = 'v0'")
    rerun = score(context, _args())
    assert rerun["batch_id"] == first["batch_id"] == "house_sales.listings_silver@v0"
    assert [r["batch_id"] for r in context.tables.read("score_audit").collect()] == [rerun["batch_id"]]
    assert context.tables.read("predictions").groupBy("batch_id").count().collect() == [(rerun["batch_id"], 4)]
    assert_reconciles(context)


def test_a_single_batch_id_string_is_refused_not_read_letter_by_letter(spark, tmp_path) -> None:
    tables = TableStore(spark, make_settings(tmp_path))
    with pytest.raises(TypeError, match="'bench'"):
        replace_batch(tables, spark.range(1), "bench_predictions", "bench")
    assert not Path(tables.location("bench_predictions")).exists()


def test_audit_record_fields_are_the_audit_table_columns_in_order() -> None:
    assert [f.name for f in fields(AuditRecord)] == [c.split()[0] for c in AUDIT_SCHEMA.split(", ")]
