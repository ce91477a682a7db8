"""Lever attribution: Shapley shares add up to the change and obey the Shapley axioms."""

import numpy as np
import pytest

from flywheel import Scenario, load_levers, simulate
from flywheel.attribution import EXACT_LIMIT, HEADLINES, YEARS, attribute
from flywheel.scenarios import load_scenario


def value(levers, variable="GDP per capita", year=2050):
    return float(simulate(Scenario.from_levers(levers)).frame.loc[year, variable])


@pytest.mark.parametrize("preset", ["government-led", "balanced-flywheel", "market-led"])
def test_shares_add_up_to_each_headline_change(preset):
    scenario = load_scenario(preset)
    split = attribute(scenario)
    assert split.exact and split.runs == 2 ** len(split.shares.index)
    for variable in HEADLINES:
        for year in YEARS:
            column = (variable, year)
            expected = float(
                simulate(scenario).frame.loc[year, variable]
                - simulate(Scenario()).frame.loc[year, variable]
            )
            assert split.change[column] == pytest.approx(expected, rel=1e-9, abs=1e-12)
            assert split.shares[column].sum() == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_two_levers_match_the_shapley_formula_computed_by_hand():
    a, b = {"public_investment": 9}, {"rd_intensity": 7}
    base, only_a, only_b, both = value({}), value(a), value(b), value({**a, **b})
    split = attribute(Scenario.from_levers({**a, **b}))
    column = ("GDP per capita", 2050)
    assert split.shares.loc["public_investment", column] == pytest.approx(
        0.5 * ((only_a - base) + (both - only_b)), rel=1e-9
    )
    assert split.shares.loc["rd_intensity", column] == pytest.approx(
        0.5 * ((only_b - base) + (both - only_a)), rel=1e-9
    )


def test_a_lever_that_changes_nothing_gets_nothing():
    # the shock's size does nothing while the shock is off
    split = attribute(Scenario.from_levers({"public_investment": 9, "future_shock_size": 0.09}))
    assert np.abs(split.shares.loc["future_shock_size"].to_numpy()).max() < 1e-12


def test_one_lever_gets_the_whole_change_and_the_baseline_has_nothing_to_split():
    split = attribute(Scenario.from_levers({"policy_dividend": 2.5}))
    assert list(split.shares.index) == ["policy_dividend"]
    np.testing.assert_allclose(split.shares.iloc[0].to_numpy(), split.change.to_numpy())
    assert attribute(Scenario()).shares.empty


def test_more_than_the_exact_limit_is_sampled_and_says_so():
    levers = {
        lever.key: float(round((lever.min + lever.max) / 2))
        if lever.kind != "number"
        else (lever.min + lever.max) / 2
        for lever in load_levers()
    }
    levers["future_shock"] = 1.0
    scenario = Scenario.from_levers(levers)
    split = attribute(scenario, orders=60, seed=3)
    assert len(split.shares.index) > EXACT_LIMIT and not split.exact
    assert "random orders" in split.method() and split.orders == 60
    column = ("Regional development index", 2050)
    assert split.shares[column].sum() == pytest.approx(split.change[column], rel=1e-9)


def test_a_runner_evaluates_the_subsets_with_the_same_answer():
    """A server hands the subsets to its batcher; the split must not change."""
    from flywheel.model import batch_engine

    calls = []

    def runner(params, variables, members):
        calls.append(members)
        return batch_engine().run(params, variables)

    scenario = Scenario.from_levers(
        {"public_investment": 8, "rd_intensity": 4, "policy_dividend": 2}
    )
    mine, reference = attribute(scenario, runner=runner), attribute(scenario)
    assert calls == [8]  # all 2^3 subsets in one batch
    assert mine.shares.values.tolist() == reference.shares.values.tolist()
