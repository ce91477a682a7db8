"""Fit model constants to observed series (scipy), shaped like lmfit's minimizer.

``calibrate(series, params, method=...)`` returns a :class:`CalibrationResult` with the
estimates, their uncertainty (from the Jacobian at the solution), correlation
warnings, per-series fit statistics and, with a holdout year, the errors on the years
after it. Parameters are searched in [0, 1]-normalised space for good conditioning.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution, least_squares
from tqdm import tqdm

from calibration.series import Param, Series
from calibration.stats import fit_statistics, forecast_statistics, naive_trend
from flywheel import simulate
from flywheel.baselines import DEFAULT_BASELINE
from flywheel.errors import InputError
from flywheel.simulate import simulate_many

CORRELATION_WARNING = 0.9
#: Eigenvalues of J'J below this share of the largest are directions the data cannot see.
NULL_TOLERANCE = 1e-12
#: A constant with a prior whose standard error exceeds this share of its range is not
#: identified by the data: it is held at its prior and the rest are fitted again.
UNIDENTIFIED_SHARE = 0.5
#: Each fitted series needs this many observations over at least this many years.
MIN_OBSERVATIONS, MIN_SPAN = 3, 3
#: Relative tolerances of the local fit (scipy's own defaults): China's fit uses them.
DEFAULT_TOLERANCE = 1e-8
#: A region's fit stops when the cost improves by less than this share: for costs of
#: 10-100 (sums of squared standardised errors) that is 0.0001-0.001, far below anything
#: the data could tell apart. At 1e-8 a few countries took 2,000 iterations (Ireland 460 s).
REGION_TOLERANCE = 1e-5
#: Relative step of the forward-difference Jacobian (in the [0, 1]-normalised space).
DIFF_STEP = 1e-4


class NonFiniteObjective(ArithmeticError):
    """The model gave NaN or infinite values for some parameter values."""


class Objective:
    """Standardised residuals of the model against the observations, plus the priors.

    Each observation contributes ``sqrt(weight) * (model - observed) / (error *
    mean|observed|)``, where ``error`` is the series' relative observation-and-model error
    (one standard deviation), at its observed years only (years without data are simply
    absent, never zero). Each parameter with a prior adds ``(value - prior) / prior_sd``,
    so the least-squares minimum is the maximum a posteriori estimate under normal errors
    and normal priors: a constant the data cannot identify stays at its evidence.
    """

    def __init__(
        self,
        series: list[Series],
        params: list[Param],
        holdout: int | None = None,
        baseline: str | None = None,
        progress: bool = False,
        fixed: dict[str, float] | None = None,
        speculate: bool = False,
    ):
        self.series, self.params, self.holdout, self.baseline = series, params, holdout, baseline
        # with ``speculate``, a call at a new point runs the point and its Jacobian's
        # perturbations in one batch: a step the fit accepts then needs no second run
        self.speculate = speculate
        self._speculated: tuple[bytes, np.ndarray, np.ndarray] | None = None
        self.fixed = dict(
            fixed or {}
        )  # constants set for every run, not fitted (a region's levels)
        self.low = np.array([p.low for p in params])
        self.span = np.array([p.high - p.low for p in params])
        self.variables = list(dict.fromkeys(s.variable for s in series))
        # runs stop at the last observation: Euler steps forward, so the years compared
        # are exactly those of a run to 2050
        self.until = float(max(int(s.observations.values.index.max()) for s in series))
        self.fitted = {s.name: self._years(s, fitted=True) for s in series}
        self.evaluations, self.best, self.started = 0, math.inf, time.monotonic()
        # a tqdm bar of model runs (on standard error) when asked for
        self.progress = (
            tqdm(desc="fitting", unit=" runs", file=sys.stderr, leave=False) if progress else None
        )

    def _years(self, series: Series, fitted: bool) -> pd.Index:
        years = series.observations.values.index
        if self.holdout is None:
            return years if fitted else years[:0]
        return years[years <= self.holdout] if fitted else years[years > self.holdout]

    def values(self, x) -> dict[str, float]:
        """Parameter values from the normalised vector ``x``."""
        return {
            p.name: float(v)
            for p, v in zip(self.params, self.low + np.clip(x, 0, 1) * self.span, strict=True)
        }

    def normalise(self, values: dict[str, float]) -> np.ndarray:
        """The normalised vector of parameter values."""
        return (np.array([values[p.name] for p in self.params]) - self.low) / self.span

    def prior_residuals(self, values: dict[str, float]) -> np.ndarray:
        """``(value - prior) / prior_sd`` for every parameter that has a prior."""
        return np.array(
            [(values[p.name] - p.prior) / p.prior_sd for p in self.params if p.has_prior]
        )

    def run(self, values: dict[str, float]) -> pd.DataFrame:
        """Simulate with the given parameter values."""
        return simulate(
            variables=self.variables,
            params={**self.fixed, **values},
            baseline=self.baseline,
            until=self.until,
        ).frame

    def _residuals(self, frame: pd.DataFrame, values: dict[str, float]) -> np.ndarray:
        """Residual vector of one run's table: a batch of one member."""
        arrays = {name: frame[name].to_numpy(dtype=float)[None, :] for name in self.variables}
        return self._rows(frame.index.to_numpy(dtype=float), arrays, [values])[0]

    def _count(self, runs: int, costs) -> None:
        self.evaluations += runs
        self.best = min([self.best, *costs])
        if self.progress is not None:
            self.progress.update(runs)
            self.progress.set_postfix(best=f"{self.best:.5g}", refresh=False)

    def __call__(self, x) -> np.ndarray:
        """Residual vector for the normalised parameter vector ``x``.

        One pysd run; or, when speculating, one batch of ``x`` and the points of its
        Jacobian, whose rows :meth:`jacobian` then reuses.
        """
        values = self.values(x)
        if self.speculate:
            points, steps = self._jacobian_points(x)
            rows = self.batch(points)
            self._speculated = (np.asarray(x, dtype=float).tobytes(), rows, steps)
            residuals = rows[0]
        else:
            residuals = self._residuals(self.run(values), values)
            self._count(1, [float(residuals @ residuals)])
        if not np.all(np.isfinite(residuals)):
            raise NonFiniteObjective(f"the model gave non-finite values for {values}")
        return residuals

    def batch(self, points: np.ndarray) -> np.ndarray:
        """Residual vectors (rows) for many normalised vectors (rows), as one batch run.

        Non-finite residuals are left in place for the caller to judge.
        """
        members = [self.values(x) for x in np.atleast_2d(points)]
        result = simulate_many(
            params=[{**self.fixed, **values} for values in members],
            variables=self.variables,
            baseline=self.baseline,
            until=self.until,
        )
        rows = self._rows(result.times, result.values, members)
        with np.errstate(invalid="ignore", over="ignore"):
            self._count(len(members), np.sum(rows**2, axis=1))
        return rows

    def _rows(self, times, values_of, members: list[dict[str, float]]) -> np.ndarray:
        """Residual vectors (rows) of members, from their arrays (members x times).

        ``values_of`` maps each model variable of the series to its array; one run's table
        is a batch of one member, so a single run and a batch share this arithmetic.
        """
        position = {int(round(float(t))): i for i, t in enumerate(times)}
        parts = []
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            for series in self.series:
                years = self.fitted[series.name]
                observed = series.observations.values.loc[years].to_numpy()
                values = values_of[series.variable] * series.scale
                if series.relative:
                    first = position[int(series.observations.values.index[0])]
                    values = values / values[:, [first]] * series.observations.values.iloc[0]
                model = values[:, [position[int(year)] for year in years]]
                parts.append(
                    math.sqrt(series.weight)
                    * (model - observed)
                    / (np.mean(np.abs(observed)) * series.error)
                )
        parts.append(np.vstack([self.prior_residuals(member) for member in members]))
        return np.hstack(parts)

    def jacobian(self, x, *_args) -> np.ndarray:
        """Forward differences of the residuals, every column from one batch run.

        The steps are those of scipy's ``2-point`` scheme with ``rel_step=DIFF_STEP``:
        ``DIFF_STEP * |x|`` (``sqrt(eps) * max(1, |x|)`` where that would be no step),
        turned inwards where a step would leave the [0, 1] box.
        """
        x = np.asarray(x, dtype=float)
        cached = self._speculated
        if cached is not None and cached[0] == x.tobytes():
            _, rows, steps = cached
        else:
            points, steps = self._jacobian_points(x)
            rows = self.batch(points)
        if not np.all(np.isfinite(rows)):
            raise NonFiniteObjective("the model gave non-finite values near the current estimate")
        return ((rows[1:] - rows[0]) / steps[:, None]).T

    @staticmethod
    def _jacobian_points(x) -> tuple[np.ndarray, np.ndarray]:
        """``x`` and ``x`` moved by each forward-difference step, and the steps."""
        x = np.asarray(x, dtype=float)
        sign = np.where(x >= 0, 1.0, -1.0)
        steps = DIFF_STEP * sign * np.abs(x)
        fallback = np.sqrt(np.finfo(float).eps) * sign * np.maximum(1.0, np.abs(x))
        steps = np.where((x + steps) - x == 0, fallback, steps)
        steps = np.where((x + steps > 1.0) & (x - steps >= 0.0), -steps, steps)
        steps = (x + steps) - x  # the step the arithmetic really takes
        return np.vstack([x, x + np.diag(steps)]), steps

    def costs(self, population: np.ndarray) -> np.ndarray:
        """Sums of squared residuals of a population, one member per column.

        Columns, as scipy's vectorised ``differential_evolution`` passes them; a member
        whose run is not finite costs infinity.
        """
        rows = self.batch(np.asarray(population, dtype=float).T)
        costs = np.sum(rows**2, axis=1)
        return np.where(np.isfinite(costs), costs, np.inf)


