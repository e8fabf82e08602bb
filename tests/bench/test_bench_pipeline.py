"""The pipeline benchmark at 2,000 rows: every stage reported for both sides, with model quality,
and a single-machine side that crosses its memory limit or timeout reported as such."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench import bench_pipeline
from bench import pipeline_spec as spec
from bench.report import pipeline_table
from jobs.common.config import load_settings
from transforms.ingestion.synthetic import malformed_count

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

ROWS = 2000


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The benchmark's printed output, and its work folder (kept for the limit tests)."""
    work = tmp_path_factory.mktemp("bench")
    args = ["--rows", str(ROWS), "--work", str(work), "--keep", "--driver-memory", "1g",
            "--conf", "spark.sql.shuffle.partitions=2", "--conf", "spark.default.parallelism=2"]
    output = bench_pipeline.compare(ROWS, bench_pipeline.parse(args))
    return output, work / f"rows_{ROWS}"


def table_rows(output: str) -> dict[str, list[str]]:
    """Stage -> cells of the first markdown table in `output`."""
    rows = {}
    for line in output.split("\n\n")[1].splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_both_sides_finish_every_stage(run) -> None:
    output, _ = run
    assert "project: ok; pandas: ok" in output
    # Both sides keep the same rows: the malformed ones the generator wrote are dropped.
    kept = ROWS - malformed_count(1, ROWS, load_settings("house_sales").generator.malformed_fraction)
    assert f"rows kept by ingest: project {kept}, pandas {kept}" in output
    rows = table_rows(output)
    assert list(rows) == [*spec.STAGES, "**end to end**"]
    for stage in spec.STAGES:
        project_seconds, pandas_seconds = rows[stage][1], rows[stage][4]
        assert float(project_seconds) > 0
        if stage != spec.GENERATE:  # the project generates the files both sides read
            assert float(pandas_seconds) >= 0


def test_models_report_test_quality_on_both_sides(run) -> None:
    rows = table_rows(run[0])
    for stage in (spec.TRAIN_LINEAR, spec.TRAIN_XGBOOST):
        project, pandas = rows[stage][-2:]
        assert project.startswith("RMSE") and "R²" in project
        assert pandas.startswith("RMSE") and "R²" in pandas
    # Same rows, features and least squares: the linear models agree.
    assert rows[spec.TRAIN_LINEAR][-2] == rows[spec.TRAIN_LINEAR][-1]


@pytest.mark.parametrize(("limits", "expected"), [
    ({"memory_gib": 0.05, "timeout": 600.0}, "out of memory"),
    ({"memory_gib": 14.0, "timeout": 0.5}, "out of time"),
])
def test_a_single_machine_side_past_its_limit_is_reported(run, limits, expected) -> None:
    work = run[1]
    (work / "pandas.jsonl").unlink(missing_ok=True)
    records, status = bench_pipeline.run_pandas(ROWS, work, argparse.Namespace(**limits))
    assert status.startswith(expected)
    table = pipeline_table(ROWS, {}, "ok", records, status)
    assert f"| {spec.TRAIN_XGBOOST} |" in table and status in table
