"""The one way to set a stage's Params by name, and Param converters that refuse bad values.

Every stage, selector and estimator built from config goes through :func:`set_params`: an
unknown name or a value its Param refuses raises one :class:`ParamConfigError` (or the
caller's subclass) naming the owner — a feature step, a selector, a candidate — and, for an
unknown name, listing the valid ones. The converters of :func:`one_of`, :func:`each_one_of`
and :func:`bounded` run whenever a Param is set (constructor, ``setParams``, ``set``), so a
value outside the allowed ones fails when the stage is built, not minutes into ``fit``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pyspark.ml.param import Param, Params, TypeConverters

P = TypeVar("P", bound=Params)
Converter = Callable[[Any], Any]


class ParamConfigError(ValueError):
    """A stage was given a parameter it does not have, or a value the parameter refuses."""


def param_named(
    stage: Params, name: str, owner: str, error: type[ParamConfigError] = ParamConfigError, what: str = "parameter"
) -> Param:
    """The Param `name` of `stage`; raises `error` naming `owner` and the valid names."""
    if not stage.hasParam(name):
        valid = ", ".join(sorted(p.name for p in stage.params))
        raise error(f"{owner}: unknown {what} {name!r}; valid: {valid}")
    return stage.getParam(name)


def checked_value(param: Param, value: Any, owner: str, error: type[ParamConfigError] = ParamConfigError) -> Any:
    """`value` as `param` stores it; raises `error` naming `owner` when the Param refuses it."""
    try:
        return param.typeConverter(value)
    except (TypeError, ValueError) as problem:
        # The converters of this module name the parameter themselves; pyspark's do not.
        named = str(problem).startswith(param.name)
        raise error(f"{owner}: {problem}" if named else f"{owner}: parameter {param.name!r}: {problem}") from None


def set_params(
    stage: P, params: Mapping[str, Any], owner: str, error: type[ParamConfigError] = ParamConfigError
) -> P:
    """`stage` with every `params` entry set by name; None leaves a Param as it is."""
    for name, value in params.items():
        param = param_named(stage, name, owner, error)
        if value is not None:
            stage.set(param, checked_value(param, value, owner, error))
    return stage


class KeywordParams(Params):
    """``setParams(**params)`` for the keyword constructors (pyspark's ``@keyword_only`` style).

    A subclass's ``__init__`` declares its Params as keyword arguments and passes the ones
    given (``self._input_kwargs``) here; errors are of class :attr:`param_error`.
    """

    param_error: type[ParamConfigError] = ParamConfigError

    def setParams(self: P, **params: Any) -> P:
        return set_params(self, params, type(self).__name__, type(self).param_error)


def one_of(name: str, *allowed: str, error: type[ValueError] = ParamConfigError) -> Converter:
    """A converter to a string that must be one of `allowed`."""

    def convert(value: Any) -> str:
        text = TypeConverters.toString(value)
        if text not in allowed:
            raise error(f"{name} must be one of {', '.join(map(repr, allowed))}, not {value!r}")
        return text

    return convert


def each_one_of(name: str, allowed: Sequence[str], error: type[ValueError] = ParamConfigError) -> Converter:
    """A converter to a list of strings, each one of `allowed`."""

    def convert(value: Any) -> list[str]:
        items = TypeConverters.toListString(value)
        unknown = [item for item in items if item not in allowed]
        if unknown:
            raise error(f"{name}: unknown {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}")
        return items

    return convert


def bounded(
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    error: type[ValueError] = ParamConfigError,
) -> Converter:
    """A converter to a float (an int with `integer`) within [low, high]; `*_open` excludes an end.

    Give `low`, `high` or both.
    """
    to_number = TypeConverters.toInt if integer else TypeConverters.toFloat
    if high is None:
        allowed = f"{'above' if low_open else 'at least'} {low:g}"
    elif low is None:
        allowed = f"{'below' if high_open else 'at most'} {high:g}"
    else:
        allowed = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"

    def convert(value: Any) -> float:
        number = to_number(value)
        too_low = low is not None and (number <= low if low_open else number < low)
        too_high = high is not None and (number >= high if high_open else number > high)
        if too_low or too_high:
            raise error(f"{name} must be {allowed}, got {number}")
        return number

    return convert
