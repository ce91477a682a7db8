"""Behaviour checks of the model over the slider matrix (model-spec.md section 6).

The checks are declared in ``models/checks.toml``; each function here returns a
:class:`CheckResult`. ``flywheel check`` runs them all; pytest runs each as a test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import tomllib

from flywheel import corners
from flywheel.levers import load_levers
from flywheel.paths import CHECKS_FILE
from flywheel.scenarios import Scenario
from flywheel.simulate import DEFAULT_VARIABLES, simulate


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one behaviour check."""

    name: str
    passed: bool
    detail: str


@lru_cache(maxsize=1)
def spec() -> dict:
    """The parsed ``models/checks.toml``."""
    with open(CHECKS_FILE, "rb") as handle:
        return tomllib.load(handle)


def check_variables() -> list[str]:
    """Every variable the checks look at."""
    names = list(DEFAULT_VARIABLES)
    for key in ("main_lines", "shares", "nonnegative", "integration_outputs"):
        names += [name for name in spec()[key] if name not in names]
    return names


def slider_matrix() -> dict[str, dict[str, float]]:
    """The 3 + 2N cases: all levers at default, min or max; each alone at min and at max."""
    table = load_levers()
    cases = {
        "all at default": {},
        "all at min": {lever.key: lever.min for lever in table},
        "all at max": {lever.key: lever.max for lever in table},
    }
    for lever in table:
        cases[f"{lever.key} at min"] = {lever.key: lever.min}
        cases[f"{lever.key} at max"] = {lever.key: lever.max}
    return cases


@lru_cache(maxsize=1)
def matrix_frames() -> dict[str, tuple[dict[str, float], pd.DataFrame]]:
    """Results of every slider-matrix case (computed once per process)."""
    variables = check_variables()
    return {
        name: (levers, simulate(Scenario.from_levers(levers), variables).frame)
        for name, levers in slider_matrix().items()
    }


def _start_year(levers: dict[str, float]) -> float:
    return levers.get("policy_start_year", load_levers().get("policy_start_year").default)


def check_bounds() -> CheckResult:
    """Every value finite, every share in [0, 1], no stock or flow negative, in every case."""
    problems = []
    for case, (_, frame) in matrix_frames().items():
        values = frame.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            bad = frame.columns[~np.isfinite(values).all(axis=0)].tolist()
            problems.append(f"{case}: NaN or infinite in {bad}")
        for name in spec()["shares"]:
            column = frame[name]
            if column.min() < 0 or column.max() > 1:
                problems.append(
                    f"{case}: {name} leaves [0,1] ({column.min():.4g}..{column.max():.4g})"
                )
        for name in spec()["nonnegative"]:
            if frame[name].min() < 0:
                problems.append(f"{case}: {name} goes negative ({frame[name].min():.4g})")
    cases = len(matrix_frames())
    return CheckResult(
        "bounds", not problems, "; ".join(problems) or f"{cases} slider cases within bounds"
    )


def check_history_unchanged() -> CheckResult:
    """In every case, all years before the policy start year equal the baseline bit for bit."""
    frames = matrix_frames()
    base = frames["all at default"][1]
    problems = []
    columns = [name for name in base.columns if name not in spec()["history_exempt"]]
    for case, (levers, frame) in frames.items():
        before = frame.index < _start_year(levers)
        if not np.array_equal(
            frame.loc[before, columns].to_numpy(), base.loc[before, columns].to_numpy()
        ):
            problems.append(case)
    detail = (
        f"history differs in: {', '.join(problems)}"
        if problems
        else (f"history identical to the baseline in all {len(frames)} cases")
    )
    return CheckResult("history unchanged", not problems, detail)


def check_lever_effects() -> CheckResult:
    """Each lever moves the main lines in its declared direction (or not at all)."""
    frames = matrix_frames()
    base = frames["all at default"][1]
    lines = spec()["main_lines"]
    problems = []
    for key, direction in spec()["effects"].items():
        for end, sign in (("max", 1), ("min", -1)):
            levers, frame = frames[f"{key} at {end}"]
            if levers[key] == load_levers().get(key).default or direction == "shock":
                continue
            after = frame.index >= _start_year(levers)
            for line in lines:
                diff = (frame[line] - base[line])[after].to_numpy()
                if direction == "none" and not np.array_equal(frame[line], base[line]):
                    problems.append(f"{key} at {end} changes {line}")
                elif direction == "up" and not ((sign * diff >= 0).all() and sign * diff[-1] > 0):
                    problems.append(
                        f"{key} at {end} does not move {line} {'up' if sign > 0 else 'down'}"
                    )
    return CheckResult(
        "lever effects",
        not problems,
        "; ".join(problems) or f"{len(spec()['effects'])} levers move the main lines as declared",
    )


def check_shock() -> CheckResult:
    """A future shock cuts GDP in its year and speeds up digital adoption after it."""
    levers = {"future_shock": 1}
    year = int(load_levers().get("future_shock_year").default)
    base = matrix_frames()["all at default"][1]
    frame = simulate(Scenario.from_levers(levers), check_variables()).frame
    gdp_cut = frame.loc[year, "GDP"] < base.loc[year, "GDP"]
    adoption = frame.loc[year + 2, "Digital Society Adoption"]
    base_adoption = base.loc[year + 2, "Digital Society Adoption"]
    adoption_up = adoption > base_adoption
    return CheckResult(
        "epidemic shock",
        bool(gdp_cut and adoption_up),
        f"GDP in {year}: {frame.loc[year, 'GDP'] / base.loc[year, 'GDP'] - 1:+.2%} vs baseline; "
        f"adoption in {year + 2}: {adoption - base_adoption:+.4f}",
    )


