"""The gate: promote the challenger to the scoring alias (champion) only if it earns it.

It must pass the absolute thresholds of `gate.thresholds` on the test split and, when there
is a champion, be strictly better on the same test rows, by at least `gate.margin` (a tie is
not a win). Both models are loaded from the registry and score the same frozen raw test rows:
the test split of the challenger's training snapshot, read by Delta version (time travel) from
the lineage its training run recorded, so silver changing after training changes nothing here.
The decision and its reasons are recorded on the challenger's model version (tags and
description) whatever the outcome.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from mlflow.entities.model_registry import ModelVersion
from pyspark.sql import DataFrame

from jobs.common.cli import JobContext, run_job
from jobs.common.lineage import frozen_test_rows
from jobs.common.model_loading import load_spark_model, registered_version
from jobs.common.model_setup import configured_metric
from jobs.common.progress import Stage
from jobs.common.registry import set_alias, tag_version, version_by_alias
from jobs.common.tracking import THRESHOLD_TAG, configure_mlflow, registered_model_name
from transforms.modeling.gate import Bound, decide
from transforms.modeling.statistics import test_metrics

log = logging.getLogger(__name__)

# The progress line of the job, alone or in run_all: name, rows, seconds.
STAGE = Stage("promote")


def _metrics_on_test_rows(context: JobContext, version: ModelVersion, rows: DataFrame) -> dict[str, float]:
    """Metrics of a registered version on `rows`, at its decision threshold (as the score job uses it)."""
    use_case = context.settings.use_case
    model = load_spark_model(context.spark, f"models:/{version.name}/{version.version}")
    threshold = float(version.tags.get(THRESHOLD_TAG, context.settings.score.threshold))
    return test_metrics(model.transform(rows), use_case.task, use_case.label, threshold)


def promote(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings = context.settings
    gate, model = settings.gate, settings.model
    configure_mlflow(settings, create_store=False)
    name = registered_model_name(settings)
    challenger = registered_version(name, model.challenger_alias, hint="run lakehouse-train first")
    champion = version_by_alias(name, model.alias)
    metric = gate.metric or configured_metric(settings)
    if champion is not None and champion.version == challenger.version:
        return {"model_name": name, "version": str(challenger.version), "promoted": False,
                "reasons": [f"version {challenger.version} is already @{model.alias}"]}
    rows = frozen_test_rows(context, challenger)
    challenger_metrics = _metrics_on_test_rows(context, challenger, rows)
    champion_metrics = _metrics_on_test_rows(context, champion, rows) if champion is not None else None
    thresholds = {k: Bound(v.min, v.max) for k, v in gate.thresholds.items()}
    decision = decide(challenger_metrics, champion_metrics, metric, gate.margin, thresholds)

    version = str(challenger.version)
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
    tag_version(name, version, tags, description=f"Gate: {verdict}. " + "; ".join(decision.reasons))
    if decision.promote:
        set_alias(name, model.alias, version)
    log.info("gate %s %s v%s: %s", verdict, name, version, decision.reasons)
    return {"model_name": name, "version": version, "promoted": decision.promote, "reasons": decision.reasons,
            "champion_version": tags["gate_champion_version"], "metrics": challenger_metrics,
            "champion_metrics": champion_metrics}


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, promote, argv, stage=STAGE)


if __name__ == "__main__":
    main()
