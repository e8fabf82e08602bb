"""The profile job on house prices agrees with pandas' own statistics of the same columns."""

from __future__ import annotations

import math
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from jobs import profile_table
from jobs.common.cli import run_job
from tests.profiling_data import TABLE, write_train_table
from tests.settings import make_settings
from transforms.profiling import STATS_TABLE_SCHEMA

pytestmark = pytest.mark.e2e
RELATIVE = 1e-9


@pytest.fixture(scope="module")
def job_run(spark, shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("profile_house_prices")
    overrides = [f"lakehouse.root={root}/lakehouse", f"lakehouse.landing={shared_data}",
                 f"mlflow.tracking_uri=sqlite:///{root}/mlflow.db",
                 f"mlflow.artifact_location={root}/mlartifacts"]
    settings = make_settings(root, "house_prices", *overrides)
    tables = write_train_table(spark, settings, shared_data)
    # The statistics table as runs before the `period` columns left it: the job appends to it.
    earlier = STATS_TABLE_SCHEMA.replace(
        "period string, periods array<struct<start: string, count: bigint, target_mean: double>>,", "")
    assert earlier != STATS_TABLE_SCHEMA
    tables.write(spark.createDataFrame([], earlier), profile_table.STATS_TABLE)
    argv = ["--use-case", "house_prices", "--table", TABLE]
    argv += [arg for override in overrides for arg in ("--set", override)]
    profile = run_job(profile_table.__doc__, profile_table.profile, argv, profile_table.add_arguments)
    return profile, tables, settings


@pytest.fixture(scope="module")
def frame(shared_data: Path) -> pd.DataFrame:
    # Only "NA" is missing, as in the use case's reader (pandas would also take "None").
    return pd.read_csv(shared_data / "house_prices" / "train.csv", keep_default_na=False,
                       na_values=["NA"])


def test_counts_nulls_and_moments_match_pandas(job_run, frame):
    profile = job_run[0]
    assert profile.rows == len(frame)
    for column in frame.columns:
        stats, values = profile.column(column), frame[column]
        assert (stats.count, stats.nulls) == (values.count(), values.isna().sum()), column
        if stats.kind != "numeric":
            continue
        assert stats.mean == pytest.approx(values.mean(), rel=RELATIVE), column
        assert stats.std == pytest.approx(values.std(), rel=RELATIVE), column
        assert stats.skew == pytest.approx(values.skew(), rel=1e-6, abs=1e-9), column
        assert (stats.min, stats.max) == (values.min(), values.max()), column
        assert stats.zeros_pct == pytest.approx(100 * (values == 0).sum() / values.count()), column


def test_quantiles_within_the_stated_rank_error(job_run, frame):
    profile = job_run[0]
    accuracy = profile.settings.quantile_accuracy
    for stats in (c for c in profile.columns if c.kind == "numeric"):
        ordered = frame[stats.column].dropna().sort_values().to_numpy()
        n = len(ordered)
        for name, value in stats.quantiles.items():
            p = int(name[1:]) / 100
            # Rank error <= n / accuracy, plus one rank for the lower/upper convention.
            low = max(0, math.floor(p * n - n / accuracy) - 1)
            high = min(n - 1, math.ceil(p * n + n / accuracy))
            assert ordered[low] <= value <= ordered[high], (stats.column, name, value)


def test_categories_and_target_relations_match_pandas(job_run, frame):
    profile = job_run[0]
    target = frame["SalePrice"]
    for stats in (c for c in profile.columns if c.kind == "categorical"):
        counts = frame[stats.column].value_counts()
        assert [c["count"] for c in stats.top_categories] == list(counts.iloc[: len(stats.top_categories)])
        assert stats.n_levels == len(counts)
        assert stats.n_rare_levels == int((counts < 0.01 * counts.sum()).sum())
        top = stats.top_categories[0]
        assert top["target_mean"] == pytest.approx(target[frame[stats.column] == top["value"]].mean())
    lot = profile.column("LotFrontage")
    assert lot.target_corr == pytest.approx(frame["LotFrontage"].corr(target), rel=RELATIVE)
    assert lot.target_score == pytest.approx(lot.target_corr**2)
    assert lot.target_mean_if_missing == pytest.approx(target[frame["LotFrontage"].isna()].mean())
    # Columns without nulls: the matrix equals pandas' correlation.
    assert lot.correlations["SalePrice"] is not None
    assert profile.column("GrLivArea").correlations["SalePrice"] == pytest.approx(
        frame["GrLivArea"].corr(target), rel=1e-9)


def test_the_key_is_listed_but_not_correlated(job_run):
    profile = job_run[0]
    key = profile.column("Id")
    assert (key.role, key.count, key.min, key.max) == ("key", 1460, 1.0, 1460.0)
    assert key.correlations == {} and key.target_score is None
    assert "Id" not in profile.column("GrLivArea").correlations
    assert "Id" not in profile.correlation_matrix()[0]


def test_outliers_use_the_reported_quartiles(job_run, frame):
    stats = job_run[0].column("GrLivArea")
    q1, q3 = stats.quantiles["p25"], stats.quantiles["p75"]
    values = frame["GrLivArea"]
    outside = ((values < q1 - 1.5 * (q3 - q1)) | (values > q3 + 1.5 * (q3 - q1))).sum()
    assert stats.outliers_pct == pytest.approx(100 * outside / len(values))


def test_statistics_table_is_queryable_with_sql(job_run, spark):
    profile, tables, _ = job_run
    name = tables.qualified(profile_table.STATS_TABLE)
    rows = spark.sql(
        f"SELECT column, source_version, passes, quantiles['p50'] AS median, "
        f"top_categories[0].value AS top FROM {name} WHERE run_id = '{profile.run_id}'"
    ).collect()
    by_column = {r.column: r for r in rows}
    assert len(rows) == 81 and set(by_column) == {c.column for c in profile.columns}
    assert {r.source_version for r in rows} == {tables.version(TABLE)}
    assert {r.passes for r in rows} == {3}
    assert by_column["Neighborhood"].top == "NAmes"
    assert "periods" in spark.table(name).columns  # appended to the earlier table's schema
    assert by_column["SalePrice"].median == profile.column("SalePrice").quantiles["p50"]


def test_report_file_and_mlflow_artifact(job_run):
    profile, _, settings = job_run
    path = Path(profile_table.report_path(settings, TABLE, profile.run_id))
    html = path.read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') > 80
    assert "3: summary, distributions, correlation" in html
    mlflow.set_tracking_uri(settings.mlflow.tracking_uri)
    artifacts = mlflow.MlflowClient().list_artifacts(profile.run_id, "profile")
    assert [Path(a.path).name for a in artifacts] == [path.name]
