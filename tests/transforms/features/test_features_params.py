"""Feature stages are built as pyspark's are, and refuse a bad parameter value when built.

No Spark needed: a stage is only Params until it is fitted.
"""

from __future__ import annotations

import inspect

import pytest

import transforms.features as fe
from transforms.features.pipeline import FeatureConfigError, Step, build_feature_pipeline


@pytest.mark.parametrize(
    ("stage", "params", "message"),
    [
        (fe.MeanMedianImputer, {"strategy": "mode"}, "strategy must be one of 'mean', 'median', not 'mode'"),
        (fe.EndTailImputer, {"imputationMethod": "mad"}, "imputationMethod must be one of"),
        (fe.EndTailImputer, {"tail": "both"}, "tail must be one of 'right', 'left', not 'both'"),
        (fe.CategoricalImputer, {"strategy": "mean"}, "strategy must be one of 'missing', 'frequent'"),
        (fe.OrdinalEncoder, {"encodingMethod": "count"}, "encodingMethod must be one of 'ordered', 'arbitrary'"),
        (fe.CountFrequencyEncoder, {"encodingMethod": "ordered"}, "encodingMethod must be one of 'count'"),
        (fe.MeanEncoder, {"unseen": "encodee"}, "unseen must be one of 'encode', 'ignore', 'raise', not 'encodee'"),
        (fe.OneHotEncoder, {"unseen": "drop"}, "unseen must be one of"),
        (fe.RareLabelEncoder, {"tol": 1.5}, r"tol must be in \[0, 1\], got 1.5"),
        (fe.DatePartExtractor, {"parts": ["year", "fortnight"]}, "parts: unknown 'fortnight'; allowed: year"),
        (fe.ElapsedTime, {"unit": "decades"}, "unit must be one of 'number', 'seconds'"),
        (fe.EqualWidthDiscretiser, {"bins": 1}, "bins must be at least 2, got 1"),
        (fe.EqualFrequencyDiscretiser, {"relativeError": -0.1}, r"relativeError must be in \[0, 1\]"),
        (fe.Winsorizer, {"cappingMethod": "zscore"}, "cappingMethod must be one of 'gaussian', 'iqr'"),
        (fe.OutlierTrimmer, {"tail": "middle"}, "tail must be one of 'right', 'left', 'both'"),
        (fe.LogTransformer, {"base": "2"}, "base must be one of 'e', '10', not '2'"),
        (fe.YeoJohnsonTransformer, {"gridPoints": 3}, "gridPoints must be at least 5, got 3"),
    ],
)
def test_a_refused_value_fails_at_construction_and_in_set_params(stage, params, message) -> None:
    with pytest.raises(FeatureConfigError, match=f"{stage.__name__}: {message}"):
        stage(**params)
    with pytest.raises(FeatureConfigError, match=message):
        stage().setParams(**params)


def test_constructors_are_keyword_only_with_typed_getters_and_defaults() -> None:
    with pytest.raises(TypeError, match="forces keyword arguments"):
        fe.MeanMedianImputer(["a"])
    with pytest.raises(TypeError, match="unexpected keyword argument 'strategi'"):
        fe.MeanMedianImputer(strategi="mean")
    imputer = fe.MeanMedianImputer(inputCols=["a"], strategy="median")
    assert (imputer.getStrategy(), imputer.getRelativeError(), imputer.getInputCols()) == ("median", 0.0, ["a"])
    assert fe.Winsorizer().getCappingMethod() == "gaussian" and fe.MeanEncoder().getUnseen() == "encode"
    # A fitted model is built without arguments, as DefaultParamsReader builds it when loading.
    assert fe.RareLabelEncoderModel().getTol() == 0.05


def test_set_params_by_name_lists_the_valid_names() -> None:
    with pytest.raises(FeatureConfigError, match=r"MeanEncoder: unknown parameter 'smooth'; valid: .*smoothing"):
        fe.MeanEncoder().setParams(smooth=1.0)


def test_a_step_with_a_refused_value_names_the_step_and_its_position() -> None:
    steps = [Step("rare_label", ["hood"]), Step("mean_encode", ["hood"], {"unseen": "encodee"})]
    with pytest.raises(FeatureConfigError, match="step 'mean_encode': unseen must be one of") as error:
        build_feature_pipeline(steps, ["hood", "price"], label="price")
    assert error.value.step_index == 1


def test_every_constructor_takes_exactly_the_stages_params() -> None:
    stages = [getattr(fe, name) for name in fe.__all__ if not name.endswith("Model")]
    for stage in stages:
        arguments = set(inspect.signature(stage.__init__).parameters) - {"self", "mapping"}
        assert arguments == {p.name for p in stage().params}, stage.__name__