@dataclass
class CalibrationResult:
    """Outcome of a fit: estimates, uncertainty, statistics and the fitted run."""

    success: bool
    message: str
    method: str
    seed: int
    holdout: int | None
    params: dict[str, float]
    initial: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    std_errors: dict[str, float]
    correlations: dict[str, dict[str, float]]
    warnings: list[str]
    statistics: dict[str, dict]
    evaluations: int
    seconds: float
    objective: float
    frame: pd.DataFrame = field(repr=False)
    series: list[Series] = field(repr=False)
    #: The baseline whose other constants were in force during the fit ("model": the
    #: model file's own); a run from this result starts from it (flywheel.baselines).
    fitted_on: str = "model"
    #: Constants the data could not identify, held at their prior or starting value
    #: (name -> {"value": ..., "basis": ...}); they are in ``params`` too.
    held: dict[str, dict] = field(default_factory=dict)
    #: Constants set for every run and not fitted (a region's levels from its data).
    fixed: dict[str, float] = field(default_factory=dict)
    #: What the result is of: region, currency, borrowed constants, notes (for reports).
    meta: dict = field(default_factory=dict)
    #: Observations against constants, and the Jacobian's rank and condition number.
    identifiability: dict = field(default_factory=dict)
    #: For each estimate that ended on a bound of its range: what the fit looks like with
    #: the constant held at its prior instead (see :func:`explain_bounds`).
    bound_checks: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Everything but the run itself, JSON-ready (NaN written as null)."""

        def clean(value):
            if isinstance(value, float):
                return value if math.isfinite(value) else None
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            return value

        return clean(
            {
                "success": self.success,
                "message": self.message,
                "method": self.method,
                "seed": self.seed,
                "holdout": self.holdout,
                "fitted_on": self.fitted_on,
                "identifiability": self.identifiability,
                "held": self.held,
                "fixed": self.fixed,
                **self.meta,
                "objective": self.objective,
                "evaluations": self.evaluations,
                "seconds": round(self.seconds, 1),
                "params": self.params,
                "initial": self.initial,
                "bounds": {k: list(v) for k, v in self.bounds.items()},
                "std_errors": self.std_errors,
                "correlations": self.correlations,
                "warnings": self.warnings,
                "bound_checks": self.bound_checks,
                "statistics": self.statistics,
                "observations": {
                    s.name: {
                        **s.to_document(),
                        "model": s.model_values(self.frame)
                        .loc[s.observations.values.index]
                        .tolist(),
                    }
                    for s in self.series
                },
            }
        )


def _identifiability(observations: int, params: list[Param], jacobian) -> dict:
    """How much the data can say: observations per constant, the Jacobian's rank and condition."""
    found = {
        "observations": int(observations),
        "constants": len(params),
        "with_priors": sum(p.has_prior for p in params),
    }
    if jacobian is not None and np.all(np.isfinite(jacobian)) and jacobian.size:
        data_rows = jacobian[:observations]  # the prior rows are not data
        found["jacobian_rank"] = int(np.linalg.matrix_rank(data_rows))
        singular = np.linalg.svd(data_rows, compute_uv=False)
        found["condition_number"] = (
            float(singular[0] / singular[-1]) if singular[-1] > 0 else math.inf
        )
    return found


