"""MLflow wiring: tracking and registry URIs, the experiment, registered model names."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from jobs.common.config import Settings
from jobs.common.errors import UserError

PACKAGE = "lakehouse-ml"


SQLITE_PREFIX = "sqlite:///"
# The version tag holding a classifier's decision threshold (set by train; read by the gate and scoring).
THRESHOLD_TAG = "decision_threshold"


def configure_mlflow(settings: Settings, create_store: bool = True) -> str:
    """Point MLflow at the configured stores and return the experiment id.

    MLflow creates a SQLite store that does not exist. Jobs that start runs (train) want that;
    jobs that read what training registered (promote, score) pass `create_store=False`: for
    them a missing file is a wrong path, and an empty store would only hide it.
    """
    if not create_store:
        require_store(settings.mlflow.tracking_uri)
    mlflow.set_tracking_uri(settings.mlflow.tracking_uri)
    if settings.mlflow.registry_uri:
        mlflow.set_registry_uri(settings.mlflow.registry_uri)
    name = settings.mlflow.experiment
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        experiment_id = mlflow.create_experiment(name, artifact_location=settings.mlflow.artifact_location)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


class MissingStore(UserError):
    """The configured SQLite MLflow store does not exist: nothing was trained there yet, or a typo."""


def require_store(tracking_uri: str) -> None:
    """Fail with one line when `tracking_uri` is a SQLite file that does not exist."""
    if not tracking_uri.startswith(SQLITE_PREFIX):
        return
    database = Path(tracking_uri[len(SQLITE_PREFIX):].split("?", 1)[0])
    if not database.is_file():
        raise MissingStore(
            f"MLflow store {database} does not exist (mlflow.tracking_uri={tracking_uri}); "
            "run the train job first or set mlflow.tracking_uri to the store it wrote"
        )


def registered_model_name(settings: Settings) -> str:
    """Unity Catalog wants catalog.schema.model; the local registry takes the bare name."""
    if settings.lakehouse.catalog:
        return f"{settings.lakehouse.catalog}.{settings.use_case.schema_}.{settings.model.name}"
    return settings.model.name


def model_pip_requirements() -> list[str]:
    """What a deployed model needs: Spark to run the pipeline, our wheel for its custom stages.

    Given explicitly, because MLflow's inference of requirements costs 15-20 s per model.
    """
    import pyspark

    return [f"pyspark=={pyspark.__version__}", f"{PACKAGE}=={metadata.version(PACKAGE)}"]


def client() -> MlflowClient:
    return MlflowClient()
