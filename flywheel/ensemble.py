"""Uncertainty bands: the calibrated constants drawn from their posterior, run as one batch.

The posterior is the calibration's own Gaussian approximation: the estimates as means,
the covariance from their standard errors and correlations (both saved in the baseline
file by ``flywheel calibrate``). Draws outside a constant's calibration range are
redrawn (a truncated normal), so every member is a model the fit could have chosen. A
constant that ended on a bound of its range has no standard error: it is held at its
estimate, and :attr:`Posterior.held` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flywheel.baselines import load_baseline
from flywheel.batch import BatchResult, shared_or_array
from flywheel.distribute import CHUNK, run_members
from flywheel.errors import InputError
from flywheel.levers import lever_gate
from flywheel.scenarios import Scenario
from flywheel.simulate import DEFAULT_VARIABLES, engine, model_params

#: The quantiles shown as bands (5-95 %) with the median.
BAND = (0.05, 0.5, 0.95)
MAX_MEMBERS = 100_000


@dataclass(frozen=True)
class Posterior:
    """The calibrated constants' approximate posterior: a truncated multivariate normal."""

    names: tuple[str, ...]
    mean: np.ndarray
    covariance: np.ndarray
    low: np.ndarray
    high: np.ndarray
    held: dict[str, float] = field(default_factory=dict)

    def interval(self, z: float) -> tuple[np.ndarray, np.ndarray]:
        """Each constant's estimate -+ ``z`` standard errors, cut to its calibration range."""
        sd = np.sqrt(np.diag(self.covariance))
        return np.maximum(self.low, self.mean - z * sd), np.minimum(self.high, self.mean + z * sd)

    def sample(self, members: int, seed: int = 0) -> tuple[pd.DataFrame, int]:
        """``members`` draws inside the ranges; also the number of draws that were redrawn.

        Examples
        --------
        >>> spread = posterior()
        >>> draws, _ = spread.sample(4, seed=1)
        >>> len(draws), bool((draws[list(spread.names)].std() > 0).all())
        (4, True)
        """
        if not 1 <= members <= MAX_MEMBERS:
            raise InputError(f"--members {members}: must be between 1 and {MAX_MEMBERS:,}")
        rng = np.random.default_rng(seed)
        accepted = np.empty((0, len(self.names)))
        redrawn = 0
        for _ in range(200):
            batch = rng.multivariate_normal(self.mean, self.covariance, size=2 * members)
            inside = np.all((batch >= self.low) & (batch <= self.high), axis=1)
            redrawn += int((~inside).sum())
            accepted = np.vstack([accepted, batch[inside]])
            if len(accepted) >= members:
                break
        else:
            raise InputError("the posterior lies almost entirely outside the calibration ranges")
        frame = pd.DataFrame(accepted[:members], columns=list(self.names))
        for name, value in self.held.items():
            frame[name] = value
        frame.index.name = "member"
        return frame, redrawn


def posterior(baseline: str | None = None) -> Posterior:
    """The posterior of the active (or named) calibrated baseline.

    Raises
    ------
    InputError
        For a baseline without standard errors (the model's own constants, or a file
        written before they were saved).
    """
    calibrated = load_baseline(baseline)
    info = calibrated.info
    errors = info.get("std_errors") or {}
    bounds = info.get("bounds") or {}
    correlations = info.get("correlations") or {}
    if not errors or not bounds:
        raise InputError(
            f"baseline '{calibrated.name}' has no standard errors and ranges to sample from; "
            "recalibrate it with 'flywheel calibrate'"
        )
    names = [n for n, sd in errors.items() if sd is not None and sd > 0 and n in bounds]
    held = {n: calibrated.params[n] for n in errors if n not in names and n in calibrated.params}
    sd = np.array([errors[n] for n in names], dtype=float)
    corr = np.eye(len(names))
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            value = (correlations.get(a) or {}).get(b)
            if i != j and value is not None and np.isfinite(value):
                corr[i, j] = value
    corr = (corr + corr.T) / 2
    values, vectors = np.linalg.eigh(corr)  # nearest positive semi-definite correlation
    corr = vectors @ np.diag(values.clip(min=1e-9)) @ vectors.T
    corr /= np.sqrt(np.outer(np.diag(corr), np.diag(corr)))
    return Posterior(
        names=tuple(names),
        mean=np.array([calibrated.params[n] for n in names], dtype=float),
        covariance=corr * np.outer(sd, sd),
        low=np.array([bounds[n][0] for n in names], dtype=float),
        high=np.array([bounds[n][1] for n in names], dtype=float),
        held=held,
    )


@dataclass
class Ensemble:
    """Members drawn from the posterior, their trajectories, and how the draw went."""

    draws: pd.DataFrame
    result: BatchResult
    redrawn: int
    held: dict[str, float]

    def band(self, variable: str, quantiles=BAND) -> pd.DataFrame:
        """Quantiles over members of ``variable`` at every year."""
        return self.result.percentiles(variable, quantiles)


def ensemble_params(
    scenario: Scenario, draws: pd.DataFrame, baseline: str | None = None
) -> dict[str, float | np.ndarray]:
    """Constants for a batch: the scenario's levers for all, the drawn constants per member."""
    values, _ = model_params(scenario, None, baseline)
    stacked: dict[str, float | np.ndarray] = dict(values)
    for name in draws.columns:
        column = draws[name].to_numpy(dtype=float)
        stacked[engine().variable(name).name] = shared_or_array(column)
    return stacked


def run_ensemble(
    members: int,
    seed: int = 0,
    scenario: Scenario | None = None,
    variables=None,
    baseline: str | None = None,
    scheduler: str | None = None,
    chunk: int = CHUNK,
) -> Ensemble:
    """Draw ``members`` constant sets from the posterior and run them with ``scenario``.

    More than ``chunk`` members, or a named Dask ``scheduler``, run in chunks on Dask
    (:mod:`flywheel.distribute`).

    Examples
    --------
    >>> ensemble = run_ensemble(50, seed=1)
    >>> band = ensemble.band("GDP per capita")
    >>> bool((band[0.05] <= band[0.95]).all())
    True
    """
    spread = posterior(baseline)
    draws, redrawn = spread.sample(members, seed)
    params = ensemble_params(scenario or Scenario(), draws, baseline)
    columns = [engine().variable(name).name for name in (variables or DEFAULT_VARIABLES)]
    result = run_members(params, columns, scheduler, chunk, gate=lever_gate())
    if result.members != members:
        result = result.repeated(members)
    return Ensemble(draws, result, redrawn, spread.held)
