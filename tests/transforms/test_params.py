"""The one helper that sets Params by name, and the converters that refuse values."""

from __future__ import annotations

import pytest
from pyspark.ml.param import Param, Params, TypeConverters

from transforms.params import (
    KeywordParams,
    ParamConfigError,
    bounded,
    each_one_of,
    one_of,
    set_params,
)


class _Refused(ParamConfigError):
    pass


class _Stage(KeywordParams):
    mode: Param[str] = Param(Params._dummy(), "mode", "a choice", typeConverter=one_of("mode", "a", "b"))
    size: Param[int] = Param(Params._dummy(), "size", "a count", typeConverter=TypeConverters.toInt)
    param_error = _Refused


def test_set_params_names_the_owner_and_lists_the_valid_names() -> None:
    with pytest.raises(_Refused, match="step 'x': unknown parameter 'mood'; valid: mode, size"):
        set_params(_Stage(), {"mood": "a"}, "step 'x'", _Refused)


def test_a_refused_value_raises_the_callers_error_naming_owner_and_parameter() -> None:
    with pytest.raises(_Refused, match="owner: mode must be one of 'a', 'b', not 'c'"):
        set_params(_Stage(), {"mode": "c"}, "owner", _Refused)
    # pyspark's own converters do not name the parameter: the helper does.
    with pytest.raises(_Refused, match="owner: parameter 'size': Could not convert"):
        set_params(_Stage(), {"size": "many"}, "owner", _Refused)


def test_none_leaves_a_param_unset_and_set_params_returns_the_stage() -> None:
    stage = _Stage()
    assert stage.setParams(mode="b", size=None) is stage
    assert stage.getOrDefault(stage.mode) == "b" and not stage.isDefined(stage.size)


def test_converters() -> None:
    assert one_of("m", "a", "b")("a") == "a"
    with pytest.raises(TypeError):
        one_of("m", "a")(3)
    assert each_one_of("parts", ["x", "y"])(["y"]) == ["y"]
    with pytest.raises(ParamConfigError, match="parts: unknown 'z'; allowed: x, y"):
        each_one_of("parts", ["x", "y"])(["x", "z"])
    assert bounded("f", 0, 1, low_open=True)(1) == 1.0
    with pytest.raises(ParamConfigError, match=r"f must be in \(0, 1\], got 0.0"):
        bounded("f", 0, 1, low_open=True)(0)
    with pytest.raises(ParamConfigError, match="n must be at least 2, got 1"):
        bounded("n", 2, integer=True)(1)
    with pytest.raises(ParamConfigError, match=r"n must be below 1, got 1\.0"):
        bounded("n", high=1, high_open=True)(1)
