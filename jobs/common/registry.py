"""The model registry: registering a fitted pipeline, versions by alias, tags, aliases."""

from __future__ import annotations

from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame

from jobs.common.cli import JobContext
from jobs.common.model_logging import log_pipeline_model
from jobs.common.tracking import client

# Under the lakehouse: where a Spark Connect server writes a fitted pipeline by default.
STAGING_TABLE_FOLDER = "_models"


def model_staging(context: JobContext) -> str:
    """Where a Spark Connect server writes the fitted pipeline for this client to log."""
    return context.settings.mlflow.model_staging or context.tables.location(STAGING_TABLE_FOLDER) + "/staging"


def register_pipeline(context: JobContext, model: PipelineModel, raw_inputs: DataFrame, name: str) -> str:
    """Log the whole fitted pipeline (with the project's wheel, signature and example) in the
    active run and register it as a new version of `name`; return the version."""
    info = log_pipeline_model(context.spark, model, raw_inputs, name, model_staging(context))
    return str(info.registered_model_version)


def version_by_alias(name: str, alias: str) -> ModelVersion | None:
    """The version of `name` that carries `alias`, or None when none does."""
    try:
        return client().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def version_aliases(name: str, version: str) -> list[str]:
    return list(client().get_model_version(name, version).aliases)


def set_alias(name: str, alias: str, version: str) -> None:
    client().set_registered_model_alias(name, alias, version)


def tag_version(name: str, version: str, tags: dict[str, str], description: str | None = None) -> None:
    """Set `tags` (and the description, when given) on one model version."""
    registry = client()
    for key, value in tags.items():
        registry.set_model_version_tag(name, version, key, value)
    if description is not None:
        registry.update_model_version(name, version, description=description)
