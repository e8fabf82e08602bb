"""Write generated landing CSV files (labelled sales, unlabelled listings) and their manifests."""

from __future__ import annotations

import argparse
import json
import logging

from jobs.common.cli import JobContext, run_job
from transforms import synthetic

log = logging.getLogger(__name__)

MANIFEST = "_manifest"


def landing_path(context: JobContext, source_name: str) -> str:
    return f"{context.settings.lakehouse.landing}/{context.settings.source(source_name).path}"


def generate(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, dict[str, int]]:
    """Generate every source of the use case; return {source: {rows, malformed_rows}}."""
    settings = context.settings
    generator = settings.generator
    if generator is None:
        raise SystemExit(f"use case {settings.use_case.name!r} has no generator section")
    plans = {
        "sales": (1, generator.rows, True),
        "listings": (generator.rows + 1, generator.score_rows, False),
    }
    manifests = {}
    for source in settings.sources:
        first_id, rows, labelled = plans[source.name]
        frame = synthetic.house_sales(context.spark, rows, generator.seed, generator.partitions, first_id, labelled)
        lines = synthetic.to_csv_lines(frame, "sale_id", generator.malformed_fraction, source.options.get("nullValue", "NA"))
        path = landing_path(context, source.name)
        synthetic.with_header(lines, ",".join(frame.columns)).write.mode("overwrite").text(path)
        manifest = {
            "rows": rows,
            "malformed_rows": synthetic.malformed_count(first_id, rows, generator.malformed_fraction),
            "seed": generator.seed,
        }
        # Files starting with "_" are invisible to Spark's file readers, so the manifest can sit
        # beside the data it describes.
        context.spark.createDataFrame([(json.dumps(manifest),)], "value string").coalesce(1).write.mode(
            "overwrite"
        ).text(f"{path}/{MANIFEST}")
        log.info("generated %s: %s rows (%s malformed) in %s", source.name, rows, manifest["malformed_rows"], path)
        manifests[source.name] = manifest
    return manifests


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, generate, argv)


if __name__ == "__main__":
    main()
