"""Fit the feature pipeline on the training split and write the feature table."""

from __future__ import annotations

import argparse
import logging

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.cli import JobContext, run_job
from transforms.governance import check_feature_steps
from transforms.pipeline_builder import FEATURES_COLUMN, Step, build_feature_pipeline
from transforms.split import TRAIN, configured_split

log = logging.getLogger(__name__)


def feature_pipeline_path(context: JobContext) -> str:
    """Where the fitted feature pipeline is kept for the train job to prepend to its model."""
    return context.tables.location("_models") + "/feature_pipeline"


def model_input_columns(columns: list[str], label: str, leaks: list[str] = ()) -> list[str]:
    """The raw columns a deployed model takes: all but the label, leaks and bookkeeping."""
    return [c for c in columns if c != label and c not in leaks and not c.startswith("_")]


def _assign_split(context: JobContext, source: DataFrame) -> DataFrame:
    """The configured split: a split table joined on its columns, else a hash of the key."""
    config = context.settings.split
    splits = context.tables.read(config.table) if config.table else None
    return configured_split(source, context.settings.use_case.key, config.test_fraction, config.seed, splits,
                            config.join_on, config.column)


def build_features(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, int]:
    settings = context.settings
    use_case = settings.use_case
    # Refuse identifiers, leaks and protected attributes before reading any data.
    check_feature_steps([(s.stage, s.columns, s.params) for s in settings.features.steps],
                        use_case.identifiers, use_case.leaks, use_case.protected)
    source = context.tables.read(settings.features.input_table)
    inputs = model_input_columns(source.columns, use_case.label, use_case.leaks)
    split = _assign_split(context, source)
    pipeline = build_feature_pipeline(
        [Step(s.stage, s.columns, s.params) for s in settings.features.steps], inputs,
        label=use_case.label,
    )
    model: PipelineModel = pipeline.fit(split.where(F.col("split") == TRAIN))
    model.write().overwrite().save(feature_pipeline_path(context))
    features = model.transform(split).select(
        *use_case.key, "split", F.col(use_case.label).cast("double").alias(use_case.label), FEATURES_COLUMN
    )
    context.tables.write(features, settings.features.output_table)
    counts = {
        row["split"]: row["count"]
        for row in context.tables.read(settings.features.output_table).groupBy("split").count().collect()
    }
    log.info("feature table %s: %s", context.tables.qualified(settings.features.output_table), counts)
    return counts


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, build_features, argv)


if __name__ == "__main__":
    main()
