"""Source contracts through ingest: the `sources` table, the stale warning, monitor's failure on a
stale source, and the ingest messes of issue #21 (blank null tokens, CSV header warnings, text labels)."""

from __future__ import annotations

import logging
import os
import time
from datetime import date

import pytest

from jobs.common.config import ConfigError
from jobs.common.source_contracts import SOURCES_TABLE, source_contract
from jobs.ingest import ingest
from jobs.monitor import main as monitor_main
from tests.ingest_fixtures import context_for, land, rows, write_use_case
from tests.jvm_logs import jvm_log
from tests.settings import make_settings
from transforms.modeling.labels import LabelError, LabelMapping, check_labels

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

HEADER = "id,updated,city,price\n"
CONTRACT = {"owner": "sales ops", "support": "data@example.com", "origin": "nightly CRM export",
            "refresh": "daily", "max_staleness": "36h", "completeness": "no rentals",
            "bias": "city sales only", "cost": "free"}
CSV_HEADER_CHECKER = "org.apache.spark.sql.catalyst.csv.CSVHeaderChecker"
DAY = date(2024, 1, 1)


def _monitor(context, tmp_path) -> None:
    """The monitor command on the test's use case: source freshness only (no `monitoring:`)."""
    settings = context.settings
    monitor_main(["--use-case", str(tmp_path / "use_case.yml"),
                  "--set", f"lakehouse.root={settings.lakehouse.root}",
                  "--set", f"lakehouse.landing={settings.lakehouse.landing}",
                  "--set", f"mlflow.tracking_uri={settings.mlflow.tracking_uri}",
                  "--set", "monitoring=null"])


def _age(path, days: float) -> None:
    """Make a landing file `days` old (its modification time, as the landing folder lists it)."""
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_ingest_records_the_contract_and_what_it_saw_in_the_sources_table(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path, contract=CONTRACT)
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n2,2024-01-02,Oslo,x\n")
    land(tmp_path, "b.csv", HEADER + "3,2024-01-03,Bergen,300\n")

    ingest(context)

    (row,) = context.tables.read(SOURCES_TABLE).collect()
    assert {k: row[k] for k in CONTRACT} == CONTRACT
    assert (row["name"], row["silver_rows"], row["last_batch_id"], row["stale"]) == ("things", 2, 1, None)
    assert row["silver_table"].endswith(".things_silver")
    bronze_newest = context.tables.read("things_bronze").agg({"_ingested_at": "max"}).first()[0]
    assert row["newest_ingested_at"] == bronze_newest
    assert row["newest_file_at"] is not None and row["recorded_at"] >= row["newest_ingested_at"]

    land(tmp_path, "c.csv", HEADER + "4,2024-01-04,Bergen,400\n")
    ingest(context)  # the source's row is replaced, not appended
    assert [(r["name"], r["silver_rows"], r["last_batch_id"]) for r in context.tables.read(SOURCES_TABLE).collect()] == [
        ("things", 3, 2)]


def test_a_source_without_a_contract_gets_a_row_with_empty_contract_fields(spark, tmp_path) -> None:
    context = context_for(spark, tmp_path)
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n")
    ingest(context)
    (row,) = context.tables.read(SOURCES_TABLE).collect()
    assert row["silver_rows"] == 1 and all(row[k] is None for k in CONTRACT)


def test_a_stale_source_warns_in_ingest_and_fails_monitor_with_the_line(spark, tmp_path, caplog, capsys) -> None:
    context = context_for(spark, tmp_path, contract={"refresh": "daily", "max_staleness": "1d"})
    _age(land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n"), days=3)

    with caplog.at_level(logging.WARNING, logger="jobs.common.source_contracts"):
        ingest(context)
    stale = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "stale" in r.getMessage()]
    assert len(stale) == 1
    assert stale[0].startswith("source 'things' is stale: newest file ")
    assert stale[0].endswith(", older than max_staleness 1d")
    assert context.tables.read(SOURCES_TABLE).first()["stale"] == stale[0]

    with pytest.raises(SystemExit) as exit_info:
        _monitor(context, tmp_path)
    assert exit_info.value.code == 1
    assert f"monitoring: {stale[0]}" in capsys.readouterr().err.splitlines()


