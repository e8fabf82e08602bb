"""Train the configured model on the feature table; log, register and alias it in MLflow.

The registered model is the whole fitted pipeline (feature stages + estimator), so scoring
takes raw rows and needs nothing but the model and this package.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

import mlflow
import mlflow.spark
from mlflow.models import infer_signature
from pyspark.ml import PipelineModel
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, run_job
from jobs.common.tracking import (
    client,
    configure_mlflow,
    model_pip_requirements,
    registered_model_name,
)
from jobs.features import feature_pipeline_path, model_input_columns
from transforms.metrics import baseline_metrics, evaluate
from transforms.models import build_estimator
from transforms.pipeline_builder import FEATURES_COLUMN
from transforms.split import TEST, TRAIN

log = logging.getLogger(__name__)


def train(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, Any]:
    settings, tables = context.settings, context.tables
    use_case, model_settings = settings.use_case, settings.model
    features = tables.read(settings.features.output_table)
    train_rows = features.where(F.col("split") == TRAIN)
    test_rows = features.where(F.col("split") == TEST)

    estimator = build_estimator(
        model_settings.algorithm, use_case.task, model_settings.params, FEATURES_COLUMN, use_case.label
    )
    configure_mlflow(settings)
    name = registered_model_name(settings)
    with mlflow.start_run(run_name=f"{use_case.name}-{model_settings.algorithm}") as run:
        fitted = estimator.fit(train_rows)
        test_metrics = evaluate(fitted.transform(test_rows), use_case.task, use_case.label)
        baseline = baseline_metrics(train_rows, test_rows, use_case.task, use_case.label)
        mlflow.log_params({"algorithm": model_settings.algorithm, **model_settings.params})
        mlflow.log_metrics({f"test_{k}": v for k, v in test_metrics.items()})
        mlflow.log_metrics({f"baseline_test_{k}": v for k, v in baseline.items()})
        mlflow.set_tags({
            "use_case": use_case.name,
            "config_fingerprint": settings.fingerprint(),
            "source_table": tables.qualified(settings.features.input_table),
            "source_table_version": str(tables.version(settings.features.input_table)),
            "feature_table": tables.qualified(settings.features.output_table),
            "feature_table_version": str(tables.version(settings.features.output_table)),
        })

        feature_model = PipelineModel.load(feature_pipeline_path(context))
        full_model = PipelineModel(stages=[*feature_model.stages, fitted])
        raw = tables.read(settings.features.input_table)
        inputs = model_input_columns(raw.columns, use_case.label, use_case.leaks)
        sample = raw.select([raw[c] for c in inputs]).limit(20)
        # Inferred from the Spark schema, so nullable integer columns keep their declared types.
        signature = infer_signature(sample, full_model.transform(sample).select("prediction"))
        info = mlflow.spark.log_model(
            full_model,
            artifact_path="model",
            signature=signature,
            pip_requirements=model_pip_requirements(),
            registered_model_name=name,
        )
    version = str(info.registered_model_version)
    client().set_registered_model_alias(name, model_settings.alias, version)
    log.info("registered %s version %s as @%s; test %s; baseline %s", name, version, model_settings.alias, test_metrics, baseline)
    return {
        "run_id": run.info.run_id,
        "model_name": name,
        "version": version,
        "alias": model_settings.alias,
        "metrics": test_metrics,
        "baseline": baseline,
    }


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, train, argv)


if __name__ == "__main__":
    main()
