"""Infer a source's declared schema from sample landing files and write it as YAML for review.

The output is a `sources:` entry for a use case file: column types, the null tokens found,
columns never null in the sample (as not_null expectations) and a candidate key. Names that
are awkward in SQL (``home.dest``) are declared as ``home_dest`` with the file's name kept in
``file_names``.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from pyspark.sql import DataFrame

from jobs.common.cli import JobContext, run_job
from transforms.ingestion.infer import InferredSchema, inference_profile, inferred_schema

log = logging.getLogger(__name__)


def read_sample(context: JobContext, path: str, format_: str, options: dict[str, str], rows: int) -> DataFrame:
    """Up to `rows` rows of the files at `path`, every column as a string (Parquet: as stored)."""
    reader = context.spark.read.format(format_).options(**options)
    if format_ == "csv":
        reader = reader.option("header", options.get("header", "true")).option("inferSchema", "false")
    elif format_ == "json":
        reader = reader.option("primitivesAsString", "true")
    return reader.load(path).limit(rows)


def infer(sample: DataFrame, format_: str) -> InferredSchema:
    if format_ == "parquet":  # the files carry their types; only nullability and keys are measured
        profile = inference_profile(sample.select([sample[c].cast("string").alias(c) for c in sample.columns]))
        inferred = inferred_schema(sample.columns, profile.first().asDict())
        return InferredSchema(dict(sample.dtypes), [], inferred.not_null, inferred.key_candidates, inferred.rows)
    return inferred_schema(sample.columns, inference_profile(sample).first().asDict())


def source_entry(name: str, path: str, format_: str, options: dict[str, str], schema: InferredSchema) -> dict[str, Any]:
    """A `sources:` list item with SQL-friendly column names."""
    declared = {re.sub(r"\W", "_", c): t for c, t in schema.columns.items()}
    file_names = {re.sub(r"\W", "_", c): c for c in schema.columns if re.sub(r"\W", "_", c) != c}
    entry: dict[str, Any] = {"name": name, "path": path, "format": format_, "options": options}
    if schema.null_tokens:
        entry["null_tokens"] = schema.null_tokens
    entry["table"] = f"{name}_bronze"
    entry["silver_table"] = f"{name}_silver"
    entry["key"] = [re.sub(r"\W", "_", schema.key_candidates[0])] if schema.key_candidates else []
    entry["expectations"] = {"not_null": [re.sub(r"\W", "_", c) for c in schema.not_null]}
    if file_names:
        entry["file_names"] = file_names
    entry["columns"] = declared
    return entry


def infer_schema(context: JobContext, args: argparse.Namespace) -> dict[str, Any]:
    if args.source:
        source = context.settings.source(args.source)
        name, path, format_, options = source.name, source.path, source.format, dict(source.options)
    else:
        if not args.path:
            raise SystemExit("give --source NAME (a configured source) or --path PATH relative to the landing root")
        name, path, format_, options = args.name or Path(args.path).stem, args.path, args.format, {}
    sample = read_sample(context, f"{context.settings.lakehouse.landing}/{path}", format_, options, args.sample_rows)
    schema = infer(sample, format_)
    entry = source_entry(name, path, format_, options, schema)
    text = (
        f"# Inferred from {schema.rows} sample rows of {path}; review types, key and expectations.\n"
        + yaml.safe_dump({"sources": [entry]}, sort_keys=False, allow_unicode=True)
    )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        log.info("wrote the inferred schema of %s to %s", path, args.output)
    else:
        sys.stdout.write(text)
    return entry


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="a configured source: infer from its path, format and options")
    parser.add_argument("--path", help="files to sample, relative to lakehouse.landing")
    parser.add_argument("--format", default="csv", choices=["csv", "json", "parquet"])
    parser.add_argument("--name", help="source name for --path (default: the file name)")
    parser.add_argument("--sample-rows", type=int, default=100_000, help="rows to sample (default: %(default)s)")
    parser.add_argument("--output", help="YAML file to write (default: standard output)")


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, infer_schema, argv, _arguments)


if __name__ == "__main__":
    main()
