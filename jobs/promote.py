"""The gate: promote the challenger to the scoring alias (champion) only if it earns it.

It must pass the absolute thresholds of `gate.thresholds` on the test split and, when there
is a champion, beat it on the same test rows by `gate.margin`. Both models are loaded from
the registry and score the same raw test rows. The decision and its reasons are recorded on
the challenger's model version (tags and description) whatever the outcome.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from mlflow.exceptions import MlflowException

from jobs.common.cli import JobContext, run_job
from jobs.common.model_loading import load_spark_model
from jobs.common.tracking import client, configure_mlflow, registered_model_name
from jobs.train import DEFAULT_THRESHOLD, training_metric
from transforms.modeling.gate import Bound, decide
from transforms.modeling.statistics import test_metrics
from transforms.split import TEST

log = logging.getLogger(__name__)


def _version_by_alias(name: str, alias: str) -> Any | None:
    try:
        return client().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def _metrics_on_test_rows(context: JobContext, version: Any) -> dict[str, float]:
    """Metrics of a registered version on the raw rows of the feature table's test split."""
    settings, tables = context.settings, context.tables
    use_case = settings.use_case
    test_keys = tables.read(settings.features.output_table).where(f"split = '{TEST}'").select(*use_case.key)
    rows = tables.read(settings.features.input_table).join(test_keys, use_case.key, "left_semi")
    model = load_spark_model(context.spark, f"models:/{version.name}/{version.version}")
    threshold = float(version.tags.get("decision_threshold", DEFAULT_THRESHOLD))
    return test_metrics(model.transform(rows), use_case.task, use_case.label, threshold)


def promote(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings = context.settings
    gate, model = settings.gate, settings.model
    configure_mlflow(settings, create_store=False)
    name = registered_model_name(settings)
    challenger = _version_by_alias(name, model.challenger_alias)
    if challenger is None:
        raise LookupError(f"no model version of {name!r} carries @{model.challenger_alias}: run training first")
    champion = _version_by_alias(name, model.alias)
    metric = gate.metric or training_metric(settings)
    if champion is not None and champion.version == challenger.version:
        return {"model_name": name, "version": str(challenger.version), "promoted": False,
                "reasons": [f"version {challenger.version} is already @{model.alias}"]}
    challenger_metrics = _metrics_on_test_rows(context, challenger)
    champion_metrics = _metrics_on_test_rows(context, champion) if champion is not None else None
    thresholds = {k: Bound(v.min, v.max) for k, v in gate.thresholds.items()}
    decision = decide(challenger_metrics, champion_metrics, metric, gate.margin, thresholds)

    registry, version = client(), str(challenger.version)
    verdict = "promoted" if decision.promote else "rejected"
    tags = {
        "gate_decision": verdict,
        "gate_reasons": "; ".join(decision.reasons),
        "gate_metric": metric,
        "gate_margin": str(gate.margin),
        f"gate_test_{metric}": f"{challenger_metrics[metric]:.6g}",
        "gate_champion_version": str(champion.version) if champion is not None else "none",
    }
    if champion_metrics is not None:
        tags[f"gate_champion_test_{metric}"] = f"{champion_metrics[metric]:.6g}"
    for key, value in tags.items():
        registry.set_model_version_tag(name, version, key, value)
    registry.update_model_version(name, version, description=f"Gate: {verdict}. " + "; ".join(decision.reasons))
    if decision.promote:
        registry.set_registered_model_alias(name, model.alias, version)
    log.info("gate %s %s v%s: %s", verdict, name, version, decision.reasons)
    return {"model_name": name, "version": version, "promoted": decision.promote, "reasons": decision.reasons,
            "champion_version": tags["gate_champion_version"], "metrics": challenger_metrics,
            "champion_metrics": champion_metrics}


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, promote, argv)


if __name__ == "__main__":
    main()
