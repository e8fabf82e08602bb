"""Propose a complete, commented use case from a CSV file and its label, in seconds.

Reads the first lines of the file (at most 20 000 lines / 8 MB, no Spark), finds the delimiter,
null tokens, types and clean column names, guesses the task, the key and the identifiers,
picks the default feature steps and candidates, and writes a use-case YAML that the ingest and
train jobs run without edits (it is checked with the configuration loader before it is kept):

    lakehouse-init data/churn.csv --label Churn --output conf/use_cases/churn.yml
    lakehouse-ingest --use-case conf/use_cases/churn.yml
    lakehouse-train --use-case conf/use_cases/churn.yml
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

from jobs.common.landing_sample import MAX_LINES, SampleError, read_head
from transforms.ingestion import yaml_text
from transforms.ingestion.proposal import propose
from transforms.ingestion.sniff import SniffError, clean_name, sniff
from transforms.ingestion.use_case_file import Origin, use_case_entries
from transforms.modeling.defaults import (
    ColumnSummary,
    DefaultsError,
    default_candidates,
    default_feature_steps,
)


def use_case_name(path: Path, given: str | None) -> str:
    """A schema-safe name: letters, digits and _, not starting with a digit."""
    name = clean_name(given or path.stem.removesuffix(".csv"))[:100]  # room for table suffixes
    return name if name[0].isalpha() else f"uc_{name}"


def init_use_case(args: argparse.Namespace) -> str:
    """The YAML text for `args.path` (see module docstring)."""
    path = Path(args.path)
    head = read_head(path, max_lines=args.sample_rows)
    sample = sniff(head.text, head.complete, args.sample_rows)
    keys = [k.strip() for k in args.key.split(",") if k.strip()] if args.key else []
    proposal = propose(sample, args.label, keys)
    summaries = [ColumnSummary(c.name, c.type, c.distinct, c.null_fraction) for c in proposal.inputs]
    name = use_case_name(path, args.name)
    # The landing folder is the file's folder (a folder is its own source); as the user wrote it.
    landing, relative = (path.parent, path.name)
    origin = Origin(landing.as_posix() or ".", relative, head.encoding, sample.rows, head.complete)
    entries = use_case_entries(name, sample, origin, proposal,
                               default_feature_steps(summaries, proposal.task), default_candidates(proposal.task))
    sampled = "the whole file" if head.complete else f"its first {sample.rows} rows"
    text = yaml_text.render(entries, [
        f"Use case proposed by lakehouse-init from {path} ({sampled}"
        + (f", the first of {head.files} files" if head.files > 1 else "") + ").",
        "Review the guesses (task, key, identifiers, label values, types), then run:",
        f"  lakehouse-ingest --use-case {args.output or 'FILE'} && lakehouse-train --use-case {args.output or 'FILE'}",
    ])
    if yaml.safe_load(text) != yaml_text.data(entries):
        raise AssertionError("the YAML written does not read back as intended")  # a writer bug, never data
    return text


def config_problem(text: str) -> str | None:
    """Why the configuration loader refuses `text` as a use case, or None when it loads."""
    # Imported here: the loader builds the pipeline stages, so it brings pyspark.ml and pandas
    # (seconds), which the sniffing and an error in the arguments do not need.
    from jobs.common.config import ConfigError, load_settings

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "use_case.yml"
        path.write_text(text, encoding="utf-8")
        try:
            load_settings(str(path))
        except ConfigError as error:
            return str(error)
    return None


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of rows, got {value!r}")
    return int(value)


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", help="a CSV file, or a folder of CSV files (its first file is sampled)")
    parser.add_argument("--label", required=True, help="the column to predict (as in the header, or its clean name)")
    parser.add_argument("--key", help="column(s) naming a row, comma-separated (default: guessed)")
    parser.add_argument("--name", help="use case name (default: the file name)")
    parser.add_argument("--output", help="YAML file to write (default: standard output)")
    parser.add_argument("--sample-rows", type=_positive, default=MAX_LINES, help="rows to sample (default: %(default)s)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _arguments().parse_args(argv)
    started = time.monotonic()
    try:
        text = init_use_case(args)
    except (SampleError, SniffError, DefaultsError) as error:
        print(f"lakehouse-init: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    problem = config_problem(text)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if problem:
        print(f"lakehouse-init: the use case written does not load: {problem}", file=sys.stderr)
        raise SystemExit(2)
    print(f"lakehouse-init: wrote {args.output or 'the use case'} in {time.monotonic() - started:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
