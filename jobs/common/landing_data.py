"""Write generated landing CSV files (labelled sales, unlabelled listings) and their manifests.

The landing folder may hold files that other tools dropped there and ingest has not read yet,
so generation replaces only the files it wrote itself: each run writes into a hidden staging
folder, moves the new files into the landing folder, records their names in `_manifest`, then
deletes the files the previous run recorded. Every other file stays where it is.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable

from pyspark.sql import SparkSession

from jobs.common.cli import JobContext
from jobs.common.config import GeneratorSettings
from jobs.common.landing import landing_location
from jobs.common.landing_files import hadoop_fs
from transforms.ingestion import synthetic

log = logging.getLogger(__name__)

MANIFEST = "_manifest"
# Names starting with "_" are invisible to Spark's file readers: ingest never reads these.
STAGING_PREFIX = "_generating-"


def generate_landing(context: JobContext, generator: GeneratorSettings) -> dict[str, dict[str, int]]:
    """Generate every source of the use case; return {source: {rows, malformed_rows, seed}}."""
    plans = {
        "sales": (1, generator.rows, True),
        "listings": (generator.rows + 1, generator.score_rows, False),
    }
    manifests = {}
    for source in context.settings.sources:
        first_id, rows, labelled = plans[source.name]
        frame = synthetic.house_sales(context.spark, rows, generator.seed, generator.partitions, first_id, labelled)
        lines = synthetic.to_csv_lines(frame, "sale_id", generator.malformed_fraction, source.options.get("nullValue", "NA"))
        csv = synthetic.with_header(lines, ",".join(frame.columns))
        path = landing_location(context, source)
        manifest = {
            "rows": rows,
            "malformed_rows": synthetic.malformed_count(first_id, rows, generator.malformed_fraction),
            "seed": generator.seed,
        }
        files = replace_own_files(context.spark, path, lambda staging, csv=csv: csv.write.text(staging), manifest)
        log.info("generated %s: %s rows (%s malformed) in %s files in %s", source.name, rows,
                 manifest["malformed_rows"], len(files), path)
        manifests[source.name] = manifest
    return manifests


def replace_own_files(
    spark: SparkSession, folder: str, write: Callable[[str], None], manifest: dict[str, int]
) -> list[str]:
    """Put the files `write` makes in `folder` and delete those of the last run; return the new names.

    `write` gets an empty staging folder to write into. Only names recorded in the folder's
    manifest are ever deleted; a crash part-way leaves extra files, never fewer.
    """
    path = spark.sparkContext._jvm.org.apache.hadoop.fs.Path
    _, fs = hadoop_fs(spark, folder)
    previous = _recorded_files(spark, fs, path(f"{folder}/{MANIFEST}"))
    staging = f"{folder}/{STAGING_PREFIX}{uuid.uuid4().hex}"
    write(staging)
    written = []
    for status in fs.listStatus(path(staging)):
        name = status.getPath().getName()
        if name.startswith(("_", ".")):  # _SUCCESS: the write's marker, not data
            continue
        if not fs.rename(status.getPath(), path(f"{folder}/{name}")):
            raise OSError(f"could not move {status.getPath()} into {folder}")
        written.append(name)
    fs.delete(path(staging), True)
    # The manifest names the new files before the old ones go: after a crash here the old
    # files are merely left behind, unrecorded.
    record = json.dumps({**manifest, "files": sorted(written)})
    spark.createDataFrame([(record,)], "value string").coalesce(1).write.mode("overwrite").text(
        f"{folder}/{MANIFEST}"
    )
    for name in sorted(previous - set(written)):
        fs.delete(path(f"{folder}/{name}"), False)
    return written


def _recorded_files(spark: SparkSession, fs, manifest) -> set[str]:
    """The data files the last run recorded; none when there is no manifest or an unreadable one."""
    if not fs.exists(manifest):
        return set()
    try:
        files = json.loads(spark.read.text(str(manifest)).first()["value"]).get("files", [])
    except (TypeError, ValueError, AttributeError):
        log.warning("%s is unreadable: files of earlier runs are left in place", manifest)
        return set()
    # A name with a separator is not one of ours (they are plain part-file names).
    return {name for name in files if isinstance(name, str) and "/" not in name and not name.startswith(("_", "."))}
