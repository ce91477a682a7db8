"""The batch engine: N members in one Euler pass, each equal to pysd's own run."""

import numpy as np
import pytest
from scipy.stats import qmc

from calibration.series import load_params
from flywheel import InputError, Scenario
from flywheel.corners import corner_cases
from flywheel.levers import lever_gate, load_levers
from flywheel.simulate import batch_engine, engine, model_params, simulate_many, stack_members


def every_variable():
    """Every variable pysd can return: all but constants and Time (subscripted ones too)."""
    model = engine()
    return [
        v.name
        for v in model.variables.values()
        if v.name != "Time" and (not v.is_constant) and v.kind != "Constant" or v.subscripts
    ]


def two_hundred_members():
    """Corners of the lever box, each calibrated constant at each end of its range, and
    Latin-hypercube draws over levers and calibrated constants together."""
    members = [(Scenario.from_levers(levers), {}) for levers in corner_cases().values()]
    calibrated = load_params()
    for param in calibrated:
        members += [(Scenario(), {param.name: param.low}), (Scenario(), {param.name: param.high})]
    table = list(load_levers())
    unit = qmc.LatinHypercube(d=len(table) + len(calibrated), seed=7).random(200 - len(members))
    for point in unit:
        levers = {}
        for lever, u in zip(table, point, strict=False):
            value = lever.min + u * (lever.max - lever.min)
            levers[lever.key] = (
                float(round(value)) if lever.kind in ("integer", "switch") else value
            )
        params = {
            p.name: p.low + u * (p.high - p.low)
            for p, u in zip(calibrated, point[len(table) :], strict=True)
        }
        members.append((Scenario.from_levers(levers), params))
    return members


@pytest.fixture(scope="module")
def batch_and_members():
    members = two_hundred_members()
    per_member = [model_params(scenario, params)[0] for scenario, params in members]
    columns = every_variable()
    result = batch_engine().run(stack_members(per_member), columns)
    return result, per_member, columns


@pytest.fixture(scope="module")
def pysd_runs(batch_and_members):
    _, per_member, columns = batch_and_members
    return [engine().run(values, columns) for values in per_member]


def assert_each_member_is_pysds_own(result, per_member, expected_runs):
    assert result.members == len(per_member)
    worst = 0.0
    for index, expected in enumerate(expected_runs):
        got = result.member(index)[expected.columns]
        assert list(got.index) == list(expected.index)
        np.testing.assert_allclose(
            got.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12, err_msg=f"member {index}"
        )
        scale = np.abs(expected.to_numpy()).clip(min=1e-12)
        worst = max(worst, float(np.max(np.abs(got.to_numpy() - expected.to_numpy()) / scale)))
    assert worst < 1e-9


def test_two_hundred_members_each_equal_pysds_own_run(batch_and_members, pysd_runs):
    result, per_member, columns = batch_and_members
    assert result.members == 200 and len(columns) > 100
    assert_each_member_is_pysds_own(result, per_member, pysd_runs)


def test_the_kept_path_before_the_start_year_gives_pysds_own_runs(batch_and_members, pysd_runs):
    """With the lever gate, the stretch before the earliest start year is integrated once
    per set of other constants and reused: the 200 members (each lever alone at each end
    of its range from the earliest start year among them) are still pysd's own runs, the
    first time and when a second batch, in another order, reuses the kept stretch."""
    _, per_member, columns = batch_and_members
    batch = batch_engine()
    gated = batch.run(stack_members(per_member), columns, gate=lever_gate())
    assert_each_member_is_pysds_own(gated, per_member, pysd_runs)
    hits = batch.prefix_hits
    order = np.random.default_rng(3).permutation(len(per_member))
    again = batch.run(stack_members([per_member[i] for i in order]), columns, gate=lever_gate())
    assert batch.prefix_hits == hits + 1  # the same distinct constants: the kept stretch
    assert_each_member_is_pysds_own(
        again, [per_member[i] for i in order], [pysd_runs[i] for i in order]
    )


