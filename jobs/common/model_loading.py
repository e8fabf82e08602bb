"""Log and load Spark ML models in MLflow, also through a Spark Connect session; resolve and
apply the registry version a scoring run uses.

`mlflow.spark` copies a saved pipeline between Spark's file system and the client's with the
JVM's Hadoop FileSystem, and pyspark 4.0's `PipelineModel.load` hands a pipeline of JVM stages
to the JVM reader: a Connect client has neither. Through Connect:

- logging: the server writes the fitted pipeline into a staging folder, the client moves it
  into the model's `sparkml/` folder and MLflow's own spark-flavor code writes the rest (MLmodel
  with the spark and python_function flavors, requirements, signature, input example); MLflow
  then logs and registers the folder as it does for a classic session.
- loading: MLflow downloads the model's files (plain Python) and the pipeline is read stage by
  stage, each JVM stage through Connect's own ML reader.

The server reads and writes these files, so client and server must see the same paths (one
machine, shared storage, a Unity Catalog volume). Inside a Databricks runtime, MLflow's own
code goes through a Unity Catalog volume instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import mlflow
import mlflow.pyfunc
import mlflow.spark
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import Model
from mlflow.models.model import ModelInfo
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, ErrorCode
from mlflow.types import DataType
from pyspark.ml import PipelineModel
from pyspark.ml.pipeline import PipelineSharedReadWrite
from pyspark.ml.util import DefaultParamsReader
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common.config import Settings
from jobs.common.errors import UserError
from jobs.common.session import is_connect
from jobs.common.tracking import THRESHOLD_TAG, client, configure_mlflow, registered_model_name
from transforms.scoring.pass_through import score_keeping_inputs
from transforms.scoring.table import ModelIdentity
from transforms.scoring.values import literal_column

# Where mlflow.spark keeps the pipeline inside a logged model's folder.
SPARK_MODEL_FOLDER = "sparkml"


def _on_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def log_spark_model(spark: SparkSession, model: PipelineModel, artifact_path: str, staging: str,
                    **log_model_args: Any) -> ModelInfo:
    """`mlflow.spark.log_model(model, artifact_path, **log_model_args)` that also works through Connect.

    `staging` is the folder a Connect server writes the pipeline to (see the module docstring);
    a classic session does not use it.
    """
    if not is_connect(spark):
        return mlflow.spark.log_model(model, artifact_path=artifact_path, **log_model_args)
    if _on_databricks():
        # Serverless and shared clusters: MLflow stages the pipeline in a Unity Catalog volume.
        return mlflow.spark.log_model(model, artifact_path=artifact_path, dfs_tmpdir=staging, **log_model_args)
    # What mlflow.spark.log_model does for a local artifact store, with a flavor whose pipeline
    # the server writes. Serving-input validation would load the model with mlflow.spark
    # (JVM needed): the score job's load through Connect is what we check instead.
    return Model._log_v2(artifact_path=artifact_path, flavor=_ServerWrittenSparkFlavor(staging),
                         spark_model=model, validate_serving_input=False, **log_model_args)


class _ServerWrittenSparkFlavor:
    """The `flavor` argument of MLflow's `Model._log_v2`: mlflow.spark's model layout, with the
    pipeline written by a Spark Connect server into `staging` and moved into the model folder."""

    def __init__(self, staging: str) -> None:
        self.staging = staging
        self.local_staging = _client_path(staging)

    def save_model(self, spark_model: PipelineModel, path: str, mlflow_model: Model, **flavor_args: Any) -> None:
        folder = uuid.uuid4().hex
        staged, local_staged = f"{self.staging.rstrip('/')}/{folder}", os.path.join(self.local_staging, folder)
        os.makedirs(path, exist_ok=True)
        try:
            spark_model.write().save(staged)
            shutil.move(local_staged, os.path.join(path, SPARK_MODEL_FOLDER))
        finally:
            shutil.rmtree(local_staged, ignore_errors=True)
        mlflow.spark._save_model_metadata(
            dst_dir=path, spark_model=spark_model, mlflow_model=mlflow_model, conda_env=None,
            code_paths=flavor_args.get("code_paths"),
            signature=flavor_args.get("signature"), input_example=flavor_args.get("input_example"),
            pip_requirements=flavor_args.get("pip_requirements"),
            extra_pip_requirements=flavor_args.get("extra_pip_requirements"),
        )


def _client_path(path: str) -> str:
    """`path` as this client reads it: a local folder, also when written as a file: URI."""
    parsed = urlparse(path)
    if parsed.scheme not in ("", "file"):
        raise ValueError(f"mlflow.model_staging {path!r}: through Spark Connect the client moves the pipeline the "
                         "server wrote, so the staging folder must be a local path both see (a local or mounted "
                         f"folder, a /Volumes/... path), not a {parsed.scheme}: URI")
    return parsed.path if parsed.scheme else path


def load_spark_model(spark: SparkSession, uri: str) -> PipelineModel:
    """The fitted pipeline of the MLflow model at `uri`, in this session."""
    if not is_connect(spark) or _on_databricks():
        return mlflow.spark.load_model(uri)
    # Not removed after reading: some stages read their data lazily (ImputerModel's surrogates).
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tempfile.mkdtemp(prefix="model-"))
    return load_pipeline_model(spark, os.path.join(local, SPARK_MODEL_FOLDER))


def read_pipeline_model(spark: SparkSession, path: str) -> PipelineModel:
    """`PipelineModel.load(path)`, also through Connect (see `load_pipeline_model`)."""
    return load_pipeline_model(spark, path) if is_connect(spark) else PipelineModel.load(path)


def load_pipeline_model(spark: SparkSession, path: str) -> PipelineModel:
    """`PipelineModel.load` by stage: nested pipelines recursively, every other stage by its own class."""
    metadata = DefaultParamsReader.loadMetadata(path, spark)
    uids = metadata["paramMap"]["stageUids"]
    stages = []
    for index, uid in enumerate(uids):
        stage_path = PipelineSharedReadWrite.getStagePath(uid, index, len(uids), os.path.join(path, "stages"))
        stage_class = DefaultParamsReader.loadMetadata(stage_path, spark)["class"]
        if stage_class.endswith(".PipelineModel"):
            stages.append(load_pipeline_model(spark, stage_path))
        else:
            stages.append(DefaultParamsReader.loadParamsInstance(stage_path, spark))
    return PipelineModel(stages)._resetUid(metadata["uid"])


class ModelNotFound(UserError):
    """The registry has no such model, alias or version (nothing trained or promoted yet, a typo)."""


def _registered(name: str) -> str:
    """What the registry holds of `name`, for an error message: its versions and their aliases."""
    versions = client().search_model_versions(f"name = '{name}'")
    if not versions:
        return "nothing is registered under that name yet"
    # Search results leave the aliases out; the registered model has them all (alias -> version).
    aliases = client().get_registered_model(name).aliases
    held = ", ".join(f"{v}" + "".join(f" @{a}" for a, of in sorted(aliases.items()) if str(of) == str(v))
                     for v in sorted(int(found.version) for found in versions))
    return f"registered versions: {held}"


def registered_version(name: str, alias: str | None = None, version: str | None = None,
                       hint: str = "run lakehouse-train and lakehouse-promote first") -> ModelVersion:
    """The registry version `version` of model `name`, else the one `alias` points to."""
    # An unknown model or version is RESOURCE_DOES_NOT_EXIST; an alias no version carries,
    # INVALID_PARAMETER_VALUE.
    absent = [RESOURCE_DOES_NOT_EXIST] if version else [RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE]
    try:
        if version:
            return client().get_model_version(name, version)
        return client().get_model_version_by_alias(name, alias)
    except MlflowException as error:
        if error.error_code not in [ErrorCode.Name(code) for code in absent]:
            raise
    wanted = f"version {version}" if version else f"@{alias}"
    raise ModelNotFound(f"model {name!r} has no {wanted} ({_registered(name)}); {hint}")


@dataclass(frozen=True)
class ResolvedModel:
    """One exact registry version, loaded for scoring."""

    identity: ModelIdentity
    uri: str
    input_columns: list[str]
    native: PipelineModel | None  # the pipeline of a Spark ML model, else None (pyfunc fallback)
    threshold: float | None
    # MLflow type name of each input column the signature declares (None: not a plain column type).
    input_types: dict[str, str | None] = field(default_factory=dict)


def resolve_model(
    spark: SparkSession, settings: Settings, alias: str | None = None, version: str | None = None
) -> ResolvedModel:
    """Resolve the alias once and load that exact version: the alias may move mid-run."""
    configure_mlflow(settings, create_store=False)
    name = registered_model_name(settings)
    version = version or settings.score.version
    alias = None if version else alias or settings.score.alias or settings.model.alias
    found = registered_version(name, alias, version)
    uri = f"models:/{name}/{found.version}"
    info = mlflow.models.get_model_info(uri)
    names = info.signature.inputs.input_names() if info.signature else []
    specs = info.signature.inputs.inputs if info.signature else []
    types = {str(n): s.type.name if isinstance(getattr(s, "type", None), DataType) else None
             for n, s in zip(names, specs, strict=True)}
    native = load_spark_model(spark, uri) if "spark" in info.flavors else None
    threshold = None
    if settings.use_case.task == "classification":
        threshold = float(found.tags.get(THRESHOLD_TAG, settings.score.threshold))
    identity = ModelIdentity(name, str(found.version), alias, found.run_id)
    return ResolvedModel(identity, uri, list(types), native, threshold, types)


def apply_model(spark: SparkSession, model: ResolvedModel, rows: DataFrame) -> DataFrame:
    """`rows` as they came, with a `prediction` column (and `probability` for Spark ML classifiers).

    A Spark ML model runs in Spark's native path (`score_keeping_inputs`); any other MLflow
    model falls back to `mlflow.pyfunc.spark_udf` on its declared input columns.
    """
    if model.native is not None:
        return score_keeping_inputs(model.native, rows)
    predict = mlflow.pyfunc.spark_udf(spark, model.uri, result_type="double", env_manager="local")
    columns = model.input_columns or rows.columns
    return rows.withColumn("prediction", predict(F.struct(*[literal_column(c) for c in columns])))