def check_cost_curves() -> CheckResult:
    """Digital cost curves fall monotonically toward 0; traditional marginal cost is U-shaped."""
    costs = spec()["costs"]
    frame = simulate(variables=costs["digital_curves"] + [costs["traditional_curve"]]).frame
    problems = []
    for name in costs["digital_curves"]:
        curve = frame.filter(like=name + "[").iloc[0].to_numpy()
        if not (np.diff(curve) < 0).all():
            problems.append(f"{name} is not strictly falling")
        if curve[-1] > costs["toward_zero"] * curve[0]:
            problems.append(f"{name} does not approach zero ({curve[-1]:.3g} vs {curve[0]:.3g})")
    curve = frame.filter(like=costs["traditional_curve"] + "[").iloc[0].to_numpy()
    lowest = int(np.argmin(curve))
    u_shaped = (
        0 < lowest < len(curve) - 1
        and (np.diff(curve[: lowest + 1]) < 0).all()
        and (np.diff(curve[lowest:]) > 0).all()
    )
    if not u_shaped:
        problems.append("traditional marginal cost is not U-shaped")
    return CheckResult(
        "cost curves",
        not problems,
        "; ".join(problems)
        or "digital costs fall toward zero; traditional marginal cost is U-shaped",
    )


def check_extreme_conditions() -> CheckResult:
    """No digital investment and no R&D: digital capital and knowledge decay once in force."""
    extreme = spec()["extreme"]
    frame = simulate(Scenario.from_levers(extreme["levers"]), extreme["decaying"]).frame
    table = load_levers()
    in_force = table.get("policy_start_year").default + table.get("phase_in_time").default
    problems = [
        name
        for name in extreme["decaying"]
        if not (np.diff(frame.loc[frame.index >= in_force, name].to_numpy()) < 0).all()
    ]
    return CheckResult(
        "extreme conditions",
        not problems,
        f"not decaying: {problems}"
        if problems
        else f"{', '.join(extreme['decaying'])} decay without investment and R&D",
    )


@lru_cache(maxsize=2)
def lever_box_scan(thorough: bool = False) -> corners.Scan:
    """Corners, single levers and Latin-hypercube samples of the lever box, scanned once.

    Quick: the corner cases and ``quick_samples`` samples; thorough: ``thorough_samples``.
    The integration error is measured on the corner cases of the policy levers and on the
    sample with the fastest growth.
    """
    box = spec()["lever_box"]
    cases = corners.corner_cases()
    samples = box["thorough_samples"] if thorough else box["quick_samples"]
    everything = {**cases, **corners.latin_hypercube(samples, seed=box["seed"])}
    outputs = spec()["integration_outputs"]
    extremes = [name for name in cases if name.startswith(("policy levers", "every lever"))]
    result = corners.scan(everything, integration_cases=extremes, outputs=outputs)
    fastest = result.growth.case
    if fastest and fastest not in extremes:  # known only after the scan: measure it too
        again = corners.scan({fastest: everything[fastest]}, [fastest], outputs)
        result.integration.update(again.integration.value, fastest, again.integration.detail)
    return result


def check_growth_bound(thorough: bool = False) -> CheckResult:
    """Real GDP per person never grows faster than the bound, at any lever setting.

    Measured in the years a lever can act (from the earliest policy start year): the
    history before them is the calibrated fit of observed growth (China grew 13.6 % a
    person in 2007), which no lever changes.
    """
    scan = lever_box_scan(thorough)
    bound = spec()["lever_box"]["growth_bound"]
    problems = scan.errors + [f"non-finite values: {item}" for item in scan.nonfinite]
    passed = not problems and scan.growth.value <= bound
    detail = (
        f"fastest growth of real GDP per person from {corners.first_policy_year()} "
        f"{scan.growth.value:.1%} a year ({scan.growth.case}, {scan.growth.detail}; "
        f"bound {bound:.0%}) over {scan.cases} settings; history before it (the calibrated "
        f"fit, the same in every case): fastest {scan.history_growth.value:.1%} "
        f"{scan.history_growth.detail}"
    )
    return CheckResult("growth bound", passed, "; ".join(problems + [detail]))


def check_declared_ranges(thorough: bool = False) -> CheckResult:
    """Every variable stays inside the ``[min,max]`` the model file declares, in every case."""
    scan = lever_box_scan(thorough)
    worst = scan.range_excess
    passed = worst.value <= 0 and not scan.nonfinite and not scan.errors
    detail = (
        f"{worst.detail} over {scan.cases} settings"
        if worst.value <= 0
        else f"worst: {worst.detail} ({worst.case})"
    )
    return CheckResult("declared ranges", passed, detail)


def check_integration_error(thorough: bool = False) -> CheckResult:
    """Halving TIME STEP moves each key output by less than the tolerance, in every year."""
    scan = lever_box_scan(thorough)
    tolerance = spec()["integration_tolerance"]
    worst = scan.integration
    return CheckResult(
        "integration error",
        worst.value < tolerance,
        f"largest change when halving TIME STEP: {worst.detail} {worst.value:.3%} "
        f"({worst.case}; tolerance {tolerance:.1%})",
    )


CHECKS: tuple[Callable[[], CheckResult], ...] = (
    check_bounds,
    check_history_unchanged,
    check_lever_effects,
    check_shock,
    check_cost_curves,
    check_extreme_conditions,
)
#: Checks over the whole lever box: a quick subset by default, every sample when thorough.
BOX_CHECKS = (check_growth_bound, check_declared_ranges, check_integration_error)


def run_checks(thorough: bool = False) -> list[CheckResult]:
    """Run every behaviour check (``thorough``: the full Latin-hypercube scan).

    Examples
    --------
    >>> all(result.passed for result in run_checks())
    True
    """
    return [check() for check in CHECKS] + [check(thorough) for check in BOX_CHECKS]
