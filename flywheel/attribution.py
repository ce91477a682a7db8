"""Which lever did this? Each headline change split among the levers, by Shapley values.

A scenario moves k levers away from the baseline. Every subset S of them is a run (the
levers in S at the scenario's values, the others at the baseline's); lever i's share
of a change is its marginal effect averaged over the order in which levers could be
switched on (Shapley 1953):

    phi_i = sum over S not containing i of |S|! (k - |S| - 1)! / k! * (f(S + i) - f(S))

The shares add up exactly to the scenario's change against the baseline, interactions
included. Up to :data:`EXACT_LIMIT` levers all 2^k subsets run as one batch; above it,
random orders of the levers are sampled (each order still adds up exactly) and the
result says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np
import pandas as pd

from flywheel.levers import load_levers
from flywheel.scenarios import Scenario
from flywheel.simulate import simulate_many

EXACT_LIMIT = 10
#: The headline cards' lines and the years they show.
HEADLINES = (
    "Digital economy share of GDP",
    "Digital Government Capability",
    "Digital Society Adoption",
    "GDP per capita",
    "Regional development index",
)
YEARS = (2035, 2050)


@dataclass
class Attribution:
    """Shapley shares of each headline change (rows: levers; columns: (variable, year))."""

    shares: pd.DataFrame
    change: pd.Series
    exact: bool
    runs: int
    orders: int = 0

    def method(self) -> str:
        """One sentence on how the split was computed."""
        levers = len(self.shares.index)
        if self.exact:
            return f"exact Shapley values over all {self.runs} combinations of {levers} levers"
        return (
            f"Shapley values estimated from {self.orders} random orders of {levers} levers "
            f"({self.runs} runs); exact only up to {EXACT_LIMIT} levers"
        )


def changed_levers(scenario: Scenario) -> dict[str, float]:
    """The scenario's levers that differ from the baseline's values, in lever-table order."""
    table = load_levers()
    defaults = table.defaults()
    return {
        key: scenario.levers[key]
        for key in table.keys()
        if key in scenario.levers and scenario.levers[key] != defaults[key]
    }


def attribute(
    scenario: Scenario,
    variables=HEADLINES,
    years=YEARS,
    baseline: str | None = None,
    orders: int = 200,
    seed: int = 0,
    runner=None,
) -> Attribution:
    """Split the change of ``variables`` in ``years`` among the scenario's levers.

    ``runner`` evaluates the batch of subsets instead of the batch engine (see
    :func:`flywheel.simulate.simulate_many`).

    Examples
    --------
    >>> scenario = Scenario.from_levers({"public_investment": 8, "rd_intensity": 4})
    >>> split = attribute(scenario)
    >>> column = ("GDP per capita", 2050)
    >>> bool(abs(split.shares[column].sum() - split.change[column]) < 1e-9)
    True
    """
    levers = changed_levers(scenario)
    keys = list(levers)
    columns = pd.MultiIndex.from_product([list(variables), list(years)])
    if not keys:
        return Attribution(
            pd.DataFrame(columns=columns, dtype=float), pd.Series(0.0, columns), True, 0
        )
    if len(keys) <= EXACT_LIMIT:
        masks = np.arange(2 ** len(keys))
        values = _run_subsets(keys, levers, masks, variables, years, baseline, runner)
        shares = _exact(len(keys), values)
        exact, used = True, 0
    else:
        rng = np.random.default_rng(seed)
        permutations = [rng.permutation(len(keys)) for _ in range(orders)]
        prefixes = sorted(
            {
                int(sum(1 << int(p) for p in order[:size]))
                for order in permutations
                for size in range(len(keys) + 1)
            }
        )
        masks = np.array(prefixes)
        table = _run_subsets(keys, levers, masks, variables, years, baseline, runner)
        lookup = {int(mask): row for mask, row in zip(masks, table, strict=True)}
        shares = np.zeros((len(keys), table.shape[1]))
        for order in permutations:
            mask = 0
            for lever in order:
                after = mask | (1 << int(lever))
                shares[int(lever)] += lookup[after] - lookup[mask]
                mask = after
        shares /= len(permutations)
        values = np.vstack([lookup[0], lookup[(1 << len(keys)) - 1]])
        exact, used = False, len(permutations)
    change = pd.Series(values[-1] - values[0], index=columns)
    return Attribution(
        pd.DataFrame(shares, index=keys, columns=columns), change, exact, len(masks), used
    )


def _run_subsets(keys, levers, masks, variables, years, baseline, runner=None) -> np.ndarray:
    """Headline values (members x (variable, year)) of the runs with the levers in each mask."""
    scenarios = [
        Scenario.from_levers(
            {key: levers[key] for bit, key in enumerate(keys) if int(mask) >> bit & 1}
        )
        for mask in masks
    ]
    result = simulate_many(scenarios, variables=list(variables), baseline=baseline, runner=runner)
    index = {int(year): position for position, year in enumerate(result.times)}
    return np.column_stack(
        [result.values[variable][:, index[year]] for variable in variables for year in years]
    )


def _exact(k: int, values: np.ndarray) -> np.ndarray:
    """Shapley values from the values of all 2^k subsets (row = subset bit mask)."""
    masks = np.arange(2**k)
    sizes = np.array([bin(int(mask)).count("1") for mask in masks])
    weights = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)])
    shares = np.zeros((k, values.shape[1]))
    for lever in range(k):
        bit = 1 << lever
        without = masks[(masks & bit) == 0]
        shares[lever] = (
            weights[sizes[without]][:, None] * (values[without | bit] - values[without])
        ).sum(axis=0)
    return shares
