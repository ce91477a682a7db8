"""Feedback-loop analysis: loop discovery, polarity and dominance over time ("Loops That Matter").

Method: Schoenberg, Davidsen & Eberlein (2020), "Understanding model behavior using the
Loops that Matter method", System Dynamics Review 36(2); flow-to-stock link scores as
corrected by Schoenberg, Hayward & Eberlein (2023), System Dynamics Review 39(2).

At every time step t (from t - dt to t):

* link score of an auxiliary or flow link x -> z: ``|D_x z / D z| * sign(D_x z / D x)``,
  where ``D_x z`` is z re-evaluated with only x moved to its new value (all other
  inputs at their old values) minus z's old value;
* link score of a flow f into (out of) a stock S: ``+(-)|D f / D(net flow of S)|``;
* loop score: the product of the link scores around the loop; relative loop score:
  loop score / sum over all loops of |loop score|, in [-1, 1].

Zero denominators give a score of 0, as in the papers: a variable that does not change
(D z = 0), an input that does not change (D x = 0), a stock whose net flow does not
change, and a time step where no loop has a non-zero score (relative scores 0).

The structure comes from the translated model itself (pysd's dependency graph); the
equations are re-evaluated through the translated model's own functions, vectorised over
all time steps, never re-implemented.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from flywheel.batch import raw_function, vector_float, vector_if
from flywheel.engine import Engine
from flywheel.loops import direct_inputs, load_loops
from flywheel.scenarios import Scenario
from flywheel.simulate import engine, model_params

CONTROL = {"time", "initial_time", "final_time", "time_step", "saveper"}
#: Above this many simple cycles, only the strongest paths are kept (larger models).
MAX_LOOPS = 20_000


@dataclass(frozen=True)
class FoundLoop:
    """A feedback loop found in the model's structure."""

    id: str
    variables: tuple[str, ...]
    polarity: int
    code: str | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        """Code and name for a named loop, else the loop id and length."""
        return (
            f"{self.code} {self.name}"
            if self.code
            else f"{self.id} ({len(self.variables)} variables)"
        )


@dataclass
class Dominance:
    """Loops of a run with their relative scores over time."""

    loops: list[FoundLoop]
    scores: pd.DataFrame  # index: time, columns: loop id; relative loop scores
    link_scores: dict[tuple[str, str], np.ndarray] = field(repr=False)

    def named(self) -> pd.DataFrame:
        """Relative scores of the named loops (columns: loop codes)."""
        ids = {loop.id: loop.code for loop in self.loops if loop.code}
        return self.scores[list(ids)].rename(columns=ids)

    def by_code(self) -> pd.DataFrame:
        """Relative scores summed per named loop code (B3 groups several obsolescence loops)."""
        codes = {}
        for loop in self.loops:
            if loop.code:
                codes.setdefault(loop.code, []).append(loop.id)
        return pd.DataFrame({code: self.scores[ids].sum(axis=1) for code, ids in codes.items()})

    def periods(self, min_years: float = 2.0) -> list[dict]:
        """Consecutive periods in which the same loop has the largest |relative score|.

        Periods shorter than ``min_years`` are merged into their neighbour.
        """
        frame = self.scores
        active = frame.abs().sum(axis=1) > 0
        dominant = frame.abs().idxmax(axis=1).where(active)
        periods: list[dict] = []
        for time, loop_id in dominant.items():
            if periods and periods[-1]["loop"] == loop_id:
                periods[-1]["end"] = float(time)
            else:
                periods.append({"loop": loop_id, "start": float(time), "end": float(time)})
        merged: list[dict] = []
        for period in periods:  # short spells join the period before them
            short = period["end"] - period["start"] < min_years or period["loop"] is None
            if merged and (short or merged[-1]["loop"] == period["loop"]):
                merged[-1]["end"] = period["end"]
            else:
                merged.append(dict(period))
        if len(merged) > 1 and merged[0]["end"] - merged[0]["start"] < min_years:
            merged[1]["start"] = merged[0]["start"]  # a short first spell joins the next
            merged.pop(0)
        loops = {loop.id: loop for loop in self.loops}
        for period in merged:
            loop = loops.get(period["loop"])
            period["label"] = loop.label if loop else "no active loop"
            period["polarity"] = loop.polarity if loop else 0
            period["share"] = (
                float(frame.loc[period["start"] : period["end"], period["loop"]].abs().mean())
                if loop
                else 0.0
            )
        return merged

    def summary_table(self) -> pd.DataFrame:
        """Named loops with polarity, length, variables and mean |relative score|."""
        rows = []
        mean = self.scores.abs().mean()
        for loop in self.loops:
            if loop.code:
                rows.append(
                    {
                        "code": loop.code,
                        "name": loop.name,
                        "polarity": "reinforcing" if loop.polarity > 0 else "balancing",
                        "length": len(loop.variables),
                        "mean |score|": float(mean[loop.id]),
                        "variables": " > ".join(loop.variables + loop.variables[:1]),
                    }
                )
        return pd.DataFrame(rows).sort_values(["code", "length"]).reset_index(drop=True)

    def export(self, top: int = 20) -> pd.DataFrame:
        """Scores to write out: each named loop code, plus the ``top`` strongest other loops."""
        named = self.by_code()
        others = [loop for loop in self.loops if not loop.code]
        strongest = self.scores[[loop.id for loop in others]].abs().mean().nlargest(top).index
        return pd.concat([named, self.scores[strongest]], axis=1)

    def story(self, _: Callable[[str], str] = str) -> str:
        """Which loop dominates when, and which reinforcing loop drives most, in plain language.

        ``_`` translates the sentences' templates and the loops' names (default: English).
        """
        sentences = []
        for period in self.periods():
            template = (
                _(
                    "{start}-{end}: reinforcing loop {loop} drives the behaviour ({share} of all loop activity)"
                )
                if period["polarity"] > 0
                else _(
                    "{start}-{end}: balancing loop {loop} holds it back ({share} of all loop activity)"
                )
            )
            sentences.append(
                template.format(
                    start=f"{period['start']:.0f}",
                    end=f"{period['end']:.0f}",
                    loop=self._translated_label(period["label"], _),
                    share=f"{period['share']:.0%}",
                )
            )
        if not sentences:
            return _("No loop is active.")
        text = _("; ").join(sentences) + _(".")
        reinforcing = self.by_code()[[c for c in self.by_code() if c.startswith("R")]]
        if not reinforcing.empty and reinforcing.max().max() > 0:
            code = reinforcing.max().idxmax()
            name = next(loop.name for loop in self.loops if loop.code == code)
            peak = reinforcing[code].idxmax()
            text += _(
                " The strongest reinforcing loop is {code} {name}, carrying up to {share} of "
                "loop activity (around {year})."
            ).format(
                code=code, name=_(name), share=f"{reinforcing[code].max():.0%}", year=f"{peak:.0f}"
            )
        return text

    def _translated_label(self, label: str, _: Callable[[str], str]) -> str:
        """A period's loop label ("R1 Policy dividend") with the loop's name translated."""
        for loop in self.loops:
            if loop.code and label == f"{loop.code} {loop.name}":
                return f"{loop.code} {_(loop.name)}"
        return _("no active loop") if label == "no active loop" else label


