"""Run the project's model for a scenario: the one entry point the CLI and dashboard use."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from flywheel.baselines import load_baseline
from flywheel.batch import BatchResult, shared_or_array
from flywheel.errors import InputError
from flywheel.levers import lever_gate, load_levers, parse_number
from flywheel.model import batch_engine, engine
from flywheel.results import RunResult, in_currency
from flywheel.scenarios import Scenario

__all__ = [
    "DEFAULT_VARIABLES",
    "batch_engine",
    "engine",
    "model_params",
    "simulate",
    "simulate_many",
    "stack_members",
]

#: Main lines and key outputs returned when no variables are asked for.
DEFAULT_VARIABLES = (
    "Digital Capital",
    "Digital Knowledge",
    "Industrial Digitalization",
    "Digital Government Capability",
    "Digital Society Adoption",
    "Traditional Capital",
    "Digital economy value added",
    "Digital economy value added nominal",
    "Digital basic industry output",
    "Industrial digitalization value",
    "Digital economy share of GDP",
    "GDP",
    "Nominal GDP",
    "GDP per capita",
    "Fiscal revenue nominal",
    "Total public digital spending nominal",
    "Private digital investment nominal",
    "Digital unit cost",
    "Digital scale",
    "Traditional marginal cost",
    "Traditional scale ratio",
    "Regional development index",
    "Development stage",
    "Population",
)


def stack_members(members: Sequence[Mapping[str, float]]) -> dict[str, float | np.ndarray]:
    """Per-member constants as one mapping: a number where all agree, else an array.

    A constant a member does not name takes the model file's value for that member.

    Examples
    --------
    >>> stack_members([{"Digital capital lifetime": 6}, {}])["Digital capital lifetime"]
    array([6., 8.])
    """
    model = engine()
    names = list(dict.fromkeys(name for member in members for name in member))
    stacked: dict[str, float | np.ndarray] = {}
    for name in names:
        real = model.variable(name).name
        values = np.array(
            [float(member.get(name, model.defaults[real])) for member in members], dtype=float
        )
        stacked[real] = shared_or_array(values)
    return stacked


def simulate_many(
    scenarios: Sequence[Scenario] | None = None,
    params: Sequence[Mapping[str, float]] | None = None,
    variables: Sequence[str] | None = None,
    baseline: str | None = None,
    time_step: float | None = None,
    runner: Callable[[dict, list[str], int], BatchResult] | None = None,
    until: float | None = None,
) -> BatchResult:
    """Run many members in one batch: member i is ``simulate(scenarios[i], params=params[i])``.

    Either list may be omitted (all baseline levers, or no extra constants); given both,
    they must have the same length. Every member is validated as ``simulate`` validates
    one run. ``runner(constants, variables, members)`` evaluates the batch instead of the
    batch engine itself (a server's batcher shares it with other users' runs); it always
    runs to 2050. ``until`` stops the batch engine's run in that year.

    Examples
    --------
    >>> result = simulate_many(params=[{"Digital capital lifetime": v} for v in (5, 8, 11)])
    >>> result.values["Digital Capital"][:, -1].argsort().tolist()
    [0, 1, 2]
    """
    until = checked_until(until)
    count = len(scenarios) if scenarios is not None else len(params or [])
    if scenarios is not None and params is not None and len(params) != count:
        raise InputError(f"{len(scenarios)} scenarios but {len(params)} parameter sets")
    if count == 0:
        raise InputError("no members to run")
    members = []
    for index in range(count):
        scenario = scenarios[index] if scenarios is not None else Scenario()
        values, _ = model_params(scenario, params[index] if params is not None else None, baseline)
        members.append(values)
    columns = [engine().variable(name).name for name in (variables or DEFAULT_VARIABLES)]
    if runner is not None and time_step is None and until is None:
        return runner(stack_members(members), columns, count)
    result = batch_engine().run(
        stack_members(members), columns, time_step=time_step, gate=lever_gate(), until=until
    )
    if result.members != count:  # every member agreed on every constant: one run serves all
        result = result.repeated(count)
    return result


def model_params(
    scenario: Scenario, params: Mapping[str, float] | None = None, baseline: str | None = None
):
    """Model constant -> value for a run: calibrated baseline, then levers, then ``params``."""
    calibrated = load_baseline(baseline)
    values = dict(calibrated.params)
    levers = load_levers().model_params(scenario.levers)
    values.update(levers)
    for name, value in (params or {}).items():
        variable = engine().variable(name)
        if variable.name in levers:
            raise InputError(
                f"'{name}' is a lever: set it through the scenario (Scenario.from_levers), "
                "which checks its range"
            )
        values[variable.name] = _checked(variable, value)
    return values, calibrated


def _checked(variable, value) -> float:
    """``value`` as a float inside the constant's declared ``[min,max]``, or ``InputError``."""
    try:
        number = parse_number(value)
    except ValueError as error:
        raise InputError(f"'{variable.name}': {value!r} is {error}") from None
    low, high = variable.limits
    if (low is not None and number < low) or (high is not None and number > high):
        allowed = (
            f"{'-inf' if low is None else f'{low:g}'} to {'inf' if high is None else f'{high:g}'}"
        )
        raise InputError(f"'{variable.name}': {number:g} is out of range; allowed: {allowed}")
    return number


def checked_until(until: object) -> float | None:
    """``until`` as a year inside the model's horizon, or an ``InputError`` that says so.

    >>> checked_until(2024), checked_until(None)
    (2024.0, None)
    """
    if until is None:
        return None
    model = engine()
    low, high = model.initial_time, model.final_time
    try:
        number = parse_number(until)
    except ValueError:
        number = math.nan
    if not low <= number <= high:
        raise InputError(f"until: {until!r} is not a year from {low:g} to {high:g}")
    return number


def simulate(
    scenario: Scenario | None = None,
    variables: Sequence[str] | None = None,
    time_step: float | None = None,
    params: Mapping[str, float] | None = None,
    baseline: str | None = None,
    until: float | None = None,
) -> RunResult:
    """Run the model for a scenario, 2005-2050; a pure function of its arguments.

    Parameters
    ----------
    scenario : Scenario, optional
        Lever values; the baseline (every lever at its default) if omitted.
    variables : sequence of str, optional
        Model variables to return; ``DEFAULT_VARIABLES`` if omitted.
    time_step : float, optional
        Integration step (the model's TIME STEP if omitted).
    params : mapping, optional
        Other model constants to set (used by calibration), by model name.
    baseline : str, optional
        Calibrated baseline to start from (a name in ``models/calibrated`` or a file);
        the default one if omitted, ``"model"`` for the model file's own constants.
    until : float, optional
        Stop in this year instead of 2050 (a fit needs no more than its data): the rows
        up to it are those of the whole run.

    Returns
    -------
    RunResult
        Year x variable table with units.

    Examples
    --------
    >>> result = simulate(Scenario.from_levers({"public_investment": 15}))
    >>> bool(result.frame.loc[2050, "Digital Government Capability"] > 0.5)
    True
    """
    scenario = scenario or Scenario()
    model = engine()
    values, calibrated = model_params(scenario, params, baseline)
    columns = [model.variable(name).name for name in (variables or DEFAULT_VARIABLES)]
    frame = model.run(values, columns, time_step=time_step, until=checked_until(until))
    currency = calibrated.currency
    units = {name: in_currency(model.variables[name].units, currency) for name in columns}
    return RunResult(
        frame=frame, units=units, scenario=scenario, baseline=calibrated.name, currency=currency
    )
