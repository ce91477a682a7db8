"""The structure added for forecasts that beat a straight line: each piece does what it says.

Capital starts from its calibrated ratio, shocks leave a scar, labour is the working-age
population, and e-government capability builds on itself (a logistic diffusion).
"""

import pandas as pd
import pytest

from calibration.country import working_age_nodes
from calibration.series import DATA_DIR
from flywheel import Scenario, simulate
from flywheel.baselines import load_baseline
from flywheel.checks import corners
from flywheel.loops import load_loops
from flywheel.simulate import engine

SHARE_FILE = DATA_DIR / "china_working_age_share.csv"


def test_working_age_nodes_are_the_values_of_the_data_file():
    data = pd.read_csv(SHARE_FILE).set_index("year")["value"]
    params = load_baseline("china").params
    nodes = working_age_nodes()
    assert [int(name.rsplit(" ", 1)[1]) for name in nodes] == [
        2005,
        2010,
        2015,
        2022,
        2030,
        2040,
        2050,
    ]
    for name in nodes:
        year = int(name.rsplit(" ", 1)[1])
        value = params.get(name, engine().defaults[name])
        assert value == pytest.approx(data.loc[year]), name


def test_working_age_share_passes_through_the_data_and_sets_labour():
    data = pd.read_csv(SHARE_FILE).set_index("year")["value"]
    frame = simulate(
        variables=["Working age share", "Labour index", "Population", "Reference population"]
    ).frame
    for year in (2005, 2010, 2015, 2022, 2030, 2040, 2050):
        assert frame.loc[year, "Working age share"] == pytest.approx(data.loc[year])
    # straight lines between the nodes stay close to every yearly value of the data
    years = [y for y in data.index if 2005 <= y <= 2050]
    gaps = (frame.loc[years, "Working age share"] - data.loc[years]).abs()
    assert gaps.max() < 1.2
    # labour = population x share relative to 2005: it falls faster than population after 2015
    expected = (
        frame["Population"]
        / frame["Reference population"]
        * frame["Working age share"]
        / data.loc[2005]
    )
    pd.testing.assert_series_equal(frame["Labour index"], expected, check_names=False, rtol=1e-9)
    assert (
        frame.loc[2050, "Labour index"]
        < frame.loc[2050, "Population"] / frame.loc[2005, "Population"]
    )


def test_a_shock_leaves_a_scar_of_its_persistent_share():
    shock = Scenario.from_levers({"future_shock_switch": 1, "future_shock_year": 2030})
    persistent = load_baseline("china").params["Persistent share of shock loss"]
    size = simulate(shock, variables=["Future shock size"]).frame.loc[2030, "Future shock size"]
    loss = simulate(shock, variables=["Shock output loss"]).frame["Shock output loss"]
    history = simulate(Scenario(), variables=["Shock output loss"]).frame["Shock output loss"]
    extra = loss - history  # the 2020 shock is in both
    assert extra.loc[2030] == pytest.approx(size, rel=1e-6)
    # long after the recovery time only the scar is left
    assert extra.loc[2050] == pytest.approx(persistent * size, rel=1e-3)
    # with no persistent share the loss fades away
    healed = simulate(
        shock, variables=["Shock output loss"], params={"Persistent share of shock loss": 0}
    ).frame["Shock output loss"]
    healed_history = simulate(
        Scenario(), variables=["Shock output loss"], params={"Persistent share of shock loss": 0}
    ).frame["Shock output loss"]
    assert (healed - healed_history).loc[2050] < 1e-6


def test_government_capability_builds_on_itself():
    columns = [
        "Digital Government Capability",
        "Government learning effect",
        "Government capability building",
        "Government building rate",
        "E government spending effect",
        "Society demand for e government",
    ]
    frame = simulate(variables=columns).frame
    pace = frame["Government capability building"] / (
        (1 - frame["Digital Government Capability"])
        * frame["E government spending effect"]
        * frame["Society demand for e government"]
        * frame["Government building rate"]
    )
    # the pace per unit of gap is the capability already built (logistic diffusion)
    pd.testing.assert_series_equal(
        pace, frame["Digital Government Capability"], check_names=False, rtol=1e-9
    )
    loops = {loop.code: loop for loop in load_loops()}
    assert loops["R7"].polarity == "reinforcing"
    assert "Government learning effect" in loops["R7"].variables


def test_growth_bound_is_measured_where_levers_act_and_history_is_reported():
    assert corners.first_policy_year() == 2025
    scan = corners.scan({"baseline": {}})
    assert scan.growth.detail.startswith("in ") and int(scan.growth.detail[3:]) >= 2025
    assert int(scan.history_growth.detail[3:]) < 2025
    # history is the calibrated fit: China grew fast in 2006-2007, the model does too
    assert scan.history_growth.value > scan.growth.value