def test_a_fresh_source_neither_warns_nor_fails_monitor(spark, tmp_path, caplog) -> None:
    context = context_for(spark, tmp_path, contract={"max_staleness": "36h"})
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo,100\n")
    with caplog.at_level(logging.WARNING, logger="jobs.common.source_contracts"):
        ingest(context)
    assert not [r for r in caplog.records if "stale" in r.getMessage()]
    _monitor(context, tmp_path)  # returns: exit code 0


@pytest.mark.parametrize("duration", ["36 hours", "1.5d", "0h", "soon"])
def test_a_max_staleness_that_is_no_duration_fails_at_load_naming_file_and_key(tmp_path, duration) -> None:
    path = write_use_case(tmp_path, contract={"max_staleness": duration})
    with pytest.raises(ConfigError) as error:
        make_settings(tmp_path, str(path))
    lines = [line for line in str(error.value).splitlines() if "max_staleness" in line]
    assert len(lines) == 1
    assert str(path) in lines[0] and "key 'sources.0.contract.max_staleness'" in lines[0]
    assert "is not a duration" in lines[0]


def test_an_unknown_contract_key_is_refused(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'sources\.0\.contract\.ownr'"):
        make_settings(tmp_path, str(write_use_case(tmp_path, contract={"ownr": "me"})))


@pytest.mark.parametrize("trim", [True, False])
def test_blank_values_are_null_with_a_blank_token_and_nothing_goes_to_quarantine(spark, tmp_path, trim) -> None:
    context = context_for(spark, tmp_path, null_tokens=[" "], trim_whitespace=trim)
    land(tmp_path, "a.csv", HEADER + "1,2024-01-01,Oslo, \n2,2024-01-01,   ,200\n")
    counts = ingest(context)["things"]
    assert (counts["rows_silver"], counts["rows_quarantined"]) == (2, 0)
    assert [r[:4] for r in rows(context, "things_silver")] == [(1, DAY, "Oslo", None), (2, DAY, None, 200.0)]


def test_a_header_with_spaces_after_delimiters_and_file_names_draws_no_spark_warning(spark, tmp_path) -> None:
    names = {"updated": " updated", "city": " city", "price": " price"}
    context = context_for(spark, tmp_path, file_names=names)
    land(tmp_path, "a.csv", "id, updated, city, price\n1,2024-01-01,Oslo,100\n")
    with jvm_log(spark, CSV_HEADER_CHECKER) as logged:
        counts = ingest(context)["things"]
    assert counts["rows_silver"] == 1
    assert rows(context, "things_silver")[0][:4] == (1, DAY, "Oslo", 100.0)
    assert logged == []


def test_a_header_that_really_drifts_still_warns(spark, tmp_path, caplog) -> None:
    context = context_for(spark, tmp_path)
    land(tmp_path, "a.csv", "id,updated,town,price\n1,2024-01-01,Oslo,100\n")
    with jvm_log(spark, CSV_HEADER_CHECKER) as logged, caplog.at_level(logging.WARNING):
        ingest(context)
    assert any("Expected: city but found: town" in line for line in logged), logged
    assert any("header differs from the declared columns" in r.getMessage() for r in caplog.records)


def test_a_text_label_is_ingested_as_text_and_maps_or_names_the_values_that_do_not(spark, tmp_path) -> None:
    columns = {"id": "int", "updated": "date", "churn": "string"}
    context = context_for(spark, tmp_path, columns=columns)
    land(tmp_path, "a.csv", "id,updated,churn\n1,2024-01-01,Yes\n2,2024-01-01,No\n3,2024-01-01,No\n")
    ingest(context)
    silver = context.tables.read("things_silver")
    assert [r["churn"] for r in silver.orderBy("id").collect()] == ["Yes", "No", "No"]
    assert check_labels(silver, LabelMapping("churn", "Yes", "No"), 0.0) == 0
    with pytest.raises(LabelError, match=r"^label 'churn': 3 of 3 rows have no usable label \(values such as 'No', 'Yes'\)"):
        check_labels(silver, LabelMapping("churn", "yes", "no"), 0.0)


def test_the_profiled_table_finds_its_sources_contract_by_bronze_or_silver_name(tmp_path) -> None:
    settings = make_settings(tmp_path, "titanic")
    contract = source_contract(settings, "passengers_silver")
    assert contract["source"] == "passengers" and contract["refresh"] == "adhoc"
    assert source_contract(settings, "passengers_bronze") == contract
    assert "sex and class" in contract["bias"]
    assert source_contract(settings, "passengers_features") is None
