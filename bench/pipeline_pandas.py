"""The single-machine side of the pipeline benchmark: pandas + feature-engine + scikit-learn.

The reference course's way, on the landing CSV files the project's side generated: read and
clean them into one frame (the declared types and expectations of the ``sales`` source of
``conf/use_cases/house_sales.yml``, malformed rows dropped, latest row per key) written to
Parquet; profile; the same feature steps with feature-engine; LinearRegression and
xgboost.XGBRegressor on the same features and split; predict every row and write the
predictions. One JSON line per stage goes to ``--out``; bench.bench_pipeline runs this in a
process it kills at a memory limit or a timeout.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import pipeline_spec as spec
from bench.measure import StageRecorder

if TYPE_CHECKING:
    import pandas as pd

    from jobs.common.config import SourceSettings

NUMERIC_TYPES = {"bigint", "int", "double"}


def read_landing(landing: Path, source: SourceSettings) -> pd.DataFrame:
    """Every landing file, typed as declared; rows that do not parse, type or pass are dropped."""
    import pandas as pd

    # The pyarrow engine ignores keep_default_na=False: pandas' default tokens ("NA" among
    # them) count as null too, which the generated files never write otherwise.
    raw = pd.concat([
        pd.read_csv(path, engine="pyarrow", na_values=source.null_tokens,
                    on_bad_lines="skip")  # the line cut short has too few fields
        for path in sorted(landing.glob("part-*"))
    ], ignore_index=True)
    typed = pd.DataFrame(index=raw.index)
    for column, kind in source.declared_columns.items():
        if kind in NUMERIC_TYPES:
            typed[column] = pd.to_numeric(raw[column], errors="coerce")
        elif kind == "date":
            typed[column] = pd.to_datetime(raw[column], format="%Y-%m-%d", errors="coerce")
        else:
            typed[column] = raw[column]
    good = ~(typed.isna() & raw[typed.columns].notna()).any(axis=1)
    checks = source.expectations
    for column in [*source.key, *checks.not_null]:
        good &= typed[column].notna()
    for column, bounds in checks.ranges.items():
        if bounds.min is not None:
            good &= ~(typed[column] < bounds.min)
        if bounds.max is not None:
            good &= ~(typed[column] > bounds.max)
    for column, allowed in checks.allowed_values.items():
        good &= typed[column].isna() | typed[column].isin(allowed)
    return typed[good].sort_values(source.order_by).drop_duplicates(source.key, keep="last")


def profile(frame: pd.DataFrame) -> None:
    """Summary statistics, quantiles, nulls, distinct counts, level counts, histograms and
    correlation with the label: what the project's profile reports."""
    import numpy as np

    numeric = frame.select_dtypes("number")
    numeric.describe(percentiles=[0.01, 0.25, 0.5, 0.75, 0.99])
    numeric.skew()
    frame.isna().sum()
    frame.nunique()
    for column in frame.select_dtypes("object"):
        frame[column].value_counts(dropna=False)
    for column in numeric:
        values = numeric[column].dropna().to_numpy()
        if values.size:
            np.histogram(values, bins=20)
    numeric.corrwith(frame[spec.LABEL])


def derive(frame: pd.DataFrame) -> pd.DataFrame:
    dates = frame[spec.DATE]
    return frame.assign(house_age=dates.dt.year - frame["year_built"], sale_month=dates.dt.month)


def feature_pipeline() -> Any:
    """The project's feature steps (bench.pipeline_spec) as feature-engine transformers."""
    from feature_engine import encoding, imputation, selection, transformation
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    return make_pipeline(
        FunctionTransformer(derive),
        imputation.MeanMedianImputer("median", variables=spec.IMPUTED),
        imputation.CategoricalImputer(variables=spec.CATEGORICAL_WITH_NULLS),
        encoding.RareLabelEncoder(tol=spec.RARE_TOL, variables=spec.CATEGORICAL),
        transformation.LogTransformer(variables=spec.LOGGED),
        encoding.OneHotEncoder(variables=spec.CATEGORICAL),
        selection.DropFeatures([spec.KEY, spec.DATE, "year_built", spec.LABEL]),
    )


def quality(model: Any, features: pd.DataFrame, label: pd.Series) -> dict[str, float]:
    from sklearn.metrics import mean_squared_error, r2_score

    predicted = model.predict(features)
    return {"rmse": float(mean_squared_error(label, predicted) ** 0.5), "r2": float(r2_score(label, predicted))}


def run(args: argparse.Namespace) -> None:
    work, out = Path(args.work), Path(args.out)
    started = time.perf_counter()
    import feature_engine  # noqa: F401  (start-up: the libraries this side loads)
    import pandas as pd
    import sklearn  # noqa: F401
    import xgboost
    from sklearn.linear_model import LinearRegression

    from jobs.common.config import load_settings
    startup = time.perf_counter() - started
    recorder = StageRecorder("pandas", out)
    recorder.record({"side": "pandas", "stage": spec.STARTUP, "rows": 0, "seconds": startup,
                     "peak_rss": recorder.sampler.peak().held})

    source = load_settings("house_sales").source("sales")
    silver_path, rows = work / "pandas_silver.parquet", args.rows
    with recorder.stage(spec.INGEST, rows) as extra:
        read_landing(Path(args.landing), source).to_parquet(silver_path, index=False)
        silver = pd.read_parquet(silver_path)
        rows = extra["rows_out"] = len(silver)
    with recorder.stage(spec.IO_FLOOR, rows):
        pd.read_parquet(silver_path).to_parquet(work / "pandas_copy.parquet", index=False)
    with recorder.stage(spec.PROFILE, rows):
        profile(silver)

    test = (silver[spec.KEY] % spec.TEST_EVERY == 0).to_numpy()
    train_count = int((~test).sum())
    features = feature_pipeline()
    with recorder.stage(spec.FEATURE_FIT, train_count):
        features.fit(silver[~test])
    with recorder.stage(spec.FEATURE_TRANSFORM, rows):
        table = features.transform(silver)
    label = silver[spec.LABEL]
    models = {spec.TRAIN_LINEAR: LinearRegression(),
              spec.TRAIN_XGBOOST: xgboost.XGBRegressor(**spec.XGBOOST_PARAMS, n_jobs=args.threads)}
    every = spec.booster_sample_every(train_count)
    booster_train = ~test & spec.in_booster_sample(silver[spec.KEY], every).to_numpy()
    for stage, model in models.items():
        rows_in = booster_train if stage == spec.TRAIN_XGBOOST else ~test
        with recorder.stage(stage, int(rows_in.sum())):
            model.fit(table[rows_in], label[rows_in])
        recorder.annotate(stage, quality=quality(model, table[test], label[test]))
    del table

    model = models[spec.TRAIN_XGBOOST]
    with recorder.stage(spec.SCORE, rows):
        model.predict(features.transform(silver))
    with recorder.stage(spec.SCORE_WRITE, rows):
        predictions = silver[[spec.KEY, *spec.PASS_THROUGH]].assign(
            prediction=model.predict(features.transform(silver)), model_name="bench_price", model_version="1")
        predictions.to_parquet(work / "pandas_predictions.parquet", index=False)
    recorder.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True, help="folder of the landing CSV files")
    parser.add_argument("--rows", type=int, required=True, help="rows generated (before cleaning)")
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=2, help="xgboost threads")
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