#: An estimate closer to a bound than this share of its range ended on the bound.
AT_BOUND = 1e-3


def _uncertainty(objective: Objective, jacobian: np.ndarray, residuals: np.ndarray, x: np.ndarray):
    """Standard errors and correlations from the Jacobian (parameters at a bound excluded)."""
    names = [p.name for p in objective.params]
    warnings = []
    at_bound = (x < AT_BOUND) | (x > 1 - AT_BOUND)
    for name in np.array(names)[at_bound]:
        warnings.append(
            f"'{name}' ended at a bound of its range: the range may be too narrow "
            "(no standard error)"
        )
    free = np.flatnonzero(~at_bound)
    sd = np.full(len(names), np.nan)
    corr = np.full((len(names), len(names)), np.nan)
    if len(free):
        dof = max(len(residuals) - len(free), 1)
        variance = float(residuals @ residuals) / dof
        jtj = jacobian[:, free].T @ jacobian[:, free]
        if np.linalg.matrix_rank(jtj) < len(free):
            warnings.append(
                "some parameters are not identifiable from these data (singular Jacobian)"
            )
        cov = np.linalg.pinv(jtj) * variance * np.outer(objective.span[free], objective.span[free])
        sd_free = np.sqrt(np.clip(np.diag(cov), 0, None))
        # pinv gives a direction the data cannot see zero variance: it is infinite
        eigen, vectors = np.linalg.eigh(jtj)
        null = vectors[:, eigen <= max(eigen.max(), 0.0) * NULL_TOLERANCE]
        sd_free[np.any(np.abs(null) > 0.1, axis=1)] = math.inf
        sd[free] = sd_free
        with np.errstate(invalid="ignore", divide="ignore"):
            corr[np.ix_(free, free)] = np.clip(cov / np.outer(sd_free, sd_free), -1, 1)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if abs(corr[i, j]) > CORRELATION_WARNING:
                warnings.append(
                    f"'{names[i]}' and '{names[j]}' are strongly correlated ({corr[i, j]:+.2f}): "
                    "the data cannot tell them apart well"
                )
    correlations = {
        a: {b: float(corr[i, j]) for j, b in enumerate(names)} for i, a in enumerate(names)
    }
    return dict(zip(names, sd.tolist(), strict=True)), correlations, warnings


