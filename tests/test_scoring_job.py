"""The score job on tiny inputs: rerun, incremental run, bad input, alias switch, monitoring."""

from __future__ import annotations

import argparse
import json
import math

import pytest
from pyspark.ml import PipelineModel
from pyspark.ml.feature import SQLTransformer
from pyspark.sql import functions as F

from jobs.monitor import main as monitor_main
from jobs.monitor import monitor
from jobs.score import STATS_COLUMNS_PROPERTY, ResolvedModel, apply_model, score
from tests.scoring_fixtures import (
    FIRST_BATCH,
    SECOND_BATCH,
    build_registry,
    context_for,
    first_listings,
    listings,
    listings_context,
    scoring_settings,
    set_champion,
)
from tests.scoring_fixtures import score_args as _args
from transforms.scoring import ModelIdentity

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def registry(spark, tmp_path_factory):
    return build_registry(spark, tmp_path_factory.mktemp("registry"), tmp_path_factory.mktemp("unused"))


@pytest.fixture
def context(spark, tmp_path, registry):
    return listings_context(spark, tmp_path, registry)


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
