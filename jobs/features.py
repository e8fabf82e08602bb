"""Write the feature table: the use case's feature stages fitted on the training split.

An analysis step: the table (key, split, label, assembled features with their slot names) is
for the selection job, notebooks and SQL. The registered model does not depend on it: training
fits the same stages inside the model, fold by fold (jobs/train.py).
"""

from __future__ import annotations

import argparse
import logging

from pyspark.ml import PipelineModel

from jobs.common.cli import JobContext, run_job
from jobs.common.model_inputs import labelled_rows, split_part
from jobs.common.model_setup import check_features, feature_pipeline, with_defaults
from jobs.common.progress import Stage
from transforms.features.pipeline import FEATURES_COLUMN
from transforms.modeling.split import SPLIT_COLUMN, TRAIN

log = logging.getLogger(__name__)

# The progress line of the job, alone or in run_all: name, rows, seconds.
STAGE = Stage("features", lambda counts: sum(counts.values()))


def build_features(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, int]:
    settings = context.settings
    use_case = settings.use_case
    # Refuse identifiers, leaks and protected attributes before reading any data.
    check_features(settings)
    labelled = labelled_rows(context)
    split = labelled.rows
    # Steps the use case leaves out are chosen from the training rows, as training chooses them.
    defaulted, _ = with_defaults(context, split_part(split, TRAIN), labelled.inputs)
    model: PipelineModel = feature_pipeline(defaulted.settings, labelled.inputs).fit(split_part(split, TRAIN))
    features = model.transform(split).select(*use_case.key, SPLIT_COLUMN, use_case.label, FEATURES_COLUMN)
    context.tables.write(features, settings.features.output_table)
    counts = {
        row[SPLIT_COLUMN]: row["count"]
        for row in context.tables.read(settings.features.output_table).groupBy(SPLIT_COLUMN).count().collect()
    }
    log.info("feature table %s: %s", context.tables.qualified(settings.features.output_table), counts)
    return counts


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, build_features, argv, stage=STAGE)


if __name__ == "__main__":
    main()