def _forecast(model, observed, holdout, later_years) -> dict:
    """The model's forecast after ``holdout`` beside the naive straight-line rival."""
    actual = observed.loc[later_years]
    ours = forecast_statistics(model.loc[later_years], actual)
    naive = forecast_statistics(naive_trend(observed, holdout, later_years), actual)
    unbiased = ours["MAPE"] <= 3 or abs(ours["signed"]) <= ours["MAPE"] / 2
    return {
        "years": [int(y) for y in later_years],
        "model": ours,
        "naive": naive,
        "beats_naive": bool(ours["MAPE"] < naive["MAPE"]),
        "unbiased": bool(unbiased),
    }


def _fit_once(
    series: list[Series],
    params: list[Param],
    method: str = "local",
    seed: int = 0,
    holdout: int | None = None,
    progress: bool = False,
    baseline: str | None = None,
    max_evaluations: int = 2000,
    fixed: dict[str, float] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    speculate: bool = False,
) -> CalibrationResult:
    """One fit of ``params`` (see :func:`calibrate`)."""
    objective = Objective(series, params, holdout, baseline, progress, fixed, speculate)
    observations = sum(len(years) for years in objective.fitted.values())
    start = time.monotonic()
    x0 = objective.normalise({p.name: p.initial for p in params})
    message = ""
    try:
        if method == "global":
            search = differential_evolution(
                objective.costs,
                [(0.0, 1.0)] * len(params),
                seed=seed,
                popsize=5,
                maxiter=12,
                tol=1e-6,
                polish=False,
                init="latinhypercube",
                vectorized=True,  # each generation is one batch run
                updating="deferred",
            )
            x0 = search.x
            message = f"global search: {search.message}; "
        fit = least_squares(
            objective,
            x0,
            jac=objective.jacobian,  # every Jacobian is one batch run, not n pysd runs
            bounds=(0.0, 1.0),
            method="trf",
            x_scale=1.0,
            max_nfev=max_evaluations,
            ftol=tolerance,
            xtol=tolerance,
            gtol=tolerance,
        )
        success = bool(fit.success)
        message += f"local fit: {fit.message}"
        x, residuals, jacobian = fit.x, fit.fun, fit.jac
    except NonFiniteObjective as error:
        success, message = False, f"fit failed: {error}"
        x, residuals, jacobian = x0, np.full(1, np.nan), np.zeros((1, len(params)))
    if objective.progress is not None:
        objective.progress.close()
    values = objective.values(x)
    frame = objective.run(values)
    std_errors, correlations, warnings = (
        _uncertainty(objective, jacobian, residuals, x) if success else ({}, {}, [])
    )
    statistics = {}
    for s in series:
        model = s.model_values(frame)
        observed = s.observations.values
        fitted_years, later_years = objective._years(s, True), objective._years(s, False)
        statistics[s.name] = {
            "label": s.label,
            "fit": fit_statistics(model.loc[fitted_years], observed.loc[fitted_years]),
            "holdout": fit_statistics(model.loc[later_years], observed.loc[later_years])
            if len(later_years)
            else None,
            "forecast": _forecast(model, observed, holdout, later_years)
            if len(later_years)
            else None,
        }
    return CalibrationResult(
        success=success,
        message=message,
        method=method,
        seed=seed,
        holdout=holdout,
        params=values,
        initial={p.name: p.initial for p in params},
        bounds={p.name: (p.low, p.high) for p in params},
        std_errors=std_errors,
        correlations=correlations,
        warnings=warnings,
        statistics=statistics,
        evaluations=objective.evaluations,
        seconds=time.monotonic() - start,
        objective=float(np.sum(residuals**2)) if success else math.nan,
        frame=frame,
        series=series,
        fitted_on=baseline or DEFAULT_BASELINE,
        fixed=dict(fixed or {}),
        identifiability=_identifiability(observations, params, jacobian if success else None),
    )