def test_the_gate_starts_at_the_earliest_start_year_in_the_batch():
    """Members that start late share the stretch up to the earliest start only."""
    late = model_params(Scenario.from_levers({"policy_start_year": 2040, "public_investment": 9}))[
        0
    ]
    early = model_params(Scenario.from_levers({"policy_start_year": 2030, "public_investment": 1}))[
        0
    ]
    columns = ["GDP", "Public digital investment", "Effective future shock year"]
    result = batch_engine().run(stack_members([late, early]), columns, gate=lever_gate())
    for index, values in enumerate((late, early)):
        np.testing.assert_allclose(
            result.member(index).to_numpy(), engine().run(values, columns).to_numpy(), rtol=1e-9
        )


def test_members_are_independent(batch_and_members):
    """A member's trajectory does not depend on which other members share its batch."""
    result, per_member, columns = batch_and_members
    alone = batch_engine().run(stack_members([per_member[5]]), columns)
    with_one = batch_engine().run(stack_members([per_member[5], per_member[150]]), columns)
    with_other = batch_engine().run(stack_members([per_member[5], per_member[0]]), columns)
    for column in alone.values:
        # which constants are arrays depends on the partner (numbers where members agree):
        # vector and scalar arithmetic round differently in the last bit, nothing more
        np.testing.assert_allclose(
            with_one.values[column][0], with_other.values[column][0], rtol=1e-12
        )
        np.testing.assert_allclose(with_one.values[column][0], alone.values[column][0], rtol=1e-12)
        np.testing.assert_allclose(result.values[column][5], alone.values[column][0], rtol=1e-12)


def test_simulate_many_validates_every_member():
    with pytest.raises(InputError, match="out of range"):
        simulate_many(params=[{"Digital capital lifetime": 6}, {"Digital capital lifetime": -1}])
    with pytest.raises(InputError, match="is a lever"):
        simulate_many(params=[{"Public digital investment": 6}])
    with pytest.raises(InputError, match="2 scenarios but 1 parameter sets"):
        simulate_many([Scenario(), Scenario()], [{}])


def test_batch_refuses_mismatched_or_non_constant_inputs():
    batch = batch_engine()
    with pytest.raises(InputError, match="3 member values, but other constants have 2"):
        batch.run(
            {
                "Digital capital lifetime": np.array([5.0, 6.0]),
                "Catch up rate": np.array([0.01, 0.02, 0.03]),
            },
            ["GDP"],
        )
    with pytest.raises(InputError, match="not a constant"):
        batch.run({"GDP": np.array([1.0, 2.0])}, ["GDP"])
    with pytest.raises(InputError, match="one-dimensional"):
        batch.run({"Catch up rate": np.ones((2, 2))}, ["GDP"])


def test_identical_members_are_one_run_repeated():
    result = simulate_many([Scenario(), Scenario(), Scenario()])
    assert result.members == 3
    np.testing.assert_array_equal(result.values["GDP"][0], result.values["GDP"][2])


def test_long_table_and_percentiles():
    result = simulate_many(params=[{"Digital capital lifetime": v} for v in (5.0, 8.0, 11.0)])
    table = result.long()
    assert list(table.columns[:2]) == ["member", "year"] and len(table) == 3 * 46
    bands = result.percentiles("Digital Capital", [0.05, 0.5, 0.95])
    assert (bands[0.05] <= bands[0.5]).all() and (bands[0.5] <= bands[0.95]).all()
    assert bands.loc[2050, 0.5] == pytest.approx(result.values["Digital Capital"][1, -1])


