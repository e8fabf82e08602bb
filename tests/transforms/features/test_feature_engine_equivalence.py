"""Our Spark stages against feature-engine on the house prices data (../shared/data).

Same parameters, same outputs: numbers within 1e-6 (absolute, or relative for large values),
categories exactly. Both sides read the CSV with only "NA" as missing, as our ingestion does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from feature_engine import creation, discretisation, encoding, imputation, outliers, transformation

import transforms.features as fe

# Whole jobs or minutes of Spark work: left out of `make test-quick`.
pytestmark = pytest.mark.slow

NUMERIC_WITH_NA = ["LotFrontage", "MasVnrArea", "GarageYrBlt"]
SKEWED = ["LotArea", "GrLivArea", "1stFlrSF"]
CATEGORICAL = ["MSZoning", "Neighborhood", "Exterior1st", "BsmtQual", "GarageType", "Alley", "Fence"]


@pytest.fixture(scope="module")
def house(shared_data):
    frame = pd.read_csv(shared_data / "house_prices" / "train.csv", keep_default_na=False, na_values=["NA"])
    frame[CATEGORICAL] = frame[CATEGORICAL].fillna("Missing")
    frame["log_price"] = np.log(frame["SalePrice"])
    frame["expensive"] = (frame["SalePrice"] > frame["SalePrice"].median()).astype(int)
    return frame


@pytest.fixture(scope="module")
def house_spark(spark, house):
    raw = house.astype({c: "float64" for c in NUMERIC_WITH_NA})
    frame = spark.createDataFrame(raw.astype(object).where(raw.notna(), None))
    return frame.cache()


def spark_result(stage, frame, columns: list[str]) -> pd.DataFrame:
    """The stage's output for ``columns``, in Id order."""
    fitted = stage.fit(frame) if hasattr(stage, "fit") else stage
    result = fitted.transform(frame).select("Id", *columns).orderBy("Id").toPandas()
    return result.set_index("Id")


def assert_numbers_match(ours: pd.DataFrame, theirs: pd.DataFrame, columns: list[str]) -> None:
    theirs = theirs.set_index("Id") if "Id" in theirs.columns else theirs
    for column in columns:
        np.testing.assert_allclose(
            ours[column].astype(float).to_numpy(), theirs[column].astype(float).to_numpy(),
            rtol=1e-6, atol=1e-6, err_msg=column,
        )


def test_mean_median_and_end_tail_imputers(house, house_spark):
    for ours, theirs in [
        (fe.MeanMedianImputer(strategy="mean"), imputation.MeanMedianImputer("mean")),
        (fe.MeanMedianImputer(strategy="median"), imputation.MeanMedianImputer("median")),
        (fe.EndTailImputer(imputationMethod="gaussian", tail="right", fold=3.0),
         imputation.EndTailImputer("gaussian", "right", 3)),
        (fe.EndTailImputer(imputationMethod="iqr", tail="left", fold=1.5),
         imputation.EndTailImputer("iqr", "left", 1.5)),
    ]:
        ours._set(inputCols=NUMERIC_WITH_NA)
        expected = theirs.set_params(variables=NUMERIC_WITH_NA).fit_transform(house)
        assert_numbers_match(spark_result(ours, house_spark, NUMERIC_WITH_NA), expected, NUMERIC_WITH_NA)


def test_missing_indicator(house, house_spark):
    expected = imputation.AddMissingIndicator(variables=NUMERIC_WITH_NA).fit_transform(house)
    names = [f"{c}_na" for c in NUMERIC_WITH_NA]
    assert_numbers_match(spark_result(fe.MissingIndicator(inputCols=NUMERIC_WITH_NA), house_spark, names),
                         expected, names)


def test_categorical_imputer_most_frequent(shared_data, spark):
    raw = pd.read_csv(shared_data / "house_prices" / "train.csv", keep_default_na=False, na_values=["NA"])
    columns = ["BsmtQual", "GarageType", "Electrical"]
    expected = imputation.CategoricalImputer("frequent", variables=columns).fit_transform(raw)
    frame = spark.createDataFrame(raw[["Id", *columns]].astype(object).where(raw[["Id", *columns]].notna(), None))
    ours = spark_result(fe.CategoricalImputer(inputCols=columns, strategy="frequent"), frame, columns)
    pd.testing.assert_frame_equal(ours, expected.set_index("Id")[columns], check_dtype=False)


