"""Infer a source's declared schema from sample landing files and write it as YAML for review.

The output is a `sources:` entry for a use case file: column types, the null tokens found,
columns never null in the sample (as not_null expectations) and a candidate key. Names that
are awkward in SQL (``home.dest``) are declared as ``home_dest`` with the file's name kept in
``file_names``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import yaml

from jobs.common.cli import JobContext, run_job
from jobs.common.landing import read_sample
from transforms.ingestion.infer import infer_sample, source_entry

log = logging.getLogger(__name__)


def infer_schema(context: JobContext, args: argparse.Namespace) -> dict[str, Any]:
    if args.source:
        source = context.settings.source(args.source)
        name, path, format_, options = source.name, source.path, source.format, dict(source.options)
    else:
        if not args.path:
            raise SystemExit("give --source NAME (a configured source) or --path PATH relative to the landing root")
        name, path, format_, options = args.name or Path(args.path).stem, args.path, args.format, {}
    sample = read_sample(context, f"{context.settings.lakehouse.landing}/{path}", format_, options, args.sample_rows)
    schema = infer_sample(sample, format_)
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
