"""A short use case (use_case, sources and split only) trains with the default pipeline and candidates."""

from __future__ import annotations

import random
from pathlib import Path

import mlflow
import pytest
import yaml

from jobs.features import build_features
from jobs.train import train
from tests.ingest_fixtures import ingested

pytestmark = pytest.mark.slow

SHORT_USE_CASE = {
    "use_case": {"name": "short", "schema": "short_defaults", "key": ["cid"], "label": "churned",
                 "positive_label": "Yes"},
    "sources": [{"name": "customers", "path": "customers", "format": "csv", "options": {"header": "true"},
                 "table": "customers_bronze", "key": ["cid"],
                 "columns": {"cid": "int", "tenure": "double", "plan": "string", "region": "string",
                             "signed_up": "date", "autopay": "boolean", "country": "string", "churned": "string"}}],
    # No seed: the default 0 (any seed works: each hash of the key is salted by its purpose).
    "split": {"test_fraction": 0.25},
}


def _customers_csv(rows: int = 400) -> str:
    """Churn driven by tenure, plan and region; a tenth of the labels flipped; blanks in tenure."""
    draw = random.Random(7)
    lines = ["cid,tenure,plan,region,signed_up,autopay,country,churned"]
    for cid in range(1, rows + 1):
        tenure, plan, region = draw.randint(0, 36), draw.choice(["basic", "plus", "pro"]), draw.randint(0, 24)
        churn = tenure < 8 or (plan == "basic" and tenure < 14) or region < 3
        churn = churn != (draw.random() < 0.1)
        shown_tenure = "" if cid % 20 == 0 else str(tenure)
        lines.append(f"{cid},{shown_tenure},{plan},r{region},2020-{draw.randint(1, 12):02d}-01,"
                     f"{str(draw.random() < 0.5).lower()},NL,{'Yes' if churn else 'No'}")
    return "\n".join(lines) + "\n"


def test_a_short_use_case_trains_with_defaults_and_beats_the_baseline(spark, tmp_path: Path) -> None:
    context = ingested(spark, tmp_path, SHORT_USE_CASE, _customers_csv())

    result = train(context)

    assert result["metrics"]["roc_auc"] > 0.8 > result["baseline"]["roc_auc"]
    pipeline, candidates = result["defaults"]
    assert pipeline == ("default pipeline: missing_indicator (1), date_parts (1), impute_mean_median (5), "
                        "impute_categorical (2), rare_label (1), one_hot (1), rare_label (1), ordinal_encode (1), "
                        "assemble (8); left out: country (one value in every row)")
    assert candidates == ("default candidates: logistic_regression (6 grid points), "
                          "xgboost_classifier (4 grid points)")
    chosen = yaml.safe_load(mlflow.artifacts.load_text(f"runs:/{result['run_id']}/defaults.yml"))
    steps = {step["stage"]: step["columns"] for step in chosen["features"]["steps"]}
    assert steps["one_hot"] == ["plan"] and steps["ordinal_encode"] == ["region"]
    assert [c["algorithm"] for c in chosen["model"]["candidates"]] == ["logistic_regression", "xgboost_classifier"]
    assert mlflow.get_run(result["run_id"]).data.params["default_candidates"] == candidates.partition(": ")[2]
    report = Path(result["report"]).read_text()
    assert "default pipeline: missing_indicator" in report and "default candidates: logistic_regression" in report
    # The features job writes its table with the same default steps.
    assert set(build_features(context)) == {"train", "test"}