def test_rare_label_ordinal_count_and_mean_encoders(house, house_spark):
    pairs = [
        (fe.RareLabelEncoder(tol=0.01, nCategories=1), encoding.RareLabelEncoder(tol=0.01, n_categories=1)),
        (fe.CountFrequencyEncoder(encodingMethod="frequency"), encoding.CountFrequencyEncoder("frequency")),
        (fe.OrdinalEncoder(labelCol="log_price"), encoding.OrdinalEncoder("ordered")),
        (fe.MeanEncoder(labelCol="log_price", smoothing=10.0), encoding.MeanEncoder(smoothing=10.0)),
        (fe.MeanEncoder(labelCol="log_price", smoothing=-1.0), encoding.MeanEncoder(smoothing="auto")),
    ]
    for ours, theirs in pairs:
        ours._set(inputCols=CATEGORICAL)
        expected = theirs.set_params(variables=CATEGORICAL).fit_transform(house, house["log_price"])
        result = spark_result(ours, house_spark, CATEGORICAL)
        if isinstance(ours, fe.RareLabelEncoder):
            pd.testing.assert_frame_equal(result, expected.set_index("Id")[CATEGORICAL])
        else:
            assert_numbers_match(result, expected, CATEGORICAL)


def test_weight_of_evidence(house, house_spark):
    columns = ["CentralAir", "PavedDrive", "LotShape"]
    expected = encoding.WoEEncoder(variables=columns).fit_transform(house, house["expensive"])
    ours = spark_result(fe.WoEEncoder(inputCols=columns, labelCol="expensive"), house_spark, columns)
    assert_numbers_match(ours, expected, columns)


def test_one_hot_dummies(house, house_spark):
    columns = ["MSZoning", "Alley"]
    expected = encoding.OneHotEncoder(variables=columns).fit_transform(house).set_index("Id")
    model = fe.OneHotEncoder(inputCols=columns).fit(house_spark)
    dummies = [d for names in model.dummy_columns().values() for d in names]
    assert sorted(dummies) == sorted(c for c in expected.columns if c.startswith(("MSZoning_", "Alley_")))
    assert_numbers_match(spark_result(model, house_spark, dummies), expected, dummies)


def test_log_power_box_cox_and_yeo_johnson(house, house_spark):
    for ours, theirs in [
        (fe.LogTransformer(), transformation.LogTransformer()),
        (fe.LogTransformer(base="10"), transformation.LogTransformer(base="10")),
        (fe.LogCpTransformer(), transformation.LogCpTransformer(C="auto")),
        (fe.PowerTransformer(exp=0.5), transformation.PowerTransformer(exp=0.5)),
        (fe.BoxCoxTransformer(), transformation.BoxCoxTransformer()),
        (fe.YeoJohnsonTransformer(), transformation.YeoJohnsonTransformer()),
    ]:
        ours._set(inputCols=SKEWED)
        expected = theirs.set_params(variables=SKEWED).fit_transform(house)
        assert_numbers_match(spark_result(ours, house_spark, SKEWED), expected, SKEWED)


def test_discretisers(house, house_spark):
    for ours, theirs in [
        (fe.EqualWidthDiscretiser(bins=10), discretisation.EqualWidthDiscretiser(bins=10)),
        (fe.EqualFrequencyDiscretiser(bins=10), discretisation.EqualFrequencyDiscretiser(q=10)),
        (fe.ArbitraryDiscretiser(binEdges=[0.0, 5000.0, 10000.0, 1e9]),
         discretisation.ArbitraryDiscretiser({c: [0, 5000, 10000, 1e9] for c in SKEWED})),
    ]:
        ours._set(inputCols=SKEWED)
        if not isinstance(theirs, discretisation.ArbitraryDiscretiser):
            theirs.set_params(variables=SKEWED)
        expected = theirs.fit_transform(house)
        assert_numbers_match(spark_result(ours, house_spark, SKEWED), expected, SKEWED)


def test_winsorizer(house, house_spark):
    for method, tail, fold in [("gaussian", "both", 3.0), ("iqr", "right", 1.5), ("quantiles", "both", 0.05),
                              ("mad", "both", 3.29)]:
        ours = fe.Winsorizer(inputCols=SKEWED, cappingMethod=method, tail=tail, fold=fold)
        theirs = outliers.Winsorizer(capping_method=method, tail=tail, fold=fold, variables=SKEWED)
        expected = theirs.fit_transform(house)
        assert_numbers_match(spark_result(ours, house_spark, SKEWED), expected, SKEWED)


def test_cyclical_features_and_elapsed_years(house, house_spark):
    expected = creation.CyclicalFeatures(variables=["MoSold"]).fit_transform(house)
    names = ["MoSold_sin", "MoSold_cos"]
    assert_numbers_match(spark_result(fe.CyclicalFeatures(inputCols=["MoSold"]), house_spark, names),
                         expected, names)
    elapsed = fe.ElapsedTime(inputCols=["YearBuilt", "YearRemodAdd"], referenceCol="YrSold")
    course = house.assign(**{c: house["YrSold"] - house[c] for c in ["YearBuilt", "YearRemodAdd"]})
    assert_numbers_match(spark_result(elapsed, house_spark, ["YearBuilt", "YearRemodAdd"]), course,
                         ["YearBuilt", "YearRemodAdd"])
