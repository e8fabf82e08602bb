"""Ingest new landing files incrementally, exactly once: bronze, silver, quarantine and audit.

Each source is a file stream (Databricks Auto Loader on Databricks) run with
``trigger(availableNow=True)``: it reads only the files its checkpoint has not seen, in
batches of at most ``max_files_per_trigger`` files, then stops. Every batch is checked first
and written only if it passes its limits: then it appends the raw rows to bronze (a line that does not parse keeps its text in
``_corrupt_record``), appends the rows that fail parsing, typing or expectations to
quarantine, writes the latest record per key to silver (an append when silver cannot hold the
batch's keys, else a MERGE) and appends one audit row naming its files. The appends are Delta
idempotent writes keyed on the stream's batch id and the MERGE only moves a key forward, so a
batch replayed after a crash changes nothing it already wrote. A file Spark cannot read at all is quarantined whole (in the audit)
and the rest of its batch goes on; hidden and rewritten files, which the stream skips, are
reported (a warning and an audit row).
"""

from __future__ import annotations

import argparse

from jobs.common.cli import JobContext, run_job
from jobs.common.ingestion import ingest_source
from jobs.common.progress import Stage, summed

# The progress line of the job, alone or in run_all: name, rows, seconds.
STAGE = Stage("ingest", summed("rows_read"))

def ingest(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, dict[str, int]]:
    names = getattr(args, "source", None) or [s.name for s in context.settings.sources]
    return {name: ingest_source(context, context.settings.source(name)) for name in names}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", action="append", help="ingest only this source (repeatable)")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, ingest, argv, _arguments, stage=STAGE)


if __name__ == "__main__":
    main()
