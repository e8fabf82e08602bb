"""The promote job's gate on a registry: first promotion, a better and a worse challenger,
the absolute thresholds, and the challenger's frozen test rows."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from jobs.common.cli import JobContext, job_parser, open_context
from jobs.features import build_features
from jobs.promote import promote
from jobs.train import train

pytestmark = pytest.mark.slow


def _context(tmp: Path, algorithm_params: str, *extra: str) -> JobContext:
    overrides = [
        f"lakehouse.root={tmp}/lakehouse", f"lakehouse.landing={tmp}/landing",
        f"mlflow.tracking_uri=sqlite:///{tmp}/mlflow.db", f"mlflow.artifact_location={tmp}/mlartifacts",
        "features.input_table=tiny_raw", "features.output_table=tiny_features",
        "features.steps=[{stage: assemble, columns: [x1, x2]}]",
        # A candidates list replaces the use case's model (a params mapping would merge into it).
        f"model.candidates=[{{algorithm: decision_tree_regressor, params: {algorithm_params}}}]",
        "gate.margin=0.05", "gate.thresholds={rmse: {max: 1000.0}}", *extra,
    ]
    return open_context(job_parser("gate").parse_args([a for o in overrides for a in ("--set", o)]))


def _tiny_raw(spark, rows: range, price_scale: float = 1.0):
    values = [(i, float(i % 10), float(i % 7), price_scale * (3.0 * (i % 10) + 2.0 * (i % 7))) for i in rows]
    return spark.createDataFrame(values, "sale_id int, x1 double, x2 double, sale_price double")


def _lake(spark, tmp: Path) -> Path:
    context = _context(tmp, "{maxDepth: 1}")
    context.tables.write(_tiny_raw(spark, range(60)), "tiny_raw")
    build_features(context)
    return tmp


@pytest.fixture(scope="module")
def tiny_lake(spark, tmp_path_factory) -> Path:
    return _lake(spark, tmp_path_factory.mktemp("gate"))


def _registry(context: JobContext) -> MlflowClient:
    mlflow.set_tracking_uri(context.settings.mlflow.tracking_uri)
    return MlflowClient()


def test_gate_promotes_first_then_better_and_refuses_worse(tiny_lake: Path) -> None:
    name = "house_sales_price"
    weak = _context(tiny_lake, "{maxDepth: 1}")
    first = train(weak)
    assert first["alias"] == "challenger"
    registry = _registry(weak)
    assert str(registry.get_model_version_by_alias(name, "challenger").version) == first["version"]

    decision = promote(weak)
    assert decision["promoted"] and "no champion yet" in decision["reasons"]
    assert str(registry.get_model_version_by_alias(name, "champion").version) == first["version"]

    strong = _context(tiny_lake, "{maxDepth: 5}")
    second = train(strong)
    decision = promote(strong)
    assert decision["promoted"], decision["reasons"]
    assert str(registry.get_model_version_by_alias(name, "champion").version) == second["version"]
    assert registry.get_model_version(name, second["version"]).tags["gate_champion_version"] == first["version"]

    third = train(weak)
    decision = promote(weak)
    assert not decision["promoted"]
    assert str(registry.get_model_version_by_alias(name, "champion").version) == second["version"]
    version = registry.get_model_version(name, third["version"])
    assert version.tags["gate_decision"] == "rejected"
    assert "does not beat the champion" in version.tags["gate_reasons"]
    assert version.description.startswith("Gate: rejected.")


def test_gate_refuses_a_challenger_over_the_absolute_threshold(tiny_lake: Path) -> None:
    # Runs after the test above: the strong model is champion; an impossible bound blocks a
    # challenger that would otherwise beat... nothing, so the bound alone decides.
    strict = _context(tiny_lake, "{maxDepth: 6}", "gate.thresholds={rmse: {max: 0.000001}}", "gate.margin=0.0")
    trained = train(strict)
    decision = promote(strict)
    assert not decision["promoted"]
    assert any("above the maximum" in reason for reason in decision["reasons"])
    version = _registry(strict).get_model_version("house_sales_price", trained["version"])
    assert version.tags["gate_decision"] == "rejected"


def test_gate_scores_the_frozen_test_rows_and_the_same_model_does_not_win(spark, tmp_path: Path) -> None:
    lake = _lake(spark, tmp_path)
    context = _context(lake, "{maxDepth: 1}", "gate.margin=0.0")
    first = train(context)
    assert promote(context)["promoted"]
    again = train(context)  # the same model, trained on the same snapshot, registered again

    # Silver changes after training: other prices, more rows. The gate still scores the rows
    # the challenger was tested on, at the source version its training run recorded.
    context.tables.write(_tiny_raw(spark, range(200), price_scale=10.0), "tiny_raw")
    decision = promote(context)
    assert decision["metrics"]["rmse"] == pytest.approx(first["metrics"]["rmse"], rel=1e-9)
    assert decision["champion_metrics"]["rmse"] == pytest.approx(first["metrics"]["rmse"], rel=1e-9)
    assert not decision["promoted"] and "a tie does not beat the champion" in decision["reasons"][-1]
    registry = _registry(context)
    assert str(registry.get_model_version_by_alias("house_sales_price", "champion").version) == first["version"]
    assert registry.get_model_version("house_sales_price", again["version"]).tags["gate_decision"] == "rejected"
