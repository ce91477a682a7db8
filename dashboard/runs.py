"""Model runs for the dashboard and the headline numbers derived from them.

Runs are memoised: a run is a pure function of its levers. A run the memo does not hold
goes through the process's dynamic batcher (:mod:`dashboard.batching`), so users who
move sliders at the same moment share one batch evaluation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache

import pandas as pd

from dashboard.batching import batcher
from dashboard.state import DEFAULT_REGION
from flywheel import FlywheelError, RunResult, Scenario, simulate
from flywheel.baselines import load_baseline
from flywheel.ensemble import ensemble_params, posterior
from flywheel.results import in_currency
from flywheel.simulate import DEFAULT_VARIABLES, engine, model_params, simulate_many

#: Variables the dashboard draws, on top of the CLI's default outputs.
DASHBOARD_VARIABLES = tuple(DEFAULT_VARIABLES) + (
    "Total public digital spending nominal",
    "Policy start year",
    "Growth stage threshold",
    "Transformation stage threshold",
    # compared with a region's observations (calibration page)
    "Population",
    "GDP per person in US dollars",
)
#: The cost curves on their scale grids: subscripted variables that depend on model
#: constants only, never on a lever, so they are read once (pysd evaluates subscripted
#: variables through xarray, which would more than double the cost of every run).
CURVE_VARIABLES = (
    "Digital unit cost curve",
    "Digital marginal cost curve",
    "Digital scale grid",
    "Traditional marginal cost curve",
    "Traditional scale grid",
)


@lru_cache(maxsize=512)
def _run(levers: tuple[tuple[str, float], ...], region: str, extra: tuple[str, ...]) -> RunResult:
    scenario = Scenario.from_levers(dict(levers))
    values, calibrated = model_params(scenario, None, region)
    variables = list(dict.fromkeys(DASHBOARD_VARIABLES + extra))
    # concurrent users' runs within a few milliseconds are evaluated as one batch
    frame = batcher().submit(values, variables).member(0)[variables]
    currency = currency_of(region)
    units = {name: in_currency(engine().variables[name].units, currency) for name in variables}
    return RunResult(
        frame=frame,
        units=units,
        scenario=scenario,
        baseline=calibrated.name,
        currency=currency,
    )


def run(
    levers: dict[str, float], region: str = DEFAULT_REGION, extra: tuple[str, ...] = ()
) -> RunResult:
    """Simulate the scenario given by validated lever values in a region (memoised).

    ``extra``: model variables wanted beyond :data:`DASHBOARD_VARIABLES` (charts the
    user picked).

    Examples
    --------
    >>> float(run({}).frame.loc[2005, "Digital Society Adoption"])
    0.085
    """
    wanted = tuple(sorted(set(extra) - set(DASHBOARD_VARIABLES)))
    return _run(tuple(sorted(levers.items())), region, wanted)


def currency_of(region: str) -> str:
    """The currency a region's money is shown in ("yuan" for China)."""
    return load_baseline(region).currency


@lru_cache(maxsize=16)
def cost_curves(region: str = DEFAULT_REGION) -> pd.Series:
    """The cost curves and their grids (one value per ``name[point]``) of a region."""
    return simulate(variables=list(CURVE_VARIABLES), baseline=region).frame.iloc[0]


@lru_cache(maxsize=32)
def observed_series(region: str = DEFAULT_REGION) -> tuple:
    """The series a region's baseline was fitted to (calibration ``Series``), or none.

    China's come from ``calibration/series.toml``; a region's from its baseline file
    (``observations``, written by ``flywheel calibrate``), or, for a bundled country whose
    file predates that, from the bundled all-country data.
    """
    from calibration.country import region as country
    from calibration.series import Series, load_series

    if region == DEFAULT_REGION:
        return tuple(load_series())
    stored = load_baseline(region).info.get("observations")
    if isinstance(stored, dict):
        source = f"baseline {region}"
        return tuple(Series.from_document(name, item, source) for name, item in stored.items())
    if len(region) == 3 and region.isalpha():
        try:
            return tuple(country(region).series)
        except FlywheelError:
            return ()
    return ()


def observations(region: str = DEFAULT_REGION) -> dict[str, tuple[float, pd.Series]]:
    """Observed series by model variable: (model-to-data scale, values)."""
    return {s.variable: (s.scale, s.observations.values) for s in observed_series(region)}


@lru_cache(maxsize=64)
def _dominance(levers: tuple[tuple[str, float], ...], region: str):
    from flywheel.ltm import loop_dominance

    return loop_dominance(Scenario.from_levers(dict(levers)), baseline=region)