def test_a_run_until_a_year_gives_the_whole_runs_rows_up_to_it():
    """A fit needs no more than its last observation: stopping early changes no row."""
    from flywheel import simulate

    scenarios = [Scenario.from_levers({"public_investment": v}) for v in (1.0, 9.0)]
    params = [{"Catch up rate": 0.01}, {"Catch up rate": 0.03}]
    whole = simulate_many(scenarios, params, variables=["GDP", "Digital Society Adoption"])
    early = simulate_many(
        scenarios, params, variables=["GDP", "Digital Society Adoption"], until=2024
    )
    assert early.times[0] == 2005 and early.times[-1] == 2024
    for column, values in early.values.items():
        np.testing.assert_array_equal(values, whole.values[column][:, : len(early.times)])
    one = simulate(scenarios[1], params=params[1], until=2024).frame
    assert one.index[-1] == 2024
    np.testing.assert_allclose(one["GDP"].to_numpy(), whole.values["GDP"][1, : len(one)], rtol=1e-9)


@pytest.mark.parametrize("bad", [2000, 2050.5, float("nan"), "soon", True, [2024]])
def test_a_stop_year_outside_the_horizon_is_refused_by_name(bad):
    from flywheel import simulate

    with pytest.raises(InputError, match="until: .* is not a year from 2005 to 2050"):
        simulate(until=bad)
    with pytest.raises(InputError, match="until: .* is not a year from 2005 to 2050"):
        simulate_many(params=[{"Catch up rate": 0.01}], until=bad)


def test_kept_stretches_are_per_set_of_other_constants_whatever_the_mix():
    """Two groups of members (say two regions) run apart, then together: the mixed batch
    needs no new stretch, and every member is still pysd's own run."""
    batch = batch_engine()
    columns = ["GDP", "Digital Society Adoption", "Digital Government Capability"]

    def group(catch_up, values):
        return [
            model_params(
                Scenario.from_levers({"public_investment": v, "policy_start_year": 2027}),
                {"Catch up rate": catch_up},
            )[0]
            for v in values
        ]

    first, second = group(0.011, (1.0, 5.0, 9.0)), group(0.033, (2.0, 6.0))
    batch.run(stack_members(first), columns, gate=lever_gate())
    batch.run(stack_members(second), columns, gate=lever_gate())
    hits = batch.prefix_hits
    mixed = [second[0], first[2], first[0], second[1]]
    result = batch.run(stack_members(mixed), columns, gate=lever_gate())
    assert batch.prefix_hits == hits + 1
    for index, values in enumerate(mixed):
        np.testing.assert_allclose(
            result.member(index).to_numpy(), engine().run(values, columns).to_numpy(), rtol=1e-9
        )


def test_a_batch_that_pauses_for_another_run_gives_the_same_numbers():
    """A pause may run another batch of the same engine (a lone run overtaking a fan):
    both keep their own numbers, bit for bit, and the pause comes at every saved year."""
    batch = batch_engine()
    columns = ["GDP", "Digital Society Adoption", "Digital Government Capability"]
    fan = stack_members(
        [
            model_params(Scenario.from_levers({"public_investment": v, "rd_intensity": 3.0}))[0]
            for v in np.linspace(0.0, 15.0, 31)
        ]
    )
    lone = model_params(Scenario.from_levers({"policy_dividend": 2.5}))[0]
    quiet = batch.run(fan, columns, gate=lever_gate())
    alone = batch.run(lone, columns, gate=lever_gate())
    inside = []

    def pause():
        inside.append(batch.run(lone, columns, gate=lever_gate()))

    paused = batch.run(fan, columns, gate=lever_gate(), pause=pause)
    start = float(lever_gate_start())
    assert len(inside) == 2050 - int(start) + 1  # every saved year from the start year on
    for column in columns:
        np.testing.assert_array_equal(paused.values[column], quiet.values[column])
        for result in inside:
            np.testing.assert_array_equal(result.values[column], alone.values[column])


def lever_gate_start():
    return engine().defaults[lever_gate().time]


def _lever_members():
    return stack_members(
        [
            model_params(
                Scenario.from_levers(
                    {
                        "public_investment": v,
                        "policy_start_year": 2026,
                        "link_society_to_economy": 0.5,
                    }
                )
            )[0]
            for v in (0.0, 4.0, 15.0)
        ]
    )


