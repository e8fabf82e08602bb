"""Load a registered Spark ML model, also through a Spark Connect session.

`mlflow.spark.load_model` copies the saved pipeline with the JVM's Hadoop FileSystem, and
pyspark 4.0's `PipelineModel.load` hands a pipeline of JVM stages to the JVM reader: a Connect
client has neither. Through Connect the model's files are downloaded by MLflow (plain Python)
and the pipeline is read stage by stage, each JVM stage through Connect's own ML reader. The
server reads the files, so client and server must share the path (one machine, or shared
storage); on Databricks, MLflow's own loader goes through a Unity Catalog volume instead.
"""

from __future__ import annotations

import os
import tempfile

import mlflow
import mlflow.spark
from pyspark.ml import PipelineModel
from pyspark.ml.pipeline import PipelineSharedReadWrite
from pyspark.ml.util import DefaultParamsReader
from pyspark.sql import SparkSession

from jobs.common.session import is_connect

# Where mlflow.spark keeps the pipeline inside a logged model's folder.
SPARK_MODEL_FOLDER = "sparkml"


def load_spark_model(spark: SparkSession, uri: str) -> PipelineModel:
    """The fitted pipeline of the MLflow model at `uri`, in this session."""
    if not is_connect(spark) or "DATABRICKS_RUNTIME_VERSION" in os.environ:
        return mlflow.spark.load_model(uri)
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tempfile.mkdtemp(prefix="model-"))
    return load_pipeline_model(spark, os.path.join(local, SPARK_MODEL_FOLDER))


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
