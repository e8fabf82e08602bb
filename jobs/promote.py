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

from mlflow.exceptions import MlflowException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, run_job
from jobs.common.model_inputs import labelled_rows, split_fingerprint
from jobs.common.model_loading import load_spark_model
from jobs.common.tracking import client, configure_mlflow, registered_model_name
from transforms.modeling.gate import Bound, decide
from transforms.modeling.split import TEST
from transforms.modeling.statistics import test_metrics
from transforms.modeling.tuning import DEFAULT_METRIC

log = logging.getLogger(__name__)


def _version_by_alias(name: str, alias: str) -> Any | None:
    try:
        return client().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def frozen_test_rows(context: JobContext, run_id: str) -> DataFrame:
    """The raw test rows of a training run, as it read them: its lineage tags name the Delta
    versions of the labelled table and the split table, and the split settings it used."""
    settings, tables = context.settings, context.tables
    tags = client().get_run(run_id).data.tags
    needed = ["source_table", "source_table_version", *(["split_table", "split_table_version"]
                                                          if settings.split.table else [])]
    missing = [t for t in needed if t not in tags]
    if missing:
        raise LookupError(f"training run {run_id} records no {', '.join(missing)} tag(s): the gate cannot read "
                          f"the rows it was tested on; train the challenger again")
    # The tags are read back from the tracking server: only this use case's own tables, named
    # by config, reach SQL.
    expected = {"source_table": tables.qualified(settings.features.input_table)}
    if settings.split.table:
        expected["split_table"] = tables.qualified(settings.split.table)
    recorded = {"split_config": split_fingerprint(settings), **expected}
    changed = [f"{k} {tags[k]!r} (config now: {v!r})" for k, v in recorded.items() if k in tags and tags[k] != v]
    if changed:
        raise LookupError(f"training run {run_id} was tested on other rows than this config names: "
                          f"{'; '.join(changed)}; train the challenger again")
    split_version = int(tags["split_table_version"]) if settings.split.table else None
    data = labelled_rows(context, int(tags["source_table_version"]), split_version)
    return data.rows.where(F.col("split") == TEST).drop("split")


def _metrics_on_test_rows(context: JobContext, version: Any, rows: DataFrame) -> dict[str, float]:
    """Metrics of a registered version on `rows`, at its decision threshold (as the score job uses it)."""
    use_case = context.settings.use_case
    model = load_spark_model(context.spark, f"models:/{version.name}/{version.version}")
    threshold = float(version.tags.get("decision_threshold", context.settings.score.threshold))
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
    metric = gate.metric or settings.train.metric or DEFAULT_METRIC[settings.use_case.task]
    if champion is not None and champion.version == challenger.version:
        return {"model_name": name, "version": str(challenger.version), "promoted": False,
                "reasons": [f"version {challenger.version} is already @{model.alias}"]}
    rows = frozen_test_rows(context, challenger.run_id)
    challenger_metrics = _metrics_on_test_rows(context, challenger, rows)
    champion_metrics = _metrics_on_test_rows(context, champion, rows) if champion is not None else None
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