def test_functions_of_time_alone_are_evaluated_ahead_with_the_same_numbers():
    """The policy phase, levers in force, population, prices and shocks depend on time
    and constants only: they are evaluated for many steps at once, and the run is the
    same as evaluating them step by step."""
    from flywheel.batch import BatchEngine

    ahead = BatchEngine(engine())
    assert {"policy_phase", "population", "price_level", "shock_output_loss"} <= set(
        ahead._time_only
    )
    # anything with a stock upstream is evaluated step by step
    assert not {"gdp", "net_adoption", "digital_society_adoption", "before_policy_start_"} & set(
        ahead._time_only
    )
    stepwise = BatchEngine(engine())
    stepwise._time_only = ()
    columns = ["GDP", "Population", "Policy phase", "Digital Society Adoption", "Price level"]
    for params in (_lever_members(), model_params(Scenario.from_levers({"rd_intensity": 4}))[0]):
        a = ahead.run(params, columns, gate=lever_gate())
        b = stepwise.run(params, columns, gate=lever_gate())
        for column in columns:
            np.testing.assert_allclose(a.values[column], b.values[column], rtol=1e-12, atol=0)


def test_a_sample_no_member_takes_holds_its_state_with_the_same_numbers():
    """The model's SAMPLE IF TRUE elements follow a stock until the policy start, on a
    condition of time and constants alone: a step where no member samples holds the state
    without recomputing the step, and the numbers are those of the full update, bit for
    bit, whether members start their policies together or in different years."""
    from flywheel.batch import BatchEngine

    quick = BatchEngine(engine())
    assert {
        "_sampleiftrue_fiscal_revenue_at_policy_start",
        "_sampleiftrue_digital_society_at_policy_start",
    } <= quick._timed_samples
    full = BatchEngine(engine())
    full._timed_samples = frozenset()
    columns = ["GDP", "Fiscal revenue at policy start", "Digital society at policy start"]
    staggered = stack_members(
        [
            model_params(Scenario.from_levers({"public_investment": 6.0, "policy_start_year": y}))[
                0
            ]
            for y in (2025, 2030, 2040)
        ]
    )
    one = model_params(Scenario.from_levers({"rd_intensity": 4}))[0]
    for params in (staggered, one, _lever_members()):
        for gate in (None, lever_gate()):
            a = quick.run(params, columns, gate=gate)
            b = full.run(params, columns, gate=gate)
            for column in columns:
                np.testing.assert_array_equal(a.values[column], b.values[column])
    # the held samples are the stocks' values at each member's own start year
    held = quick.run(staggered, ["Digital Society Adoption", "Digital society at policy start"])
    times = list(held.times)
    for member, year in enumerate((2025, 2030, 2040)):
        start = held.values["Digital Society Adoption"][member, times.index(year)]
        after = held.values["Digital society at policy start"][member, times.index(2045)]
        assert after == pytest.approx(start, rel=0.02)


def test_a_function_of_time_that_refuses_arrays_is_evaluated_step_by_step():
    """A function of time that cannot take a row of times (it raises) is left to the
    steps; the others are still evaluated ahead, and the numbers do not change."""
    from flywheel.batch import BatchEngine

    batch = BatchEngine(engine())
    reference = BatchEngine(engine()).run(_lever_members(), ["GDP", "Policy phase"])
    refused = batch._globals["_refusals"] = []  # seen by the function in its namespace

    def policy_phase():  # rebound into the run's namespace like the model's own
        if np.ndim(time()) > 0:  # noqa: F821 - the run's own time()
            _refusals.append(1)  # noqa: F821 - from the namespace
            raise TypeError("one time at a time")
        return _stepwise_policy_phase()  # noqa: F821 - the model's own, in the namespace

    batch._functions["_stepwise_policy_phase"] = batch._functions["policy_phase"]
    batch._functions["policy_phase"] = policy_phase
    result = batch.run(_lever_members(), ["GDP", "Policy phase"])
    assert refused  # it was asked, and refused
    for column in ("GDP", "Policy phase"):
        np.testing.assert_allclose(
            result.values[column], reference.values[column], rtol=1e-12, atol=0
        )
