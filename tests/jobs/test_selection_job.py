"""The select_features job: config -> fitted selectors -> selected table, Delta report, MLflow artifacts."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from pyspark.sql import functions as F

from jobs.common.cli import JobContext
from jobs.common.config import ConfigError, SelectionSettings, load_settings
from jobs.common.tables import TableStore
from jobs.select_features import select_features
from tests.selection_fixtures import INFORMATIVE, planted_frame
from tests.settings import make_settings
from transforms.selection import SelectionError, feature_names
from transforms.selection.pipeline import SelectionStep, build_selection_pipeline

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

STEPS = [
    {"selector": "constant", "params": {"tol": 0.99}},
    {"selector": "duplicates"},
    {"selector": "correlation", "params": {"threshold": 0.9}},
    {"selector": "lasso", "params": {"regParam": 0.05}},
]


@pytest.fixture(scope="module")
def job_run(spark, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("select_job")
    settings = make_settings(tmp, "house_sales")
    selection = SelectionSettings.model_validate({
        "input_table": "planted_features", "output_table": "planted_selected",
        "report_table": "selection_report", "steps": STEPS,
    })
    settings = settings.model_copy(update={"selection": selection})
    context = JobContext(settings, spark, TableStore(spark, settings))
    planted = planted_frame(spark, rows=1500).select(
        F.col("id").alias("sale_id"), F.when(F.col("id") % 5 == 0, "test").otherwise("train").alias("split"),
        F.col("y").alias("sale_price"), "features",
    )
    context.tables.write(planted, "planted_features")
    return context, select_features(context)


def test_job_keeps_the_informative_features_and_writes_the_selected_table(job_run) -> None:
    context, result = job_run
    assert result["kept"] == INFORMATIVE
    assert result["features_in"] == 9
    selected = context.tables.read("planted_selected")
    assert feature_names(selected, "features") == INFORMATIVE
    assert selected.count() == result["rows"] == 1500
    assert set(selected.columns) == {"sale_id", "split", "sale_price", "features"}


def test_report_table_has_one_row_per_feature_and_step_with_reasons(job_run) -> None:
    context, result = job_run
    report = context.tables.read("selection_report")
    rows = report.collect()
    assert len(rows) == result["report_rows"] == 9 + 7 + 6 + 5
    assert all(r["reason"] and r["run_id"] == result["run_id"] for r in rows)
    by_feature = {(r["step"], r["feature"]): r for r in rows}
    assert by_feature[(0, "const")]["decision"] == "dropped"
    assert by_feature[(1, "x1_copy")]["decision"] == "dropped"
    assert by_feature[(3, "noise1")]["selector"] == "lasso"
    assert by_feature[(3, "noise1")]["decision"] == "dropped"


def test_report_is_an_mlflow_artifact_and_no_fitted_state_is_left_for_training(job_run) -> None:
    context, result = job_run
    mlflow.set_tracking_uri(context.settings.mlflow.tracking_uri)
    run = MlflowClient().get_run(result["run_id"])
    assert run.data.metrics["features_kept"] == 3
    artifacts = {a.path for a in MlflowClient().list_artifacts(result["run_id"], "selection")}
    assert artifacts == {"selection/report.json", "selection/report.csv"}
    report = mlflow.artifacts.load_dict(f"runs:/{result['run_id']}/selection/report.json")
    assert report["kept"] == INFORMATIVE and len(report["decisions"]) == result["report_rows"]
    assert feature_names(context.tables.read(context.settings.selection.output_table), "features") == INFORMATIVE
    # Training refits the selectors inside the model: nothing is handed over by path.
    assert not (Path(context.tables.location("_models")) / "selection_pipeline").exists()


def test_selection_section_parses_from_yaml(tmp_path) -> None:
    settings = make_settings(
        tmp_path, "house_sales",
        "selection={input_table: a, output_table: b, report_table: c, steps: [{selector: lasso, params: {regParam: 0.1}}]}",
    )
    assert settings.selection.steps[0].selector == "lasso"
    assert settings.selection.features_col == "features"
    with pytest.raises(ConfigError, match="selection"):
        load_settings("house_sales", overrides=["selection={input_table: a, output_table: b, report_table: c, steps: []}"])


def test_a_use_case_without_selection_fails_clearly(spark, tmp_path) -> None:
    settings = make_settings(tmp_path, "house_sales", "selection=null")
    with pytest.raises(ConfigError, match="no `selection:` section"):
        select_features(JobContext(settings, spark, TableStore(spark, settings)))


def test_unknown_selector_or_parameter_fails_before_fitting() -> None:
    with pytest.raises(SelectionError, match="unknown selector 'lasso2'"):
        build_selection_pipeline([SelectionStep("lasso2")], "features", "y", "regression")
    with pytest.raises(SelectionError, match="unknown parameter 'alpha'"):
        build_selection_pipeline([SelectionStep("lasso", {"alpha": 0.1})], "features", "y", "regression")
