"""Variance-stabilising transforms: log, log(x + C), power, Box-Cox, Yeo-Johnson.

Nulls stay null. Values outside a transform's domain at scoring time (e.g. ``x <= 0`` for
log) give null rather than a wrong number; during ``fit`` they are an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pyspark import StorageLevel, keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.features._base import (
    FeatureConfigError,
    FeatureEstimator,
    FeatureModel,
    FeatureTransformer,
    HasColumnPairs,
    aggregate,
    finite,
    present,
)
from transforms.params import bounded, one_of


def _check_positive(dataset: DataFrame, columns: list[str], what: str, strict: bool = True) -> None:
    minima = aggregate(dataset, {c: F.min(present(dataset, c)) for c in columns})
    bad = [c for c, v in minima.items() if v is not None and (v <= 0 if strict else v < 0)]
    if bad:
        raise ValueError(f"{what} needs {'strictly ' if strict else ''}positive values; "
                         f"columns with others: {', '.join(bad)}")


def _natural_log(value: Column) -> Column:
    return F.when(value > 0, F.log(value))


class _LogParams(HasColumnPairs):
    base: Param[str] = Param(
        Params._dummy(), "base", "'e' or '10'", typeConverter=one_of("base", "e", "10", error=FeatureConfigError)
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(base="e")

    def getBase(self) -> str:
        return self.getOrDefault(self.base)

    def _log(self, value: Column) -> Column:
        natural = _natural_log(value)
        return natural if self.getBase() == "e" else natural / math.log(10)


class LogTransformer(FeatureTransformer, _LogParams):
    """Natural or base-10 logarithm; non-positive values give null (nothing to learn).

    Use :class:`LogCpTransformer` to check positivity during fit or to shift the values.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        base: str = "e",
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        return dataset.withColumns({
            out: self._log(F.col(src).cast("double")) for src, out in self.column_pairs()
        })


