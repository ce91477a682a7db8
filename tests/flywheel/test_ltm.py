"""Loops That Matter: known answers on small models, then the flywheel model itself."""

import math
from pathlib import Path

import numpy as np
import pytest

from flywheel import Scenario
from flywheel.engine import Engine
from flywheel.loops import load_loops
from flywheel.ltm import loop_dominance, model_graph

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
INFLECTION = math.log((1000 - 10) / 10) / 0.5  # logistic: P0 = 10, K = 1000, r = 0.5


def switch_time(scores, reinforcing, balancing):
    later = (scores[balancing].abs() > scores[reinforcing].abs()).to_numpy()
    return float(scores.index[later.argmax()])


@pytest.mark.parametrize("fixture", ["logistic", "two_flows"])
def test_logistic_reinforcing_then_balancing(fixture):
    path = FIXTURES / f"{fixture}.mdl"
    result = loop_dominance(model_file=path)
    assert [loop.polarity for loop in result.loops] == [1, -1]
    reinforcing, balancing = (loop.id for loop in result.loops)
    switch = switch_time(result.scores, reinforcing, balancing)
    run = Engine(path).run({}, [result.loops[0].variables[0]])
    stock = run.iloc[:, 0]
    crossing = float(stock.index[(stock >= 500).to_numpy().argmax()])  # the model's own inflection
    step = 0.0625
    assert abs(switch - crossing) <= step + 1e-9
    # Euler's phase error puts the simulated inflection ~2 steps after the analytic one
    assert switch == pytest.approx(INFLECTION, rel=0.025)
    early, late = result.scores.loc[: INFLECTION - 1], result.scores.loc[INFLECTION + 1 :]
    assert (early[reinforcing] > early[balancing].abs()).all()
    assert (late[balancing].abs() > late[reinforcing]).all()


def test_goal_seeking_is_one_balancing_loop_at_minus_one():
    result = loop_dominance(model_file=FIXTURES / "goal_seeking.mdl")
    assert len(result.loops) == 1 and result.loops[0].polarity == -1
    assert np.allclose(result.scores.iloc[:, 0], -1.0)


@pytest.fixture(scope="module")
def baseline_dominance():
    return loop_dominance()


def test_every_named_loop_is_found_with_its_polarity(baseline_dominance):
    found = {}
    for loop in baseline_dominance.loops:
        if loop.code:
            found.setdefault(loop.code, set()).add(loop.polarity)
    for named in load_loops():
        assert named.code in found, f"{named.code} is not in the model's structure"
        expected = 1 if named.polarity == "reinforcing" else -1
        assert found[named.code] == {expected}, named.code
    spec = {"R1", "R2", "R3", "R4", "R5", "R6", "B1", "B2", "B3", "B4"}
    assert spec <= set(found)


def test_relative_scores_are_bounded_and_sum_to_one(baseline_dominance):
    scores = baseline_dominance.scores
    assert scores.to_numpy().min() >= -1 - 1e-12 and scores.to_numpy().max() <= 1 + 1e-12
    total = scores.abs().sum(axis=1)
    defined = total > 0
    assert defined.mean() > 0.99
    assert np.allclose(total[defined], 1.0)


def test_every_enumerated_loop_is_a_cycle_of_the_model(baseline_dominance):
    from flywheel.simulate import engine

    graph = model_graph(engine())
    for loop in baseline_dominance.loops[:300]:
        for source, target in zip(
            loop.variables, loop.variables[1:] + loop.variables[:1], strict=True
        ):
            assert graph.has_edge(source, target)


def test_cutting_a_link_removes_the_loops_through_it():
    result = loop_dominance(Scenario.from_levers({"link_government_economy": 0}))
    start = 2025 + 3 + 0.5  # policy start year + phase-in, then a step
    r1 = next(loop.id for loop in result.loops if loop.code == "R1")
    through = [
        loop.id for loop in result.loops if "Digital government seen by economy" in loop.variables
    ]
    assert r1 in through and len(through) > 5
    assert np.all(result.scores.loc[start:, through] == 0)
    before = result.scores.loc[:2024, r1]
    assert (before != 0).any()  # the loop was active before the cut


def test_dominance_story_names_periods(baseline_dominance):
    periods = baseline_dominance.periods()
    assert periods[0]["start"] < 2006 and periods[-1]["end"] == 2050
    assert all(a["end"] <= b["start"] + 1e-9 for a, b in zip(periods, periods[1:], strict=False))
    story = baseline_dominance.story()
    assert "loop" in story and "2050" in story
    reinforcing = [loop.code for loop in load_loops() if loop.polarity == "reinforcing"]
    assert {"R1", "R7", "R8"} <= set(reinforcing)
    best = baseline_dominance.by_code()[reinforcing].max().idxmax()
    assert f"The strongest reinforcing loop is {best} " in story


def test_cli_loops_prints_table_and_periods(tmp_path, capsys):
    import json

    from flywheel.cli import main

    assert main(["loops", "--out", str(tmp_path / "loops.json")]) == 0
    out = capsys.readouterr().out
    for code in ("R1", "R2", "R3", "R4", "R5", "R6", "B1", "B2", "B3", "B4"):
        assert f"  {code} " in out
    assert "Which loop dominates when" in out
    data = json.loads((tmp_path / "loops.json").read_text())
    assert {"R1", "B1"} <= set(data["relative_scores"]) and data["periods"]
    assert main(["loops", "--set", "link_society_economy=0", "--out", str(tmp_path / "l.csv")]) == 0
    assert (tmp_path / "l.csv").read_text().startswith("time,")
    assert main(["loops", "--out", str(tmp_path / "l.txt")]) == 2
    assert "must end in .csv or .json" in capsys.readouterr().err


def test_strongest_path_search_for_models_with_too_many_loops(monkeypatch, baseline_dominance):
    import flywheel.ltm as ltm

    monkeypatch.setattr(ltm, "MAX_LOOPS", 50)
    monkeypatch.setattr(ltm, "_STRUCTURE", {})
    result = loop_dominance()
    assert 50 < len(result.loops) < len(baseline_dominance.loops)  # not all: only the strong
    strongest = list(baseline_dominance.scores.abs().mean().nlargest(10).index)
    full = {loop.id: loop.variables for loop in baseline_dominance.loops}
    found = {loop.variables for loop in result.loops}
    # a greedy search: the five strongest loops always, at least eight of the ten strongest
    assert all(full[loop_id] in found for loop_id in strongest[:5])
    assert sum(full[loop_id] in found for loop_id in strongest) >= 8
    assert {"R1", "R3", "B1", "B3"} <= {loop.code for loop in result.loops}
    total = result.scores.abs().sum(axis=1)
    assert np.allclose(total[total > 0], 1.0)
