"""The train job on a tiny classification table with a text label: every candidate assessed on
test, the threshold from out-of-fold predictions, params and lineage on the MLflow run."""

from __future__ import annotations

from pathlib import Path

import mlflow
import mlflow.spark
import pytest
from mlflow import MlflowClient
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, job_parser, open_context
from jobs.common.config import ConfigError
from jobs.train import train
from tests.settings import make_settings
from transforms.modeling.labels import LabelError
from transforms.modeling.statistics import vector_slot_names

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

CANDIDATES = (
    "[{name: logistic, algorithm: logistic_regression, params: {maxIter: 30}, grid: {regParam: [0.01, 1.0]}},"
    " {name: forest, algorithm: random_forest_classifier, params: {numTrees: 5, maxDepth: 3, seed: 1}}]"
)


def _context(tmp: Path, *extra: str) -> JobContext:
    overrides = [
        f"lakehouse.root={tmp}/lakehouse", f"lakehouse.landing={tmp}/landing",
        f"mlflow.tracking_uri=sqlite:///{tmp}/mlflow.db", f"mlflow.artifact_location={tmp}/mlartifacts",
        "use_case.task=classification", "use_case.label=churn", "use_case.key=[cid]",
        'use_case.positive_label="Yes"', 'use_case.negative_label="No"',
        "features.input_table=customers", "features.output_table=customer_features",
        "features.steps=[{stage: one_hot, columns: [plan]}, {stage: assemble, columns: [tenure, country, plan]}]",
        "selection={input_table: customer_features, output_table: customer_selected, report_table: selection_report,"
        " steps: [{selector: constant}]}",
        f"model.candidates={CANDIDATES}", "model.name=churn",
        "assessment.value_matrix={true_positive: 100, false_positive: -20}",
        "lineage.git_commit=abc123", "lineage.bundle_target=prod", "train.folds=2", *extra,
    ]
    return open_context(job_parser("train").parse_args([a for o in overrides for a in ("--set", o)]))


def _customers(spark):
    rows = spark.range(1, 401, numPartitions=2).select(
        F.col("id").cast("int").alias("cid"),
        (F.col("id") % 24).cast("double").alias("tenure"),
        F.element_at(F.array(F.lit("basic"), F.lit("plus"), F.lit("pro")),
                     (F.col("id") % 3 + 1).cast("int")).alias("plan"),
        F.pmod(F.xxhash64("id"), F.lit(10)).alias("noise"),
        F.lit(1.0).alias("country"),
    )
    # Churners: short tenure, more so on the basic plan; a tenth of the labels flipped.
    churn = (F.col("tenure") < 8) | ((F.col("plan") == "basic") & (F.col("tenure") < 12))
    flipped = F.when(F.col("noise") == 0, ~churn).otherwise(churn)
    return rows.select("cid", "tenure", "plan", "country", F.when(flipped, "Yes").otherwise("No").alias("churn"))


@pytest.fixture(scope="module")
def trained(spark, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train_job")
    context = _context(tmp)
    context.tables.write(_customers(spark), "customers")
    return context, train(context)


def test_every_candidate_is_assessed_on_test_and_the_best_registered(trained) -> None:
    context, result = trained
    assert [row["candidate"] for row in result["candidates"]] == ["logistic", "forest"]
    for row in result["candidates"]:
        assert 0.5 < row["test"]["roc_auc"] <= 1.0 and row["cv_std"] >= 0.0
    best = next(row for row in result["candidates"] if row["candidate"] == result["candidate"])
    assert result["metrics"] == best["test"]
    run = MlflowClient(context.settings.mlflow.tracking_uri).get_run(result["run_id"])
    assert {f"test_roc_auc_{name}" for name in ("logistic", "forest")} <= set(run.data.metrics)


def test_the_threshold_comes_from_out_of_fold_predictions(trained) -> None:
    _, result = trained
    best = next(row for row in result["candidates"] if row["candidate"] == result["candidate"])
    assert result["threshold"] == best["threshold"]
    assert 0.0 < result["threshold"] < 1.0
    business = result["business"]
    assert set(business) >= {"value_model", "value_everyone", "value_random", "value_no_model", "value_uplift"}


def test_params_tuning_and_lineage_are_on_the_run(trained) -> None:
    context, result = trained
    run = MlflowClient(context.settings.mlflow.tracking_uri).get_run(result["run_id"])
    params, tags = run.data.params, run.data.tags
    assert params["tuning"] == "cross_validation" and params["folds"] == "2"
    if result["candidate"] == "logistic":
        assert params["param_maxIter"] == "30" and params["param_regParam"] in ("0.01", "1.0")
    else:
        assert params["param_numTrees"] == "5"
    assert (tags["git_commit"], tags["bundle_target"]) == ("abc123", "prod")
    inputs = {d.dataset.name: d for d in run.inputs.dataset_inputs}
    version = context.tables.version("customers")
    assert set(inputs) == {f"{context.tables.qualified('customers')}@v{version}:{split}" for split in ("train", "test")}
    assert all(d.dataset.source_type == "delta_table" for d in inputs.values())


def test_the_registered_model_takes_raw_columns_without_the_label(trained, spark) -> None:
    context, result = trained
    mlflow.set_tracking_uri(context.settings.mlflow.tracking_uri)
    info = mlflow.models.get_model_info(f"models:/{result['model_name']}/{result['version']}")
    assert set(info.signature.inputs.input_names()) == {"cid", "tenure", "plan", "country"}


def test_the_selection_inside_the_registered_model_drops_the_constant_column(trained, spark) -> None:
    context, result = trained
    selection = result["selection"]
    # Constant in training: the country, and the one-hot slot of plans unseen in training.
    assert selection["dropped"] == ["country", "plan__onehot___unknown"]
    assert selection["features_kept"] == selection["features_in"] - 2
    mlflow.set_tracking_uri(context.settings.mlflow.tracking_uri)
    model = mlflow.spark.load_model(f"models:/{result['model_name']}/{result['version']}")
    estimator = model.stages[-1]
    assert estimator.numFeatures == selection["features_kept"]
    scored = model.transform(_customers(spark).drop("churn"))
    assert "country" not in vector_slot_names(scored, "features")


def test_a_fixed_model_logs_its_params_and_no_tuning(spark, tmp_path) -> None:
    context = _context(tmp_path, "model.candidates=[{name: forest, algorithm: random_forest_classifier,"
                                 " params: {numTrees: 3, maxDepth: 2}}]", "assessment.value_matrix=null")
    context.tables.write(_customers(spark), "customers")
    result = train(context)
    run = MlflowClient(context.settings.mlflow.tracking_uri).get_run(result["run_id"])
    assert run.data.params["tuning"] == "none" and "folds" not in run.data.params
    assert run.data.params["param_numTrees"] == "3" and run.data.params["param_maxDepth"] == "2"


def test_a_bare_yes_in_yaml_is_refused_with_the_fix(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"use_case\.positive_label.*quote the label"):
        make_settings(tmp_path, "titanic", "use_case.positive_label=Yes")


def test_a_label_that_does_not_map_stops_training_with_one_line(spark, tmp_path) -> None:
    context = _context(tmp_path, 'use_case.positive_label="yes"', 'use_case.negative_label="no"')
    context.tables.write(_customers(spark), "customers")
    with pytest.raises(LabelError, match=r"label 'churn': 400 of 400 rows have no usable label \(values such as"):
        train(context)
