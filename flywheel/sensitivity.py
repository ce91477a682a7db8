"""What matters: global sensitivity of the outputs to the uncertain constants and the levers.

Two methods from SALib (Herman & Usher 2017; Iwanaga, Usher & Herman 2022), every sample
run by the batch engine:

* **Sobol** (Saltelli 2002; Saltelli et al. 2010): first-order and total-order indices
  with bootstrap confidence intervals; N x (D + 2) runs for D factors;
* **Morris** elementary effects (Morris 1991; Campolongo et al. 2007): mu* (mean absolute
  effect) and sigma (interactions, non-linearity); r x (D + 1) runs.

Factors and their ranges:

* ``constants``: the calibrated constants, uniform over their estimate +- 2 standard
  errors, cut to the calibration range (what is still uncertain after the fit);
  constants that ended on a bound of the fit have no standard error and stay fixed;
* ``levers``: the policy levers, uniform over their slider range (timing, links and
  the shock are facilitator settings, not policies, and stay at the scenario's values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from flywheel.distribute import CHUNK, run_members
from flywheel.ensemble import posterior
from flywheel.errors import InputError
from flywheel.levers import lever_gate, policy_levers
from flywheel.scenarios import Scenario
from flywheel.simulate import batch_engine, engine, model_params

FACTOR_SETS = ("constants", "levers", "both")
METHODS = ("sobol", "morris")
#: Outputs analysed when none are named: the headline lines in 2050.
DEFAULT_OUTPUTS = (
    ("GDP per capita", 2050),
    ("Digital economy share of GDP", 2050),
    ("Digital Government Capability", 2050),
    ("Digital Society Adoption", 2050),
    ("Regional development index", 2050),
)


@dataclass(frozen=True)
class Factor:
    """One uncertain input: a model constant, its label and its range."""

    name: str
    label: str
    low: float
    high: float
    kind: str  # "constant" or "lever"
    whole: bool = False


def factors(which: str = "constants", baseline: str | None = None) -> list[Factor]:
    """The factors of a sensitivity analysis (see the module text for their ranges)."""
    if which not in FACTOR_SETS:
        raise InputError(f"--factors {which!r}: choose one of {', '.join(FACTOR_SETS)}")
    found = []
    if which in ("constants", "both"):
        spread = posterior(baseline)
        for name, low, high in zip(spread.names, *spread.interval(2.0), strict=True):
            if high > low:
                found.append(Factor(name, name, float(low), float(high), "constant"))
    if which in ("levers", "both"):
        for lever in policy_levers():
            if lever.max > lever.min:
                found.append(
                    Factor(
                        lever.name,
                        lever.label,
                        lever.min,
                        lever.max,
                        "lever",
                        lever.kind in ("integer", "switch"),
                    )
                )
    return found


def parse_outputs(text: str | None) -> list[tuple[str, int]]:
    """``"GDP per capita@2035, Digital Society Adoption"`` -> [(variable, year), ...]."""
    if not text:
        return list(DEFAULT_OUTPUTS)
    outputs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, year = item.partition("@")
        variable = engine().variable(name.strip())
        if variable.is_constant or variable.subscripts:
            raise InputError(f"--outputs: '{name.strip()}' is not a result of the model")
        try:
            when = int(year) if year.strip() else 2050
        except ValueError:
            raise InputError(
                f"--outputs {item!r}: the year after @ must be a whole number"
            ) from None
        if not engine().initial_time <= when <= engine().final_time:
            raise InputError(f"--outputs {item!r}: the year must be between 2005 and 2050")
        outputs.append((variable.name, when))
    if not outputs:
        raise InputError("--outputs: name at least one model variable")
    return outputs


@dataclass
class Sensitivity:
    """Indices per output (a table per (variable, year)) and how they were computed."""

    method: str
    factors: list[Factor]
    indices: dict[tuple[str, int], pd.DataFrame]
    runs: int
    seconds: float = 0.0

    def ranking(self, output: tuple[str, int]) -> pd.DataFrame:
        """The factors of one output, most important first."""
        key = "ST" if self.method == "sobol" else "mu_star"
        return self.indices[output].sort_values(key, ascending=False)


def evaluate(
    samples: np.ndarray,
    chosen: list[Factor],
    outputs: list[tuple[str, int]],
    scenario: Scenario | None = None,
    baseline: str | None = None,
    scheduler: str | None = None,
    chunk: int = CHUNK,
) -> np.ndarray:
    """The outputs (samples x outputs) of runs with each row's factor values.

    One batch, or chunks on Dask for large samples or a named ``scheduler``.
    """
    base, _ = model_params(scenario or Scenario(), None, baseline)
    variables = list(dict.fromkeys(name for name, _ in outputs))
    params: dict[str, float | np.ndarray] = dict(base)
    for column, factor in enumerate(chosen):
        values = samples[:, column]
        params[factor.name] = np.round(values) if factor.whole else values
    result = run_members(params, variables, scheduler, chunk, gate=lever_gate())
    index = {int(round(t)): i for i, t in enumerate(result.times)}
    return np.column_stack(
        [
            np.broadcast_to(result.values[name][:, index[year]], (len(samples),))
            for name, year in outputs
        ]
    )


def analyse(
    method: str = "sobol",
    which: str = "constants",
    samples: int = 1024,
    outputs: list[tuple[str, int]] | None = None,
    scenario: Scenario | None = None,
    baseline: str | None = None,
    seed: int = 1,
    scheduler: str | None = None,
    chunk: int = CHUNK,
) -> Sensitivity:
    """Sobol or Morris indices of ``outputs`` over the chosen factors.

    ``samples`` is Sobol's base sample N (a power of two) or Morris's number of
    trajectories.

    Examples
    --------
    >>> result = analyse("morris", "levers", samples=6, outputs=[("GDP per capita", 2050)])
    >>> result.ranking(("GDP per capita", 2050)).index[0] in {f.label for f in result.factors}
    True
    """
    import time

    if method not in METHODS:
        raise InputError(f"--method {method!r}: choose one of {', '.join(METHODS)}")
    if not 2 <= samples <= 65_536:
        raise InputError(f"--samples {samples}: must be between 2 and 65,536")
    if method == "sobol" and samples & (samples - 1):
        raise InputError(f"--samples {samples}: Sobol needs a power of two (e.g. 512, 1024)")
    started = time.perf_counter()
    chosen = factors(which, baseline)
    outputs = outputs or list(DEFAULT_OUTPUTS)
    problem = {
        "num_vars": len(chosen),
        "names": [f.label for f in chosen],
        "bounds": [[f.low, f.high] for f in chosen],
    }
    if method == "sobol":
        x = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    else:
        x = morris_sample.sample(problem, samples, num_levels=4, seed=seed)
    y = evaluate(x, chosen, outputs, scenario, baseline, scheduler, chunk)
    indices = {}
    for column, output in enumerate(outputs):
        values = y[:, column]
        if not np.isfinite(values).all() or np.ptp(values) == 0:
            table = pd.DataFrame(0.0, index=problem["names"], columns=_columns(method))
        elif method == "sobol":
            found = sobol_analyze.analyze(
                problem, values, calc_second_order=False, num_resamples=200, seed=seed
            )
            table = pd.DataFrame(
                {k: np.asarray(found[k], dtype=float) for k in _columns(method)},
                index=problem["names"],
            )
        else:
            found = morris_analyze.analyze(problem, x, values, num_levels=4, seed=seed)
            table = pd.DataFrame(
                {k: np.asarray(found[k], dtype=float) for k in _columns(method)},
                index=problem["names"],
            )
        table.index.name = "factor"
        indices[output] = table
    return Sensitivity(method, chosen, indices, len(x), time.perf_counter() - started)


def _columns(method: str) -> list[str]:
    return (
        ["S1", "S1_conf", "ST", "ST_conf"]
        if method == "sobol"
        else [
            "mu_star",
            "mu_star_conf",
            "sigma",
        ]
    )


def swings(
    output: tuple[str, int],
    levers: dict[str, float] | None = None,
    baseline: str | None = None,
) -> pd.DataFrame:
    """A tornado: the output with each factor alone at the low and at the high end.

    Factors are the calibrated constants (their 5th and 95th posterior percentile,
    estimate -1.645 / +1.645 standard errors, cut to the calibration range) and the
    policy levers (slider minimum and maximum), around the scenario ``levers``. One batch
    of 2 x factors + 1 runs.
    """
    scenario = Scenario.from_levers(levers or {})
    spread = posterior(baseline)
    rows = [
        (name, name, "uncertain constant", float(low), float(high))
        for name, low, high in zip(spread.names, *spread.interval(1.645), strict=True)
    ]
    rows += [
        (lever.name, lever.label, "policy lever", lever.min, lever.max) for lever in policy_levers()
    ]
    base, _ = model_params(scenario, None, baseline)
    members = 2 * len(rows) + 1
    params: dict[str, float | np.ndarray] = dict(base)
    for position, (name, _, _, low, high) in enumerate(rows):
        column = np.full(members, float(base.get(name, engine().defaults[name])))
        column[1 + 2 * position] = low
        column[2 + 2 * position] = high
        params[name] = column
    variable, year = output
    result = batch_engine().run(params, [variable], gate=lever_gate())
    at = {int(round(t)): i for i, t in enumerate(result.times)}[year]
    values = result.values[variable][:, at]
    centre = float(values[0])
    table = pd.DataFrame(
        [
            {
                "factor": label,
                "kind": kind,
                "low setting": low,
                "high setting": high,
                "at low": float(values[1 + 2 * i]) - centre,
                "at high": float(values[2 + 2 * i]) - centre,
            }
            for i, (_, label, kind, low, high) in enumerate(rows)
        ]
    )
    table["swing"] = (table["at high"] - table["at low"]).abs()
    table.attrs["centre"] = centre
    return table.sort_values("swing", ascending=False).reset_index(drop=True)
