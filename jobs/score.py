"""Score a Delta table with a registered model (by alias) and write the predictions table."""

from __future__ import annotations

import argparse
import logging
from datetime import datetime, timezone
from typing import Any

import mlflow.spark

from jobs.common.cli import JobContext, run_job
from jobs.common.tracking import client, configure_mlflow, registered_model_name
from transforms.scoring import ModelIdentity, prediction_table

log = logging.getLogger(__name__)


def score(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings, tables = context.settings, context.tables
    alias = getattr(args, "alias", None) or settings.score.alias or settings.model.alias
    configure_mlflow(settings)
    name = registered_model_name(settings)
    # Resolve the alias once and load that exact version: the alias may move mid-run.
    version = client().get_model_version_by_alias(name, alias)
    model = mlflow.spark.load_model(f"models:/{name}/{version.version}")
    identity = ModelIdentity(name, str(version.version), alias, version.run_id)

    rows = tables.read(settings.score.input_table)
    predictions = prediction_table(
        model.transform(rows), settings.use_case.key, identity, datetime.now(timezone.utc), settings.score.pass_through
    )
    tables.write(predictions, settings.score.output_table)
    written = tables.read(settings.score.output_table).count()
    log.info("scored %s rows of %s with %s v%s into %s", written, tables.qualified(settings.score.input_table),
             name, version.version, tables.qualified(settings.score.output_table))
    return {"rows_scored": written, "model_name": name, "version": str(version.version), "alias": alias}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alias", help="registry alias to score with (default: score.alias or model.alias)")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, score, argv, _arguments)


if __name__ == "__main__":
    main()