def dominance(levers: dict[str, float], region: str = DEFAULT_REGION):
    """Loop dominance (Loops That Matter) of a scenario in a region (memoised)."""
    return _dominance(tuple(sorted(levers.items())), region)


def baseline(region: str = DEFAULT_REGION, extra: tuple[str, ...] = ()) -> RunResult:
    """The baseline run of a region (all levers at their defaults)."""
    return run({}, region, extra)


def headline(result: RunResult, base: RunResult) -> dict:
    """Numbers for the headline cards.

    Values in 2035 and 2050 with the change against the baseline, the years the stages
    are reached, and GDP gained per unit of extra public digital spending from the
    policy start year to 2050 (both nominal).
    """
    frame, base_frame = result.frame, base.frame
    cards = {}
    for name in (
        "Digital economy share of GDP",
        "Digital Government Capability",
        "Digital Society Adoption",
        "GDP per capita",
        "Regional development index",
    ):
        cards[name] = {
            year: (
                float(frame.loc[year, name]),
                float(frame.loc[year, name] - base_frame.loc[year, name]),
            )
            for year in (2035, 2050)
        }
    start = int(frame["Policy start year"].iloc[0])
    period = frame.index >= start
    extra_spending = float(
        (
            frame["Total public digital spending nominal"]
            - base_frame["Total public digital spending nominal"]
        )[period].sum()
    )
    extra_gdp = float((frame["Nominal GDP"] - base_frame["Nominal GDP"])[period].sum())
    return {
        "cards": cards,
        "stages": result.stage_years(),
        "baseline_stages": base.stage_years(),
        "extra_spending": extra_spending,
        "extra_gdp": extra_gdp,
        "gdp_per_spending": extra_gdp / extra_spending if extra_spending > 1e-9 else None,
        "start": start,
    }


#: Members of the uncertainty bands drawn on every move (fixed seed: the same picture
#: for the same levers, on every server).
BAND_MEMBERS = 200
BAND_SEED = 1


@lru_cache(maxsize=16)
def _band_draws(region: str) -> pd.DataFrame:
    return posterior(region).sample(BAND_MEMBERS, BAND_SEED)[0]


@lru_cache(maxsize=256)
def _bands(levers: tuple[tuple[str, float], ...], variables: tuple[str, ...], region: str) -> dict:
    draws = _band_draws(region)
    params = ensemble_params(Scenario.from_levers(dict(levers)), draws, region)
    result = batcher().submit(params, variables, members=BAND_MEMBERS)
    return {variable: result.percentiles(variable, (0.05, 0.95)) for variable in variables}


def bands(
    levers: dict[str, float], variables: tuple[str, ...], region: str = DEFAULT_REGION
) -> dict[str, pd.DataFrame]:
    """5 % and 95 % quantiles of ``variables`` over 200 calibrated variants (memoised)."""
    return _bands(tuple(sorted(levers.items())), tuple(variables), region)


_HELPERS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="bands")

#: A settled scenario's waterfall split (2^k runs for k levers moved) joins its picture's
#: batch when it has at most this many runs, up to six levers: it then costs the picture
#: at most about 3 ms (about 0.05 ms a member), and the waterfall, asked for once the
#: picture is drawn, is ready. A larger split is started after the picture's runs.
SPLIT_WITH_PICTURE = 64


def picture_runs(
    levers: dict[str, float],
    variables: tuple[str, ...],
    region: str = DEFAULT_REGION,
    with_bands: bool = False,
    settled: bool = False,
) -> tuple[RunResult, dict[str, pd.DataFrame] | None]:
    """A picture's runs, asked for at the same moment so that they share one batch.

    The scenario's run; its bands if ``with_bands``; and for a ``settled`` scenario (not
    a drag's passing value) the lever waterfall's split, started now and kept for the
    waterfall's own request. Returns the run and the bands (None without them).
    """
    split = settled and bool(levers)
    split_now = split and 2 ** len(levers) <= SPLIT_WITH_PICTURE
    gathering = batcher().gather(1 + int(with_bands) + int(split_now))
    pending = (
        _HELPERS.submit(gathering.call, 1, bands, levers, variables, region) if with_bands else None
    )
    if split_now:
        _attribution_future(levers, region, (gathering, 1 + int(with_bands)))
    with gathering.member(0):
        result = run(levers, region, tuple(variables))
    scenario_bands = pending.result() if pending is not None else None
    if split and not split_now:
        start_attribution(levers, region)
    return result, scenario_bands


