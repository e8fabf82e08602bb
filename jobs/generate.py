"""Write generated landing CSV files (labelled sales, unlabelled listings) and their manifests.

Only the files an earlier run of generate wrote are replaced: files other tools dropped in the
landing folder stay where they are (see jobs.common.landing_data).
"""

from __future__ import annotations

import argparse

from jobs.common.cli import JobContext, run_job
from jobs.common.config import ConfigError
from jobs.common.landing_data import generate_landing
from jobs.common.progress import Stage, summed

# The progress line of the job, alone or in run_all: name, rows, seconds.
STAGE = Stage("generate", summed("rows"))


def generate(context: JobContext, args: argparse.Namespace | None = None) -> dict[str, dict[str, int]]:
    """Generate every source of the use case; return {source: {rows, malformed_rows, seed}}."""
    settings = context.settings
    if settings.generator is None:
        raise ConfigError(f"use case {settings.use_case.name!r} has no generator section: generate writes "
                          "demo data only; put your files under lakehouse.landing instead")
    return generate_landing(context, settings.generator)


def main(argv: list[str] | None = None) -> None:
    run_job(__doc__, generate, argv, stage=STAGE)


if __name__ == "__main__":
    main()
