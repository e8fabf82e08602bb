"""The project's side of the pipeline benchmark: every stage through the project's own code.

Generate (jobs.common.landing_data) -> ingest bronze + silver (jobs.common.ingestion,
streaming batches of at most spec.BATCH_FILES files) -> I/O floor (Delta copy of silver) ->
profile (transforms.profiling) -> feature fit and transform (transforms.features.pipeline,
feature table written to Delta) -> linear regression
and xgboost.spark (transforms.modeling.estimators) -> score natively and write the prediction table
(transforms.scoring.table). One JSON line per stage goes to ``--out``. Run by bench.bench_pipeline
in its own process, so its memory is measured alone and freed when it ends.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from bench import pipeline_spec as spec
from bench.bench_ingest import landing_settings
from bench.bench_score import write_predictions_of
from bench.measure import StageRecorder, tree_rss
from bench.spark_metrics import jobs_since, last_job_id
from jobs.common.cli import JobContext
from jobs.common.ingestion import ingest_source
from jobs.common.landing_data import generate_landing
from jobs.common.model_inputs import model_input_columns
from jobs.common.session import get_spark
from jobs.common.tables import TableStore
from jobs.common.task_slots import session_task_slots
from transforms.features.pipeline import FEATURES_COLUMN, Step, build_feature_pipeline
from transforms.modeling.estimators import build_estimator
from transforms.modeling.metrics import regression_metrics
from transforms.modeling.split import SPLIT_COLUMN, TEST, TRAIN
from transforms.profiling import profile_frame
from transforms.scoring.booster import score_pipeline

FEATURE_TABLE = "bench_features"


def with_split(silver: DataFrame) -> DataFrame:
    return silver.withColumn(SPLIT_COLUMN, F.when(F.col(spec.KEY) % spec.TEST_EVERY == 0, TEST).otherwise(TRAIN))


def quality(model, rows: DataFrame) -> dict[str, float]:
    metrics = regression_metrics(model.transform(rows), spec.LABEL)
    return {"rmse": metrics["rmse"], "r2": metrics["r2"]}


def run(args: argparse.Namespace) -> None:
    work, out = Path(args.work), Path(args.out)
    files = max(2, args.rows // spec.ROWS_PER_FILE)
    overrides = [f"spark.master={args.master}", f"spark.conf[spark.driver.memory]={args.driver_memory}",
                 "spark.conf[spark.ui.enabled]=true", "spark.conf[spark.ui.port]=0",
                 *[f"spark.conf[{c.partition('=')[0]}]={c.partition('=')[2]}" for c in args.conf]]
    settings = landing_settings(str(work), args.rows, files, *overrides)
    started = time.perf_counter()
    spark = get_spark(settings)
    startup = time.perf_counter() - started
    marks: dict[str, int] = {}
    recorder = StageRecorder("project", out, lambda stage: marks.update({stage: last_job_id(spark)}),
                             lambda stage: jobs_since(spark, marks[stage]))
    recorder.record({"side": "project", "stage": spec.STARTUP, "rows": 0, "seconds": startup,
                     "peak_rss": tree_rss(os.getpid()).held, "master": spark.sparkContext.master})
    context = JobContext(settings, spark, TableStore(spark, settings))
    rows = args.rows
    with recorder.stage(spec.GENERATE, rows):
        generate_landing(context, settings.generator)
    source = settings.source("sales").model_copy(update={"max_files_per_trigger": min(files, spec.BATCH_FILES)})
    with recorder.stage(spec.INGEST, rows) as extra:
        rows = extra["rows_out"] = ingest_source(context, source)["rows_silver"]
    silver = context.tables.read(source.silver)
    with recorder.stage(spec.IO_FLOOR, rows):
        silver.write.format("delta").mode("overwrite").save(str(work / "silver_copy"))
    with recorder.stage(spec.PROFILE, rows) as extra:
        extra["passes"] = profile_frame(silver, source.silver, target=spec.LABEL, task="regression").passes

    split = with_split(silver)
    train_rows = split.where(F.col(SPLIT_COLUMN) == TRAIN)
    train_count = rows - rows // spec.TEST_EVERY  # ids run 1..N; malformed ones are spread evenly
    pipeline = build_feature_pipeline([Step(*s) for s in spec.feature_steps()],
                                      model_input_columns(silver.columns, spec.LABEL), label=spec.LABEL)
    with recorder.stage(spec.FEATURE_FIT, train_count):
        features_model = pipeline.fit(train_rows)
    with recorder.stage(spec.FEATURE_TRANSFORM, rows):
        context.tables.write(features_model.transform(split).select(
            spec.KEY, SPLIT_COLUMN, F.col(spec.LABEL).cast("double").alias(spec.LABEL), FEATURES_COLUMN), FEATURE_TABLE)
    features = context.tables.read(FEATURE_TABLE)

    models = {}
    train, test = features.where(F.col(SPLIT_COLUMN) == TRAIN), features.where(F.col(SPLIT_COLUMN) == TEST)
    every = spec.booster_sample_every(train_count)
    booster_train = train.where(spec.in_booster_sample(F.col(spec.KEY), every))
    for stage, algorithm, params, rows_in, count in [
            (spec.TRAIN_LINEAR, "linear_regression", {}, train, train_count),
            (spec.TRAIN_XGBOOST, "xgboost_regressor", spec.XGBOOST_PARAMS, booster_train, train_count // every)]:
        # xgboost: one worker per task slot of the session, as the train job does.
        estimator = build_estimator(algorithm, "regression", params, FEATURES_COLUMN, spec.LABEL,
                                    session_task_slots(spark) or 1)
        with recorder.stage(stage, count):
            models[stage] = estimator.fit(rows_in)
        recorder.annotate(stage, quality=quality(models[stage], test))

    scoring = PipelineModel(stages=[features_model, models[spec.TRAIN_XGBOOST]])
    with recorder.stage(spec.SCORE, rows):
        score_pipeline(scoring, silver).select(spec.KEY, "prediction").write.format("noop").mode("overwrite").save()
    with recorder.stage(spec.SCORE_WRITE, rows):
        write_predictions_of(context.tables, score_pipeline(scoring, silver), "predictions")
    recorder.close()
    spark.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--work", required=True, help="scratch folder: landing files and lakehouse")
    parser.add_argument("--out", required=True, help="JSON lines file the stage records go to")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="extra Spark conf (repeatable)")
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
