"""Bounded behaviour across the whole lever box: corners, single levers and Latin-hypercube samples.

Every case is checked for the economic growth bound (real GDP per person never grows
faster than ``growth_bound`` a year in the years a lever can act: from the earliest policy
start year; the history before it is the calibrated fit, the same in every case, and is
reported apart), for finiteness and for every variable staying inside
the ``[min,max]`` the model file declares. The integration error (halving TIME STEP) is
measured on the corner cases and on the sample with the fastest growth. ``flywheel
check`` runs a quick subset; ``flywheel check --thorough`` runs the full set and prints
the worst case of each check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import qmc

from flywheel.levers import load_levers, policy_levers
from flywheel.scenarios import Scenario
from flywheel.simulate import engine, simulate

GROWTH_VARIABLE = "Real GDP per capita"
#: Tolerance on declared ranges (Euler steps land a hair past a ceiling only by rounding).
RANGE_SLACK = 1e-9


def corner_cases() -> dict[str, dict[str, float]]:
    """The corners of the lever box and each lever alone at each end.

    Every policy lever at its maximum / minimum with the earliest start and the shortest
    phase-in; every lever (links, shock and timing too) at max and at min; each lever
    alone at each end with the earliest start and the shortest phase-in.
    """
    table = load_levers()
    fast = {
        "policy_start_year": table.get("policy_start_year").min,
        "phase_in_time": table.get("phase_in_time").min,
    }
    cases = {}
    for end in ("max", "min"):
        levers = {lever.key: getattr(lever, end) for lever in policy_levers()}
        cases[f"policy levers at {end}, earliest start, fastest phase-in"] = {**levers, **fast}
    cases["every lever at max (timing latest)"] = {lever.key: lever.max for lever in table}
    cases["every lever at min"] = {lever.key: lever.min for lever in table}
    for lever in table:
        cases[f"{lever.key} at min"] = {lever.key: lever.min, **fast}
        cases[f"{lever.key} at max"] = {lever.key: lever.max, **fast}
    return cases


def latin_hypercube(samples: int, seed: int = 0) -> dict[str, dict[str, float]]:
    """``samples`` Latin-hypercube draws over the whole lever box (links and shock included)."""
    table = list(load_levers())
    unit = qmc.LatinHypercube(d=len(table), seed=seed).random(samples)
    cases = {}
    for row, point in enumerate(unit):
        levers = {}
        for lever, u in zip(table, point, strict=True):
            value = lever.min + u * (lever.max - lever.min)
            if lever.kind in ("integer", "switch"):
                value = float(round(value))
            levers[lever.key] = float(min(max(value, lever.min), lever.max))
        cases[f"sample {row + 1}"] = levers
    return cases


def first_policy_year() -> int:
    """The earliest year a lever can act: the smallest policy start year allowed."""
    return int(load_levers().get("policy_start_year").min)


def ranged_variables() -> dict[str, tuple[float | None, float | None]]:
    """Scalar model variables with a declared range (lower or upper limit)."""
    found = {}
    for variable in engine().variables.values():
        if variable.subscripts or variable.name in ("Time",):
            continue
        low, high = variable.limits
        if low is not None or high is not None:
            found[variable.name] = (low, high)
    return found


@dataclass
class Worst:
    """The worst value of one check over the cases run, and where it happened."""

    value: float = -np.inf
    case: str = ""
    detail: str = ""

    def update(self, value: float, case: str, detail: str) -> None:
        """Keep the larger of the current and the new value."""
        if value > self.value:
            self.value, self.case, self.detail = value, case, detail


@dataclass
class Scan:
    """Outcome of a scan over many lever settings."""

    cases: int = 0
    growth: Worst = field(default_factory=Worst)
    history_growth: Worst = field(default_factory=Worst)
    range_excess: Worst = field(
        default_factory=lambda: Worst(0.0, "", "every variable inside its declared range")
    )
    integration: Worst = field(default_factory=Worst)
    nonfinite: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _range_excess(frame, ranges) -> tuple[float, str]:
    worst, where = 0.0, ""
    for name, (low, high) in ranges.items():
        column = frame[name].to_numpy(dtype=float)
        scale = max(1.0, abs(high) if high is not None else 1.0)
        if low is not None and column.min() < low - RANGE_SLACK:
            excess = (low - column.min()) / scale
            if excess > worst:
                worst, where = excess, f"{name} {column.min():.4g} < {low:g}"
        if high is not None and column.max() > high + RANGE_SLACK:
            excess = (column.max() - high) / scale
            if excess > worst:
                worst, where = excess, f"{name} {column.max():.4g} > {high:g}"
    return worst, where


def scan(cases: dict[str, dict[str, float]], integration_cases=(), outputs=()) -> Scan:
    """Run every case; keep the worst growth, range excess and integration error.

    ``integration_cases`` are case names also run at half the TIME STEP; the change of
    each of ``outputs`` is measured relative to the finer run (largest over years).
    """
    ranges = ranged_variables()
    columns = list(dict.fromkeys([GROWTH_VARIABLE, *ranges, *outputs]))
    start = first_policy_year()
    result = Scan()
    for name, levers in cases.items():
        scenario = Scenario.from_levers(levers)
        try:
            frame = simulate(scenario, columns).frame
        except (ArithmeticError, ValueError) as error:  # a crash is a finding, not a stop
            result.errors.append(f"{name}: {type(error).__name__}: {error}")
            continue
        result.cases += 1
        values = frame.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            bad = frame.columns[~np.isfinite(values).all(axis=0)].tolist()
            result.nonfinite.append(f"{name}: {bad[:5]}")
            continue
        growth = frame[GROWTH_VARIABLE].pct_change().iloc[1:]
        future, history = growth[growth.index >= start], growth[growth.index < start]
        result.growth.update(float(future.max()), name, f"in {int(future.idxmax())}")
        if len(history):
            result.history_growth.update(float(history.max()), name, f"in {int(history.idxmax())}")
        excess, where = _range_excess(frame, ranges)
        result.range_excess.update(excess, name, where)
        if name in integration_cases:
            coarse = frame[list(outputs)]
            fine = simulate(scenario, list(outputs), time_step=engine().time_step / 2).frame
            change = ((coarse - fine).abs() / fine.abs().clip(lower=1e-12)).max()
            worst = str(change.idxmax())
            result.integration.update(float(change.max()), name, worst)
    return result