def model_graph(engine) -> nx.DiGraph:
    """Directed graph of the model's non-constant variables: x -> z when z's equation uses x.

    Nodes carry ``kind``: ``stock``, ``flow`` (an input of a stock's rate), ``memory``
    (SAMPLE IF TRUE and similar) or ``auxiliary``.
    """
    names = {v.py_name: v for v in engine.variables.values()}
    flows = set()
    graph = nx.DiGraph()
    for variable in engine.variables.values():
        if variable.is_constant or variable.subscripts or variable.py_name in CONTROL:
            continue
        inputs = [
            names[i] for i in direct_inputs(engine.dependencies, variable.py_name) if i in names
        ]
        inputs = [
            i for i in inputs if not i.is_constant and not i.subscripts and i.py_name not in CONTROL
        ]
        if variable.is_stock:
            flows.update(i.name for i in inputs)
        graph.add_node(variable.name)
        for source in inputs:
            graph.add_edge(source.name, variable.name)
    for node in graph.nodes:
        variable = engine.variables[node]
        kind = (
            "stock"
            if variable.is_stock
            else "memory"
            if variable.kind == "Stateful"
            else ("flow" if node in flows else "auxiliary")
        )
        graph.nodes[node]["kind"] = kind
    return graph


def _canonical(graph: nx.DiGraph, cycle) -> tuple[str, ...]:
    """A cycle rotated to start at its first stock (or its smallest name)."""
    cycle = list(cycle)
    stocks = [i for i, node in enumerate(cycle) if graph.nodes[node]["kind"] == "stock"]
    start = stocks[0] if stocks else cycle.index(min(cycle))
    return tuple(cycle[start:] + cycle[:start])


def find_loops(graph: nx.DiGraph, max_loops: int | None = None) -> list[tuple[str, ...]] | None:
    """All simple cycles (each rotated to start at a stock if it has one).

    Returns None when the model has more than ``max_loops`` cycles: then the loops are
    found per run with :func:`strongest_loops` instead (this model has about two thousand).
    """
    limit = MAX_LOOPS if max_loops is None else max_loops
    cycles = []
    for cycle in nx.simple_cycles(graph):
        cycles.append(_canonical(graph, cycle))
        if len(cycles) > limit:
            return None
    return sorted(cycles, key=lambda c: (len(c), c))


