"""What each flywheel link rests on: the evidence table and the model's own link strengths.

``models/evidence.csv`` has one row per link or channel: the model constant that sets it,
the value used, the published estimate it rests on (study, what it estimated, how that
was converted into the model's terms) and the range of the *link elasticity* that the
evidence supports. :func:`measure_links` measures that elasticity in the model: it runs
the model, then, at the row's year, moves the link's source by a small step and
re-evaluates every equation between source and target with the translated model's own
functions, holding stocks and everything else fixed (ceteris paribus, as the panel
regressions behind the evidence do). No equation is re-written here.

Kinds of measure:

* ``elasticity``: d ln(target) / d ln(source);
* ``semi-elasticity``: d ln(target) / d(source), for a source that is a share (0-1).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import networkx as nx
import numpy as np

from flywheel import ltm
from flywheel.engine import Engine
from flywheel.errors import InputError
from flywheel.levers import load_levers
from flywheel.paths import MODELS_DIR
from flywheel.simulate import simulate

EVIDENCE_FILE = MODELS_DIR / "evidence.csv"
COLUMNS = (
    "id",
    "link",
    "channel",
    "constant",
    "value",
    "from",
    "to",
    "year",
    "measure",
    "low",
    "high",
    "study",
    "estimated",
    "conversion",
)
MEASURES = ("elasticity", "semi-elasticity")
STEP = 1e-4  # relative step of the perturbation


@dataclass(frozen=True)
class Evidence:
    """One row of the evidence table."""

    id: str
    link: str
    channel: str
    constant: str
    value: float
    source: str
    target: str
    year: int
    measure: str
    low: float
    high: float
    study: str
    estimated: str
    conversion: str


def read_evidence(path=EVIDENCE_FILE) -> list[Evidence]:
    """Read and check the evidence table; errors name the line and the column."""
    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise InputError(f"{path}: line 1: columns must be {', '.join(COLUMNS)}")
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                value, year = float(row["value"]), int(row["year"])
                low, high = float(row["low"]), float(row["high"])
            except (TypeError, ValueError):
                raise InputError(
                    f"{path}: line {line}: value, year, low and high must be numbers"
                ) from None
            if row["measure"] not in MEASURES:
                raise InputError(
                    f"{path}: line {line}: measure must be one of {', '.join(MEASURES)}"
                )
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise InputError(f"{path}: line {line}: need low < high")
            for column in ("study", "estimated", "conversion"):
                if len(row[column].strip()) < 10:
                    raise InputError(f"{path}: line {line}: column '{column}' must say it")
            rows.append(
                Evidence(
                    row["id"],
                    row["link"],
                    row["channel"],
                    row["constant"],
                    value,
                    row["from"],
                    row["to"],
                    year,
                    row["measure"],
                    low,
                    high,
                    row["study"],
                    row["estimated"],
                    row["conversion"],
                )
            )
    return rows


@lru_cache(maxsize=1)
def load_evidence() -> tuple[Evidence, ...]:
    """The project's evidence table (read once)."""
    return tuple(read_evidence())


def evidence_for(constant: str) -> list[Evidence]:
    """Evidence rows that rest on ``constant`` (model name, any case)."""
    wanted = constant.strip().lower()
    return [row for row in load_evidence() if row.constant.lower() == wanted]


def _between(graph: nx.DiGraph, source: str, target: str) -> list[str]:
    """Auxiliaries and flows on the paths source -> target, in evaluation order."""
    fixed = {n for n in graph.nodes if graph.nodes[n]["kind"] in ("stock", "memory")}
    within = graph.subgraph([n for n in graph.nodes if n not in fixed or n == source])
    if source not in within or target not in within or not nx.has_path(within, source, target):
        raise InputError(f"the model has no instantaneous path from '{source}' to '{target}'")
    nodes = (nx.descendants(within, source) & nx.ancestors(within, target)) | {target}
    return list(nx.topological_sort(within.subgraph(nodes)))


def measure_links(engine: Engine, params: dict[str, float], rows=None) -> dict[str, float]:
    """The model's elasticity of every evidence row (id -> value), from one run.

    Parameters
    ----------
    engine : Engine
        The translated model.
    params : dict
        Model constants of the run (a calibrated baseline and levers).
    rows : sequence of Evidence, optional
        Rows to measure; the whole table if omitted.
    """
    rows = list(rows or load_evidence())
    graph, _, _ = ltm.structure(engine)
    columns = [n for n in graph.nodes if graph.nodes[n]["kind"] in ("stock", "memory")]
    py = {v.name: v.py_name for v in engine.variables.values()}

    def inspect(components, frame):
        states = {}  # year -> (every variable's value, evaluation scope): once per year
        for year in {row.year for row in rows}:
            at = frame.loc[[float(year)]]
            states[year] = (
                ltm.all_values(engine, graph, components, at),
                ltm._array_scope(components, at.index.to_numpy(dtype=float)),
            )
        result = {}
        for row in rows:
            source = engine.variable(row.source).name
            target = engine.variable(row.target).name
            values, scope = states[row.year]
            moved = dict(values)
            moved[source] = values[source] * (1 + STEP)
            for name in _between(graph, source, target):
                stand_ins = {
                    py[p]: ltm._Values(moved[p]) for p in graph.predecessors(name) if p in moved
                }
                moved[name] = np.asarray(
                    ltm._vectorised(getattr(components, py[name]), scope, stand_ins)(), dtype=float
                )
            change = math.log(float(moved[target][0]) / float(values[target][0]))
            if row.measure == "elasticity":
                result[row.id] = change / math.log1p(STEP)
            else:
                result[row.id] = change / (float(values[source][0]) * STEP)
        return result

    _, measured = engine.run_and_inspect(params, columns, inspect)
    return measured


