"""Score a Delta table with a registered model and write the predictions table, batch by batch.

The model is the registry version behind an alias (`champion` by default) or a pinned
version. A Spark ML model is the whole fitted pipeline and runs in Spark's native path
(`PipelineModel.transform`; an xgboost model at its end is fed from its assembler's inputs,
`transforms.scoring.booster`); any other MLflow model falls back to `mlflow.pyfunc.spark_udf`.

A batch is the slice of one input table at one Delta version: `batch_id = <input table>@v<input
version>`. Rerunning it (same table, same version) replaces its rows in the predictions and
quarantine tables (`replaceWhere batch_id = ...`), so a rerun never duplicates, and a batch of
another input table never touches it. With `score.incremental.mode: watermark` a batch takes
only the input rows whose watermark column (`_ingested_at`: silver keeps the ingestion time of
the latest record per key) is later than what the earlier batches scored, recorded in the audit
table. The audit row is written last and is the batch's commit point: a run stopped before it
leaves an orphan batch, which the next run removes and scores again
(`jobs.common.score_batches`). The input table is read, never altered: no Change Data Feed is
needed on a table another job owns.

A key the batch holds twice is quarantined (every copy), as is a value the model cannot take
as data of its declared input type (`transforms.scoring.values`): one prediction per key per
batch, and nothing scored from an imputed stand-in for garbage. Every batch reconciles: rows
in = rows scored + rows quarantined, recorded in the audit table (`jobs.common.scoring`).
"""

from __future__ import annotations

import argparse
from typing import Any

from jobs.common.cli import JobContext, run_job
from jobs.common.progress import Stage
from jobs.common.scoring import score_batch

# The progress line of the job, alone or in run_all: name, rows, seconds.
STAGE = Stage("score", lambda result: result["rows_scored"])

def score(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    """Score one batch (jobs.common.scoring); `args` may give --alias, --version and --full."""
    return score_batch(context, getattr(args, "alias", None), getattr(args, "version", None),
                       bool(getattr(args, "full", False)))


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alias", help="registry alias to score with (default: score.alias or model.alias)")
    parser.add_argument("--version", help="registry version to score with instead of an alias")
    parser.add_argument("--full", action="store_true",
                        help="score every input row, ignoring the watermark of earlier batches")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, score, argv, _arguments, stage=STAGE)


if __name__ == "__main__":
    main()