class _LogCpParams(_LogParams):
    C: Param[float] = Param(
        Params._dummy(), "C", "the constant added before the log; negative means 'auto': 0 for positive columns, "
        "else |min| + 1",
        typeConverter=TypeConverters.toFloat,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(C=-1.0)

    def getC(self) -> float:
        return self.getOrDefault(self.C)


class LogCpTransformerModel(FeatureModel, _LogCpParams):
    """log(x + C) with the learned C per column; values with x + C <= 0 give null."""

    def _transform(self, dataset: DataFrame) -> DataFrame:
        shifts = self.learned_state()["C"]
        return dataset.withColumns({
            out: self._log(F.col(src).cast("double") + F.lit(shifts[src]))
            for src, out in self.column_pairs()
        })


class LogCpTransformer(FeatureEstimator, _LogCpParams):
    """log(x + C), as feature-engine's ``LogCpTransformer``.

    ``fit`` learns, per column in one pass when ``C`` is 'auto' (negative), ``C = 0`` for a
    positive column and ``C = |min(x)| + 1`` otherwise (as feature-engine); with a given ``C``
    it checks that ``x + C`` is positive for all training values.
    """

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        base: str = "e", C: float = -1.0,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _fit(self, dataset: DataFrame) -> LogCpTransformerModel:
        columns = [src for src, _ in self.column_pairs()]
        constant = self.getC()
        minima = aggregate(dataset, {c: F.min(present(dataset, c)) for c in columns})
        if constant < 0:
            shifts = {}
            for c, v in minima.items():
                lowest = finite(v, f"the minimum of {c!r}")
                shifts[c] = 0.0 if lowest > 0 else abs(lowest) + 1
        else:
            bad = [c for c, v in minima.items() if v is not None and v + constant <= 0]
            if bad:
                raise ValueError(f"x + C <= 0 in columns {', '.join(bad)}; raise C or use 'auto'")
            shifts = dict.fromkeys(columns, constant)
        return self._model(LogCpTransformerModel, {"C": shifts})


class _PowerParams(HasColumnPairs):
    exp: Param[float] = Param(
        Params._dummy(), "exp", "the exponent", typeConverter=TypeConverters.toFloat
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(exp=0.5)

    def getExp(self) -> float:
        return self.getOrDefault(self.exp)


class PowerTransformer(FeatureTransformer, _PowerParams):
    """x ** exp; undefined results (a negative base with a fractional exponent) give null."""

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        exp: float = 0.5,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        exponent = self.getExp()
        return dataset.withColumns({
            out: F.nanvl(F.pow(F.col(src).cast("double"), F.lit(exponent)), F.lit(None))
            for src, out in self.column_pairs()
        })


def yeo_johnson(x: Column, lmbda: float) -> Column:
    """The Yeo-Johnson transform of ``x`` for a fixed λ (scipy.stats.yeojohnson's formula)."""
    positive = F.log1p(x) if abs(lmbda) < 1e-300 else (F.pow(x + 1, F.lit(lmbda)) - 1) / lmbda
    negative = (-F.log1p(-x) if abs(lmbda - 2) < 1e-300
                else -(F.pow(1 - x, F.lit(2 - lmbda)) - 1) / (2 - lmbda))
    return F.when(x >= 0, positive).otherwise(negative)


def box_cox(x: Column, lmbda: float) -> Column:
    """The Box-Cox transform of ``x`` for a fixed λ; null where x <= 0."""
    value = F.log(x) if abs(lmbda) < 1e-300 else (F.pow(x, F.lit(lmbda)) - 1) / lmbda
    return F.when(x > 0, value)


Transform = Callable[[Column, float], Column]


def fit_lambdas(
    base: DataFrame,
    columns: list[str],
    transform: Transform,
    jacobian: Callable[[Column], Column],
    bounds: tuple[float, float],
    grid_points: int,
    tolerance: float,
) -> dict[str, float]:
    """λ maximising the normal log-likelihood of the transformed data, for every column.

    ``llf(λ) = -n/2·log(var_pop(t_λ(x))) + (λ - 1)·Σ jacobian(x)`` (scipy's). The variance
    comes from sums of ``t_λ(x) - t_λ(mean)`` (shifted for precision), so each candidate λ
    costs two plain sums. Pass 1 learns n, Σ jacobian and the mean; pass 2 evaluates a grid
    of ``grid_points`` λ over ``bounds``; each later pass evaluates 5 λ around the current
    optimum at a spacing 10 times finer and moves to the vertex of the parabola through the
    best three. All columns share every pass; passes stop when λ moves less than
    ``tolerance`` (at most 8 refinements). ``base`` holds column ``columns[i]`` as double
    ``x<i>``, nulls for missing values.
    """
    xs = {c: F.col(f"x{i}") for i, c in enumerate(columns)}
    first = aggregate(base, {
        **{(c, "n"): F.count(x) for c, x in xs.items()},
        **{(c, "j"): F.sum(jacobian(x)) for c, x in xs.items()},
        **{(c, "mean"): F.avg(x) for c, x in xs.items()},
    })
    for c in columns:
        if not first[(c, "n")]:
            raise ValueError(f"cannot fit λ for {c!r}: no non-missing values")

    def evaluate(candidates: dict[str, list[float]]) -> dict[str, list[float]]:
        sums = aggregate(base, {
            (c, i, power): F.sum(F.pow(
                transform(xs[c], lmbda) - transform(F.lit(first[(c, "mean")]), lmbda), F.lit(float(power))))
            for c, lambdas in candidates.items() for i, lmbda in enumerate(lambdas) for power in (1, 2)
        })
        result = {}
        for c, lambdas in candidates.items():
            n, jac = first[(c, "n")], first[(c, "j")]
            result[c] = []
            for i, lmbda in enumerate(lambdas):
                s1, s2 = sums[(c, i, 1)], sums[(c, i, 2)]
                variance = None if s1 is None or s2 is None else s2 / n - (s1 / n) ** 2
                finite_variance = variance is not None and math.isfinite(variance) and variance > 0
                result[c].append(-n / 2 * math.log(variance) + (lmbda - 1) * jac
                                 if finite_variance else -math.inf)
        return result

    def vertex(lambdas: list[float], values: list[float]) -> float:
        i = min(max(max(range(len(values)), key=values.__getitem__), 1), len(values) - 2)
        return _parabola_vertex(lambdas[i - 1], values[i - 1], lambdas[i], values[i],
                                lambdas[i + 1], values[i + 1])

    lower, upper = bounds
    step = (upper - lower) / (grid_points - 1)
    grid = [lower + step * i for i in range(grid_points)]
    grid_values = evaluate(dict.fromkeys(columns, grid))
    centers = {c: vertex(grid, grid_values[c]) for c in columns}
    pending = list(columns)
    for _ in range(8):
        step /= 10
        candidates = {c: [centers[c] + step * k for k in (-2, -1, 0, 1, 2)] for c in pending}
        values = evaluate(candidates)
        moved = {c: vertex(candidates[c], values[c]) for c in pending}
        pending = [c for c in pending if abs(moved[c] - centers[c]) >= tolerance]
        centers.update(moved)
        if not pending:
            break
    return centers


def _parabola_vertex(x0: float, y0: float, x1: float, y1: float, x2: float, y2: float) -> float:
    """The vertex of the parabola through three points; the best point when degenerate."""
    denominator = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0)
    if not all(map(math.isfinite, (y0, y1, y2))) or denominator == 0:
        return x1
    vertex = x1 - 0.5 * ((x1 - x0) ** 2 * (y1 - y2) - (x1 - x2) ** 2 * (y1 - y0)) / denominator
    return vertex if x0 <= vertex <= x2 else x1


class _PowerFitParams(HasColumnPairs):
    lambdaLower: Param[float] = Param(
        Params._dummy(), "lambdaLower", "lower end of the λ search interval",
        typeConverter=TypeConverters.toFloat,
    )
    lambdaUpper: Param[float] = Param(
        Params._dummy(), "lambdaUpper", "upper end of the λ search interval",
        typeConverter=TypeConverters.toFloat,
    )
    gridPoints: Param[int] = Param(
        Params._dummy(), "gridPoints", "λ values evaluated per pass (odd, at least 5)",
        typeConverter=bounded("gridPoints", 5, integer=True, error=FeatureConfigError),
    )
    tolerance: Param[float] = Param(
        Params._dummy(), "tolerance", "stop when a refinement moves λ less than this",
        typeConverter=TypeConverters.toFloat,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(lambdaLower=-5.0, lambdaUpper=5.0, gridPoints=21, tolerance=1e-9)

    def getLambdaLower(self) -> float:
        return self.getOrDefault(self.lambdaLower)

    def getLambdaUpper(self) -> float:
        return self.getOrDefault(self.lambdaUpper)

    def getGridPoints(self) -> int:
        return self.getOrDefault(self.gridPoints)

    def getTolerance(self) -> float:
        return self.getOrDefault(self.tolerance)

    def _fit_lambdas(self, dataset: DataFrame, transform: Transform,
                     jacobian: Callable[[Column], Column]) -> dict[str, float]:
        lower, upper = self.getLambdaLower(), self.getLambdaUpper()
        if not lower < upper:
            raise ValueError("need lambdaLower < lambdaUpper")
        columns = [s for s, _ in self.column_pairs()]
        # Every pass reads only these columns: keep them rather than recompute the input's lineage.
        base = dataset.select(*[present(dataset, c).alias(f"x{i}") for i, c in enumerate(columns)])
        base = base.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            return fit_lambdas(base, columns, transform, jacobian, (lower, upper), self.getGridPoints(),
                               self.getTolerance())
        finally:
            base.unpersist()


class _LambdaEstimator(FeatureEstimator, _PowerFitParams):
    """The constructor Box-Cox and Yeo-Johnson share."""

    @keyword_only
    def __init__(
        self, *, inputCols: list[str] | None = None, outputCols: list[str] | None = None,
        lambdaLower: float = -5.0, lambdaUpper: float = 5.0, gridPoints: int = 21, tolerance: float = 1e-9,
    ) -> None:
        super().__init__()
        self.setParams(**self._input_kwargs)


class _LambdaModel(FeatureModel, _PowerFitParams):
    transform_function: Transform

    def lambdas(self) -> dict[str, float]:
        return self.learned_state()["lambda"]

    def _transform(self, dataset: DataFrame) -> DataFrame:
        lambdas = self.lambdas()
        transform = type(self).transform_function
        return dataset.withColumns({
            out: transform(F.col(src).cast("double"), lambdas[src]) for src, out in self.column_pairs()
        })


class YeoJohnsonTransformerModel(_LambdaModel):
    """Applies Yeo-Johnson with the λ learned per column."""

    transform_function = staticmethod(yeo_johnson)


class YeoJohnsonTransformer(_LambdaEstimator):
    """Yeo-Johnson transform with λ fitted by maximum likelihood, as scipy/feature-engine.

    ``fit`` maximises scipy's ``yeojohnson_llf`` over the distributed data (see
    :func:`fit_lambdas`: a few aggregation passes shared by all columns) and matches
    ``scipy.stats.yeojohnson``'s λ to about 1e-7 when it lies inside the search interval.
    """

    def _fit(self, dataset: DataFrame) -> YeoJohnsonTransformerModel:
        lambdas = self._fit_lambdas(dataset, yeo_johnson, lambda x: F.signum(x) * F.log1p(F.abs(x)))
        return self._model(YeoJohnsonTransformerModel, {"lambda": lambdas})


class BoxCoxTransformerModel(_LambdaModel):
    """Applies Box-Cox with the λ learned per column; x <= 0 gives null."""

    transform_function = staticmethod(box_cox)


class BoxCoxTransformer(_LambdaEstimator):
    """Box-Cox transform with λ fitted by maximum likelihood (``scipy.stats.boxcox``).

    ``fit`` requires strictly positive values and maximises
    ``-n/2·log(var(t_λ)) + (λ - 1)·Σ log x`` as :class:`YeoJohnsonTransformer` does.
    """

    def _fit(self, dataset: DataFrame) -> BoxCoxTransformerModel:
        columns = [src for src, _ in self.column_pairs()]
        _check_positive(dataset, columns, "Box-Cox")
        lambdas = self._fit_lambdas(dataset, box_cox, F.log)
        return self._model(BoxCoxTransformerModel, {"lambda": lambdas})