DIVIDEND_OUTPUTS = (
    "GDP",
    "Digital economy value added",
    "Digital Government Capability",
    "Digital Society Adoption",
)


def flywheel_dividend(scenario, years=(2035, 2050)) -> dict:
    """Outcomes with every cross-line link on against every link cut from the policy start.

    Returns ``{output: {year: percent difference (links on vs cut)}}`` for ``scenario``
    (its own levers kept; the six links set to 1 and to 0).
    """
    links = [lever.key for lever in load_levers() if lever.group == "Links"]
    on = scenario.with_levers({key: 1 for key in links})
    cut = scenario.with_levers({key: 0 for key in links})
    frame_on = simulate(on, list(DIVIDEND_OUTPUTS)).frame
    frame_cut = simulate(cut, list(DIVIDEND_OUTPUTS)).frame
    return {
        name: {
            year: float((frame_on.loc[year, name] / frame_cut.loc[year, name] - 1) * 100)
            for year in years
        }
        for name in DIVIDEND_OUTPUTS
    }


def dividend_sentence(dividend: dict, _: Callable[[str], str] = str) -> str:
    """One plain sentence for the Flywheel page (``_`` translates its template)."""
    gdp, de = dividend["GDP"], dividend["Digital economy value added"]
    gov, soc = dividend["Digital Government Capability"], dividend["Digital Society Adoption"]
    last = max(gdp)
    return _(
        "The flywheel dividend: with all six links between the three lines working, the region "
        "in {year} has {gdp} % GDP, {economy} % digital economy, {government} % digital "
        "government and {society} % digital society compared with the same policies with every "
        "link cut from the policy start year."
    ).format(
        year=last,
        gdp=f"{gdp[last]:+.1f}",
        economy=f"{de[last]:+.1f}",
        government=f"{gov[last]:+.1f}",
        society=f"{soc[last]:+.1f}",
    )


@dataclass(frozen=True)
class Mechanism:
    """How a lever works in the model: the named loops it feeds and the evidence behind them.

    ``loops``: codes of the named feedback loops the lever's effect first reaches;
    ``evidence``: rows of the evidence table whose constant shapes a variable on those
    loops; ``historical``: the constant holding the lever's value before the policy start
    year (its baseline), when there is one.
    """

    loops: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    historical: str | None


@lru_cache(maxsize=1)
def lever_mechanisms() -> dict[str, Mechanism]:
    """Lever key -> :class:`Mechanism`, read off the model's equations (no run needed).

    Examples
    --------
    >>> mechanisms = lever_mechanisms()
    >>> mechanisms["public_investment"].loops, mechanisms["public_investment"].historical
    (('R1',), 'Historical public digital investment')
    >>> [row.id for row in mechanisms["link_government_society"].evidence]
    ['GS1', 'SG1']
    """
    from flywheel.loops import direct_inputs, load_loops
    from flywheel.simulate import engine

    model = engine()
    names = {variable.py_name: variable.name for variable in model.variables.values()}
    inputs = {
        variable.name: {
            names.get(i, i) for i in direct_inputs(model.dependencies, variable.py_name)
        }
        for variable in model.variables.values()
    }
    users: dict[str, set[str]] = {}
    for user, used in inputs.items():
        for name in used:
            users.setdefault(name, set()).add(user)
    on_loops: dict[str, set[str]] = {}
    loops = load_loops()
    for loop in loops:
        for name in loop.variables:
            on_loops.setdefault(name, set()).add(loop.code)
    mechanisms = {}
    for lever in load_levers():
        # follow the lever's effect downstream until it reaches variables on named loops
        frontier, seen, reached = {lever.name}, set(), set()
        while frontier:
            following = set()
            for name in frontier:
                for user in users.get(name, set()) - seen:
                    seen.add(user)
                    (reached if user in on_loops else following).add(user)
            frontier = following
        codes = sorted({code for name in reached for code in on_loops[name]})
        on_path = {name for loop in loops if loop.code in codes for name in loop.variables}
        # and the channels the lever's first loop variables act through (two steps on)
        near = set(reached)
        for _step in range(2):
            near |= {user for name in near for user in users.get(name, set())}
        rows = tuple(
            row
            for row in load_evidence()
            if any(row.constant in inputs.get(name, ()) for name in on_path | near)
        )
        historical = sorted(
            name
            for user in users.get(lever.name, ())
            for name in inputs[user]
            if name.startswith("Historical ") and name != lever.name
        )
        mechanisms[lever.key] = Mechanism(
            tuple(codes), rows, historical[0] if len(set(historical)) == 1 else None
        )
    return mechanisms
