"""Monitor scored batches: feature and prediction drift against the training reference, and
the model's metric once labels arrive; results in a Delta table, a breach exits non-zero. So
does a stale source: one whose contract's `max_staleness` its newest landing file or ingested
row exceeds (checked first, and alone when the use case has no `monitoring:` section).

Each batch's input is read back exactly as it was scored: the score audit records the input
table's Delta version and watermark range. Feature drift compares that input with the
reference table (the rows the model was trained on); prediction drift compares the batch's
predictions with the same model version's predictions on the reference.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import astuple
from datetime import datetime, timezone
from typing import Any

from jobs.common.cli import JobContext, run_job
from jobs.common.config import ConfigError
from jobs.common.errors import UserError
from jobs.common.monitoring import audited_batches, batch_metric, feature_drift, prediction_drift
from jobs.common.progress import Stage
from jobs.common.source_contracts import freshness_checked, stale_sources
from transforms.monitoring.results import (
    MONITORING_SCHEMA,
    CheckedBatch,
    CheckResult,
    drift_results,
    metric_result,
)
from transforms.scoring.table import batch_condition

log = logging.getLogger(__name__)

# The progress line of the job, alone or in run_all: name, rows, seconds.
STAGE = Stage("monitor")


def monitor(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings, tables = context.settings, context.tables
    config = settings.monitoring
    stale = stale_sources(context)
    if config is None:
        if freshness_checked(settings.sources):
            return {"stale": stale, "batches": [], "checks": 0, "breaches": 0}
        raise ConfigError("the monitoring job needs a `monitoring:` section in the use case's config "
                          "(or a source whose contract sets max_staleness)")
    audit_table = settings.score.audit_table
    batch_id = getattr(args, "batch_id", None)
    batches = audited_batches(tables, audit_table, batch_id, bool(getattr(args, "all_batches", False))) \
        if tables.exists(audit_table) else []
    if not batches:
        wanted = f"scoring batch {batch_id}" if batch_id else "scoring batch"
        raise UserError(f"no {wanted} to monitor in {tables.qualified(audit_table)}; run lakehouse-score first")

    reference = tables.read(config.reference_table)
    if config.reference_filter:
        reference = reference.where(config.reference_filter)
    at = datetime.now(timezone.utc)
    results: list[CheckResult] = []
    for batch in batches:
        checked = CheckedBatch(batch.batch_id, batch.model_name, batch.model_version, at)
        for drift in feature_drift(context, batch, reference, config):
            results += drift_results(checked, "feature", drift, config.psi_threshold, config.ks_threshold)
        drift = prediction_drift(context, batch, reference, config)
        results += drift_results(checked, "prediction", drift, config.psi_threshold, config.ks_threshold)
        metric = batch_metric(context, batch, config)
        if metric is not None:
            results.append(metric_result(checked, metric, config.metric_threshold))
    frame = context.spark.createDataFrame([astuple(r) for r in results], MONITORING_SCHEMA)
    batch_ids = [b.batch_id for b in batches]
    tables.write(frame, config.output_table, mode="overwrite", options={"replaceWhere": batch_condition(batch_ids)})
    breaches = [r for r in results if r.breached]
    for breach in breaches:
        log.warning("drift breach in batch %s: %s %s %s = %.4f > %s", breach.batch_id, breach.kind, breach.name,
                    breach.statistic, breach.value, breach.threshold)
    return {"stale": stale, "batches": batch_ids, "checks": len(results), "breaches": len(breaches)}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch-id", help="monitor this scoring batch (default: the latest)")
    parser.add_argument("--all-batches", action="store_true", help="monitor every batch in the score audit")


def main(argv: list[str] | None = None) -> None:
    result = run_job(__doc__, monitor, argv, _arguments, stage=STAGE)
    for line in result["stale"]:
        print(f"monitoring: {line}", file=sys.stderr)
    if result["breaches"]:
        print(f"monitoring: {result['breaches']} threshold breach(es) in {result['batches']}", file=sys.stderr)
    if result["stale"] or result["breaches"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