#: Attributions kept (most recent first out): a future per scenario and region, so that
#: one asked for again while it is computed waits for the same computation.
ATTRIBUTIONS_KEPT = 256
_ATTRIBUTIONS: OrderedDict[tuple, Future] = OrderedDict()
_ATTRIBUTIONS_LOCK = threading.Lock()


def _attribution(levers: tuple[tuple[str, float], ...], region: str):
    from flywheel.attribution import attribute

    # a background job of the batcher: beside a lone run it goes after it, with more
    # company it joins their batch
    return attribute(
        Scenario.from_levers(dict(levers)), baseline=region, orders=64, runner=_in_background
    )


def _attribution_future(levers: dict[str, float], region: str, part=None) -> Future:
    """The split's future, started if new; ``part``: (gathering, part) its run belongs to."""
    key = (tuple(sorted(levers.items())), region)
    with _ATTRIBUTIONS_LOCK:
        future = _ATTRIBUTIONS.get(key)
        known = future is not None
        if known:
            _ATTRIBUTIONS.move_to_end(key)
        else:
            task = (part[0].call, part[1], _attribution) if part else (_attribution,)
            future = _ATTRIBUTIONS[key] = _HELPERS.submit(*task, *key)
            while len(_ATTRIBUTIONS) > ATTRIBUTIONS_KEPT:
                _ATTRIBUTIONS.popitem(last=False)
    if known:
        if part:
            with part[0].member(part[1]):
                pass  # no run: the gathering goes without it
        return future

    def forget_failure(done: Future, key=key) -> None:
        if done.exception() is not None:
            with _ATTRIBUTIONS_LOCK:
                if _ATTRIBUTIONS.get(key) is done:
                    del _ATTRIBUTIONS[key]

    future.add_done_callback(forget_failure)
    return future


def attribution(levers: dict[str, float], region: str = DEFAULT_REGION):
    """Shapley split of the headline changes among the levers (memoised)."""
    return _attribution_future(levers, region).result()


def start_attribution(levers: dict[str, float], region: str = DEFAULT_REGION) -> None:
    """Start the split of a settled scenario now, without waiting for it.

    The waterfall, asked for once the picture is drawn, waits for this same computation
    instead of starting another.
    """
    _attribution_future(levers, region)


@lru_cache(maxsize=128)
def _swings(levers: tuple[tuple[str, float], ...], variable: str, year: int, region: str):
    from flywheel.sensitivity import swings as one_at_a_time

    return one_at_a_time((variable, year), dict(levers), region)


def swings(
    levers: dict[str, float], variable: str, year: int, region: str = DEFAULT_REGION
) -> pd.DataFrame:
    """The tornado's one-at-a-time swings around a scenario (memoised)."""
    return _swings(tuple(sorted(levers.items())), variable, int(year), region)


def lever_grid(key: str) -> list[float]:
    """Every value a lever's slider can take, in order (its steps from minimum to maximum).

    >>> lever_grid("future_shock"), len(lever_grid("public_investment"))
    ([0.0, 1.0], 151)
    """
    from flywheel import load_levers

    lever = load_levers().get(key)
    count = int(round((lever.max - lever.min) / lever.step)) + 1
    return [min(round(lever.min + index * lever.step, 10), lever.max) for index in range(count)]


@lru_cache(maxsize=32)
def _fan(levers: tuple[tuple[str, float], ...], key: str, region: str, variables: tuple[str, ...]):
    grid = lever_grid(key)
    # member i is the scenario with the lever at step i, validated and stacked as any
    # batch's members are; evaluated behind any picture that arrives with it (a fan only
    # makes later moves faster)
    scenarios = [Scenario.from_levers({**dict(levers), key: value}) for value in grid]
    result = simulate_many(
        scenarios, variables=list(variables), baseline=region, runner=_in_background
    )
    return grid, result


def _in_background(params, variables, members):
    """A batch the batcher evaluates after any lone run that arrives with it."""
    return batcher().submit(params, variables, members=members, background=True)


def fan(
    levers: dict[str, float], key: str, variables: tuple[str, ...], region: str = DEFAULT_REGION
):
    """The scenario with lever ``key`` at every step of its slider, in one batch (memoised).

    Returns the grid of values and a ``BatchResult`` with one member per value: the page
    draws a drag from it without asking the server for each move.
    """
    others = {k: v for k, v in levers.items() if k != key}
    return _fan(tuple(sorted(others.items())), key, region, tuple(variables))
