"""What a training run read, as tags on its MLflow run, and the same rows read back from them.

Training tags its run with the Delta versions of the labelled table (and split table) and the
split settings; the gate reads the challenger's test rows back by those versions (time travel),
so silver changing after training changes nothing it compares.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pyspark.sql import DataFrame

from jobs.common.cli import JobContext
from jobs.common.config import Settings
from jobs.common.model_inputs import (
    LabelledRows,
    labelled_rows,
    split_fingerprint,
    split_part,
)
from jobs.common.tracking import client
from transforms.modeling.split import SPLIT_COLUMN, TEST

SOURCE_TABLE, SOURCE_VERSION = "source_table", "source_table_version"
SPLIT_TABLE, SPLIT_VERSION = "split_table", "split_table_version"
SPLIT_CONFIG = "split_config"


def git_commit(settings: Settings) -> str:
    """The configured commit (a Databricks job has no .git), else what git says, else "unknown"."""
    if settings.lineage.git_commit:
        return settings.lineage.git_commit
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def lineage_tags(context: JobContext, data: LabelledRows) -> dict[str, str]:
    """The tags of a training run on `data`: config, code, and the table versions it read."""
    settings, tables = context.settings, context.tables
    tags = {
        "use_case": settings.use_case.name,
        "config_fingerprint": settings.fingerprint(),
        "git_commit": git_commit(settings),
        SOURCE_TABLE: tables.qualified(data.table),
        SOURCE_VERSION: str(data.version),
        SPLIT_CONFIG: split_fingerprint(settings),
    }
    if settings.lineage.bundle_target:
        tags["bundle_target"] = settings.lineage.bundle_target
    if settings.split.table:
        tags[SPLIT_TABLE] = tables.qualified(settings.split.table)
        tags[SPLIT_VERSION] = str(data.split_version)
    return tags


def frozen_test_rows(context: JobContext, run_id: str) -> DataFrame:
    """The raw test rows of a training run, as it read them: its lineage tags name the Delta
    versions of the labelled table and the split table, and the split settings it used."""
    settings, tables = context.settings, context.tables
    tags = client().get_run(run_id).data.tags
    needed = [SOURCE_TABLE, SOURCE_VERSION, *([SPLIT_TABLE, SPLIT_VERSION] if settings.split.table else [])]
    missing = [t for t in needed if t not in tags]
    if missing:
        raise LookupError(f"training run {run_id} records no {', '.join(missing)} tag(s): the gate cannot read "
                          f"the rows it was tested on; train the challenger again")
    # The tags are read back from the tracking server: only this use case's own tables, named
    # by config, reach SQL.
    expected = {SOURCE_TABLE: tables.qualified(settings.features.input_table)}
    if settings.split.table:
        expected[SPLIT_TABLE] = tables.qualified(settings.split.table)
    recorded = {SPLIT_CONFIG: split_fingerprint(settings), **expected}
    changed = [f"{k} {tags[k]!r} (config now: {v!r})" for k, v in recorded.items() if k in tags and tags[k] != v]
    if changed:
        raise LookupError(f"training run {run_id} was tested on other rows than this config names: "
                          f"{'; '.join(changed)}; train the challenger again")
    split_version = int(tags[SPLIT_VERSION]) if settings.split.table else None
    data = labelled_rows(context, int(tags[SOURCE_VERSION]), split_version)
    return split_part(data.rows, TEST).drop(SPLIT_COLUMN)