def strongest_loops(graph: nx.DiGraph, links: dict, samples: int = 46) -> list[tuple[str, ...]]:
    """Loops found by the strongest-path search of the LTM papers (for large models).

    At ``samples`` time steps, a depth-first search from every stock follows links in
    order of decreasing |link score| and abandons a path once it reaches a variable more
    weakly than an earlier path did, keeping the loops it closes.
    """
    steps = len(next(iter(links.values())))
    found: set[tuple[str, ...]] = set()
    stocks = [n for n in graph.nodes if graph.nodes[n]["kind"] == "stock"]
    for step in np.unique(np.linspace(0, steps - 1, samples).astype(int)):
        strength = {link: abs(float(score[step])) for link, score in links.items()}
        for stock in stocks:
            best = dict.fromkeys(graph.nodes, 0.0)

            def visit(node, score, path, stock=stock, best=best, strength=strength):
                if path and node == stock:
                    found.add(_canonical(graph, path))
                    return
                if node in path or score <= best[node]:
                    return
                best[node] = score
                for target in sorted(graph.successors(node), key=lambda t: -strength[(node, t)]):
                    if strength[(node, target)] > 0:
                        visit(target, score * strength[(node, target)], path + [node])

            visit(stock, 1.0 + 1e-12, [])
    return sorted(found, key=lambda c: (len(c), c))


class _Values:
    """A stand-in for a model function that returns fixed (array) values."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __call__(self, *args):
        return self.value


def _array_scope(components, times: np.ndarray) -> dict:
    """The translated model's globals, made to work over arrays of time steps."""
    scope = dict(vars(components))
    scope.update(if_then_else=vector_if, float=vector_float, time=_Values(times))
    return scope


def _vectorised(function, scope_base: dict, stand_ins: dict):
    """``function`` (a model equation) with some of the functions it calls replaced."""
    scope = dict(scope_base)
    scope.update(stand_ins)
    return types.FunctionType(raw_function(function).__code__, scope)


def all_values(engine, graph: nx.DiGraph, components, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every variable of the graph at every saved step.

    Stocks and memories come from the run; every other variable is computed from them
    with the model's own functions, evaluated once over all time steps (in dependency
    order), which is much cheaper than asking pysd to record a hundred columns per step.
    """
    py = {v.name: v.py_name for v in engine.variables.values()}
    times = frame.index.to_numpy(dtype=float)
    values = {name: frame[name].to_numpy(dtype=float) for name in frame.columns}
    base = _array_scope(components, times)
    auxiliaries = [n for n in graph.nodes if n not in values]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for name in nx.topological_sort(graph.subgraph(auxiliaries)):
            stand_ins = {py[source]: _Values(values[source]) for source in graph.predecessors(name)}
            result = _vectorised(getattr(components, py[name]), base, stand_ins)()
            values[name] = np.broadcast_to(np.asarray(result, dtype=float), times.shape).copy()
    return values


def link_scores(engine, graph: nx.DiGraph, components, values: dict, times: np.ndarray) -> dict:
    """Score of every link at every time step (arrays of length len(times) - 1)."""
    py = {v.name: v.py_name for v in engine.variables.values()}
    old = {name: array[:-1] for name, array in values.items()}
    new = {name: array[1:] for name, array in values.items()}
    base = _array_scope(components, times[:-1])  # built once, shared by every equation
    scores = {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for target in graph.nodes:
            kind = graph.nodes[target]["kind"]
            sources = list(graph.predecessors(target))
            change = new[target] - old[target]
            if kind == "stock":
                rate = getattr(components, f"_integ_{py[target]}").ddt
                scores.update(_flow_scores(rate, base, py, target, sources, old, new))
                continue
            if kind == "memory":  # e.g. SAMPLE IF TRUE: its change is all its input's
                for source in sources:
                    moved = new[source] - old[source]
                    scores[(source, target)] = np.where(
                        (change != 0) & (moved != 0), np.sign(change * moved), 0.0
                    )
                continue
            inputs = {source: _Values(old[source]) for source in sources}
            evaluate = _vectorised(
                getattr(components, py[target]), base, {py[s]: v for s, v in inputs.items()}
            )
            for source in sources:
                inputs[source].value = new[source]
                partial = np.broadcast_to(evaluate(), change.shape) - old[target]
                inputs[source].value = old[source]
                moved = new[source] - old[source]
                score = np.abs(partial / change) * np.sign(partial / moved)
                scores[(source, target)] = np.where(np.isfinite(score), score, 0.0)
    return scores


def _flow_scores(rate, base, py, stock, flows, old, new) -> dict:
    """Flow -> stock link scores: +-|D flow / D net flow|, the sign from the stock's equation."""
    stand_ins = {flow: _Values(0.0) for flow in flows}
    evaluate = _vectorised(rate, base, {py[f]: v for f, v in stand_ins.items()})
    signs = {}
    for flow in flows:
        stand_ins[flow].value = 1.0
        signs[flow] = float(np.sign(evaluate()))
        stand_ins[flow].value = 0.0
    net_change = sum(signs[f] * (new[f] - old[f]) for f in flows)
    scores = {}
    for flow in flows:
        score = signs[flow] * np.abs((new[flow] - old[flow]) / net_change)
        scores[(flow, stock)] = np.where(np.isfinite(score), score, 0.0)
    return scores