def data_spread(series: list[Series], holdout: int | None = None) -> tuple[dict, list[str]]:
    """Observations per series (how many, first and last year) and what they cannot carry.

    A series needs at least ``MIN_OBSERVATIONS`` observations spread over ``MIN_SPAN``
    years: fewer cannot tell a level from a trend.
    """
    spread, problems = {}, []
    for s in series:
        years = s.observations.values.index
        if holdout is not None:
            years = years[years <= holdout]
        n = len(years)
        first, last = (int(years.min()), int(years.max())) if n else (None, None)
        spread[s.name] = {"n": n, "first": first, "last": last}
        if n < MIN_OBSERVATIONS or (n and last - first < MIN_SPAN):
            span = f"{first}-{last}" if n else "no years"
            problems.append(
                f"{s.name}: {n} observation{'s' if n != 1 else ''} ({span}); each series needs "
                f"at least {MIN_OBSERVATIONS} spread over {MIN_SPAN} years or more to tell a "
                "level from a trend"
            )
    return spread, problems


def _unidentified(result: CalibrationResult, params: list[Param]) -> list[Param]:
    """Constants to hold: the data cannot see them, or cannot narrow one that has a prior.

    An infinite standard error is a direction the data cannot see at all: the constant
    is held (at its prior, or its starting value, which changes nothing the data show). A
    finite one wider than half the range is held only at a prior from evidence: without
    one, such a constant is usually traded off against another (a population's peak and
    its year) and holding it at an arbitrary start would spoil the fit; it stays fitted
    and the correlation warning says what it is tied to.
    """
    found = []
    for p in params:
        sd = result.std_errors.get(p.name, math.nan)
        wide = math.isfinite(sd) and sd > UNIDENTIFIED_SHARE * (p.high - p.low)
        if math.isinf(sd) or (wide and p.has_prior):
            found.append(p)
    return found


def _held_value(p: Param) -> tuple[float, str]:
    if p.has_prior:
        return float(
            p.prior
        ), f"its prior {p.prior:.4g} +- {p.prior_sd:.2g} ({p.source or 'evidence'})"
    return float(p.initial), f"its starting value {p.initial:.4g} (no published prior)"


