"""What a training run read, as tags on its MLflow run, and the same rows read back from them.

Training tags its run with the Delta versions of the labelled table (and split table) and the
split settings; the gate reads the challenger's test rows back by those versions (time travel),
so silver changing after training changes nothing it compares.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode
from pyspark.sql import DataFrame

from jobs.common.cli import JobContext
from jobs.common.config import Settings
from jobs.common.errors import UserError
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
RETRAIN = "run lakehouse-train again to register a challenger that records them, then lakehouse-promote"


class LineageError(UserError, LookupError):
    """A registered version whose training run does not say which rows it was tested on (a model
    registered by hand or by an older release, a deleted run, or a config that names other tables)."""


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


def frozen_test_rows(context: JobContext, version: ModelVersion) -> DataFrame:
    """The raw test rows of a registered version's training run, as it read them: the run's lineage
    tags name the Delta versions of the labelled table and the split table, and the split settings."""
    settings, tables = context.settings, context.tables
    model = f"model {version.name!r} version {version.version}"
    tags = _training_tags(model, version.run_id)
    needed = [SOURCE_TABLE, SOURCE_VERSION, *([SPLIT_TABLE, SPLIT_VERSION] if settings.split.table else [])]
    missing = [t for t in needed if t not in tags]
    if missing:
        raise LineageError(f"{model}: its training run {version.run_id} records no lineage tag "
                           f"({', '.join(missing)}), so the gate cannot read the rows it was tested on; {RETRAIN}")
    # The tags are read back from the tracking server: only this use case's own tables, named
    # by config, reach SQL.
    expected = {SOURCE_TABLE: tables.qualified(settings.features.input_table)}
    if settings.split.table:
        expected[SPLIT_TABLE] = tables.qualified(settings.split.table)
    recorded = {SPLIT_CONFIG: split_fingerprint(settings), **expected}
    changed = [f"{k} {tags[k]!r} (config now: {v!r})" for k, v in recorded.items() if k in tags and tags[k] != v]
    if changed:
        raise LineageError(f"{model} was tested on other rows than this config names: {'; '.join(changed)}; "
                           f"{RETRAIN}")
    split_version = int(tags[SPLIT_VERSION]) if settings.split.table else None
    data = labelled_rows(context, int(tags[SOURCE_VERSION]), split_version)
    return split_part(data.rows, TEST).drop(SPLIT_COLUMN)


def _training_tags(model: str, run_id: str | None) -> dict[str, str]:
    """The tags of the run that trained `model`; the one-line error when it has none to read."""
    if not run_id:
        raise LineageError(f"{model} names no training run, so the gate cannot read the rows it was tested on; "
                           f"{RETRAIN}")
    try:
        return client().get_run(run_id).data.tags
    except MlflowException as error:
        if error.error_code != ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            raise
    raise LineageError(f"{model}: its training run {run_id} is not in the tracking store, so the gate "
                       f"cannot read the rows it was tested on; {RETRAIN}")