def _match_named(cycles: list[tuple[str, ...]]) -> dict[tuple[str, ...], tuple[str, str]]:
    by_rotation = {}
    for cycle in cycles:
        for shift in range(len(cycle)):
            by_rotation[cycle[shift:] + cycle[:shift]] = cycle
    named = {}
    for loop in load_loops():
        for path in loop.paths:
            cycle = by_rotation.get(tuple(path[:-1]))
            if cycle is not None:
                named[cycle] = (loop.code, loop.name)
    return named


_STRUCTURE: dict[int, tuple] = {}


def structure(engine) -> tuple[nx.DiGraph, list[tuple[str, ...]] | None, dict]:
    """The model graph, its loops and their names (once per engine: levers do not change them).

    The loops are None for a model with too many to enumerate (see :func:`find_loops`).
    """
    if id(engine) not in _STRUCTURE:
        graph = model_graph(engine)
        cycles = find_loops(graph)
        _STRUCTURE[id(engine)] = (engine, graph, cycles, _match_named(cycles or []))
    return _STRUCTURE[id(engine)][1:]


def analyse(engine, params: dict[str, float], named_loops: bool = True) -> Dominance:
    """Loop dominance of one run of ``engine``'s model with ``params``."""
    graph, cycles, named = structure(engine)
    columns = [n for n in graph.nodes if graph.nodes[n]["kind"] in ("stock", "memory")]

    def inspect(components, frame):
        values = all_values(engine, graph, components, frame)
        return link_scores(engine, graph, components, values, frame.index.to_numpy(dtype=float))

    frame, links = engine.run_and_inspect(params, columns, inspect)
    if cycles is None:  # too many loops to enumerate: the strongest ones of this run
        cycles = strongest_loops(graph, links)
        named = _match_named(cycles)
    names = named if named_loops else {}
    times = frame.index[1:]
    polarity = link_polarities(links)
    order = {link: i for i, link in enumerate(links)}
    matrix = np.vstack(list(links.values()))  # links x time steps
    columns_, loops = [], []
    for index, cycle in enumerate(cycles):
        rows = [order[link] for link in zip(cycle, cycle[1:] + cycle[:1], strict=True)]
        columns_.append(np.prod(matrix[rows], axis=0))
        code, name = names.get(cycle, (None, None))
        loops.append(FoundLoop(f"L{index + 1}", cycle, _polarity(cycle, polarity), code, name))
    absolute = pd.DataFrame(
        np.column_stack(columns_),
        index=pd.Index(times, name="time"),
        columns=[loop.id for loop in loops],
    )
    total = absolute.abs().sum(axis=1)
    relative = absolute.div(total.where(total > 0), axis=0).fillna(0.0)
    return Dominance(loops, relative, links)


def link_polarities(links: dict) -> dict:
    """Typical sign of each link over the run: the sign of most of its non-zero scores (0: inactive)."""
    polarity = {}
    for link, score in links.items():
        signs = np.sign(score[score != 0])
        polarity[link] = 0 if len(signs) == 0 else (1 if signs.sum() >= 0 else -1)
    return polarity


def _polarity(cycle, polarity) -> int:
    """Loop polarity: the product of its links' polarities."""
    sign = 1
    for link in zip(cycle, cycle[1:] + cycle[:1], strict=True):
        sign *= polarity[link]
    return sign


def loop_dominance(
    scenario=None,
    baseline: str | None = None,
    model_file: Path | None = None,
    params: dict[str, float] | None = None,
) -> Dominance:
    """Loop dominance for a scenario of the project model (or of another project model file).

    Examples
    --------
    >>> result = loop_dominance()
    >>> sorted({loop.code for loop in result.loops if loop.code})[:3]
    ['B1', 'B2', 'B3']
    """
    if model_file is not None:
        return analyse(Engine(Path(model_file)), dict(params or {}), named_loops=False)
    values, _ = model_params(scenario or Scenario(), params, baseline)
    return analyse(engine(), values)