def calibrate(
    series: list[Series],
    params: list[Param],
    method: str = "local",
    seed: int = 0,
    holdout: int | None = None,
    progress: bool = False,
    baseline: str | None = None,
    max_evaluations: int = 2000,
    fixed: dict[str, float] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    speculate: bool = False,
    check_bounds: bool = False,
) -> CalibrationResult:
    """Fit ``params`` to ``series``.

    Parameters
    ----------
    series, params : lists
        What to fit to and what to estimate (see :mod:`calibration.series`).
    method : {"local", "global"}
        ``local``: bounded trust-region least squares from the initial values;
        ``global``: seeded differential evolution over the bounds, then ``local``.
    seed : int
        Seed of the global search (the local fit is deterministic).
    holdout : int, optional
        Fit only years up to ``holdout``; report errors on the later years.
    baseline : str, optional
        Calibrated baseline whose other constants stay in force (``None``: the default).
    tolerance : float
        Relative tolerance on the cost, the step and the gradient (scipy's ftol, xtol, gtol).
    speculate : bool
        Evaluate each trial point together with its Jacobian's perturbations, as one batch
        run: a step the fit accepts needs no second run (a region's fit is 20-40 % faster).
        Off, each trial point is one pysd run, as for China's reference fit: the two agree
        to the fit's tolerance, not bit for bit.
    check_bounds : bool
        For each estimate that ends on a bound of its range and has a prior, fit again
        with it held at the prior and report what that costs (:func:`explain_bounds`).

    Before the fit, each series must have enough observations spread over enough years
    (:func:`data_spread`) and the observations must outnumber the constants. After it,
    constants the data cannot identify are held (see :func:`_unidentified`): at their
    prior, or their starting value when they have none; the others are fitted again
    unless holding moved nothing, and ``held`` and ``warnings`` say so.

    Examples
    --------
    >>> from calibration.series import load_params, load_series
    >>> wanted = ("Government building rate", "Initial digital government")
    >>> params = [p for p in load_params() if p.name in wanted]
    >>> result = calibrate(load_series(only=["egdi"]), params, max_evaluations=40)
    >>> sorted(result.params)
    ['Government building rate', 'Initial digital government']
    """
    if method not in ("local", "global"):
        raise ValueError("method must be 'local' or 'global'")
    spread, problems = data_spread(series, holdout)
    if problems:
        raise InputError("too little data to fit: " + "; ".join(problems))
    observations = sum(item["n"] for item in spread.values())
    if observations < len(params):
        raise InputError(
            f"{observations} observations cannot identify {len(params)} constants: "
            "bring more data or fit fewer constants"
        )
    run = dict(
        method=method,
        seed=seed,
        holdout=holdout,
        progress=progress,
        baseline=baseline,
        max_evaluations=max_evaluations,
        tolerance=tolerance,
        speculate=speculate,
    )
    result = _fit_once(series, params, fixed=fixed, **run)
    unidentified = _unidentified(result, params) if result.success else []
    if unidentified and len(unidentified) < len(params):
        held = {p.name: _held_value(p) for p in unidentified}
        first = result
        # a constant the data cannot see stays where it started: when every held constant
        # already sits at its held value, fitting the others again would change nothing
        unmoved = all(
            abs(first.params[p.name] - held[p.name][0]) <= 1e-9 * (p.high - p.low)
            for p in unidentified
        )
        if not unmoved:
            # the others start from where the first fit ended
            kept = [replace(p, initial=first.params[p.name]) for p in params if p.name not in held]
            fixed_held = {**(fixed or {}), **{k: v for k, (v, _) in held.items()}}
            result = _fit_once(series, kept, fixed=fixed_held, **run)
            result.evaluations += first.evaluations
            result.seconds += first.seconds
        result.fixed = dict(fixed or {})
        result.held = {
            name: {"value": value, "basis": basis} for name, (value, basis) in held.items()
        }
        result.params = {
            p.name: held[p.name][0] if p.name in held else result.params[p.name] for p in params
        }
        result.initial = {p.name: p.initial for p in params}
        result.bounds = {p.name: (p.low, p.high) for p in params}
        result.std_errors = {  # a held constant has no standard error
            p.name: math.nan if p.name in held else result.std_errors.get(p.name, math.nan)
            for p in params
        }
        result.warnings = [
            f"'{name}' is not identified by these data (standard error "
            f"{_sd_text(first.std_errors[name])}, range {p_range}): held at {basis}"
            for name, (_, basis), p_range in (
                (p.name, held[p.name], f"{p.low:g}-{p.high:g}") for p in unidentified
            )
        ] + result.warnings
        result.identifiability["held"] = sorted(held)
    result.identifiability["series"] = spread
    if check_bounds and result.success:
        result.bound_checks = explain_bounds(result, series, params, fixed or {}, run)
        for check in result.bound_checks:  # the bound's warning says why it is there
            said = f"'{check['name']}' ended at a bound"
            result.warnings = [
                f"{said} of its range (no standard error). {check['verdict']}"
                if warning.startswith(said)
                else warning
                for warning in result.warnings
            ]
    return result


#: A rise of the data's misfit (a sum of squared standardised residuals) above which the
#: data reject holding a constant at its prior: the 95 % point of chi-square with 1 degree
#: of freedom, as in a likelihood-ratio test of one constraint.
MISFIT_RISE = 3.84


def explain_bounds(
    result: CalibrationResult, series: list[Series], params: list[Param], fixed: dict, run: dict
) -> list[dict]:
    """Why each estimate on a bound is there: the fit again with it held at its prior.

    For every fitted constant that ended on a bound of its range and has a prior from
    evidence, the others are fitted again (from the first fit's estimates) with that
    constant at its prior. Compared is the data's misfit (the sum of squared standardised
    residuals, the priors' terms left out) and each series' R² and MAPE: a rise above
    ``MISFIT_RISE`` says the data, not the range, put the estimate on its bound.
    """
    checks = []
    misfit = _data_misfit(result, params)
    for p in params:
        value = result.params.get(p.name)
        if value is None or p.name in result.held or not p.has_prior:
            continue
        margin = AT_BOUND * (p.high - p.low)
        side = "lower" if value - p.low <= margin else "upper" if p.high - value <= margin else None
        if side is None:
            continue
        others = [
            replace(q, initial=result.params[q.name])
            for q in params
            if q.name != p.name and q.name not in result.held
        ]
        held = {**fixed, **{k: v["value"] for k, v in result.held.items()}, p.name: p.prior}
        again = _fit_once(series, others, fixed=held, **{**run, "progress": False})
        misfit_at_prior = _data_misfit(again, params) if again.success else None
        rise = None if misfit_at_prior is None else misfit_at_prior - misfit
        if rise is None:
            verdict = f"Held at its prior ({p.prior:g}) the fit did not converge."
        elif rise > MISFIT_RISE:
            verdict = (
                f"Held at its prior ({p.prior:g}) the data's misfit rises by {rise:.1f} "
                f"(from {misfit:.1f} to {misfit_at_prior:.1f}; above {MISFIT_RISE} the data "
                "reject the prior): the data, not the range, put it on its bound."
            )
        else:
            verdict = (
                f"Held at its prior ({p.prior:g}) the data's misfit rises by only {rise:.1f} "
                f"(at most {MISFIT_RISE} is within the data's noise): the bound is not evidence, "
                "and holding it at its prior would fit as well."
            )
        checks.append(
            {
                "name": p.name,
                "bound": side,
                "estimate": value,
                "prior": p.prior,
                "misfit": misfit,
                "misfit_at_prior": misfit_at_prior,
                "rise": rise,
                "verdict": verdict,
                "series": {
                    name: {
                        "R2": stats["fit"]["R2"],
                        "MAPE": stats["fit"]["MAPE"],
                        "R2_at_prior": again.statistics[name]["fit"]["R2"]
                        if again.success
                        else None,
                        "MAPE_at_prior": again.statistics[name]["fit"]["MAPE"]
                        if again.success
                        else None,
                    }
                    for name, stats in result.statistics.items()
                },
            }
        )
    return checks


def _data_misfit(result: CalibrationResult, params: list[Param]) -> float:
    """The fit's objective without the priors' terms of the constants it fitted."""
    priors = sum(
        ((result.params[p.name] - p.prior) / p.prior_sd) ** 2
        for p in params
        if p.has_prior and p.name in result.params and p.name not in result.held
    )
    return float(result.objective - priors)


def _sd_text(sd: float) -> str:
    return "infinite" if math.isinf(sd) else f"{sd:.3g}"
