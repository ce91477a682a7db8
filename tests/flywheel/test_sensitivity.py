"""Sensitivity: Sobol and Morris over the batch engine, and the tornado's one-at-a-time swings."""

import numpy as np
import pandas as pd
import pytest

from flywheel import InputError, Scenario, simulate
from flywheel.cli import main
from flywheel.ensemble import posterior
from flywheel.sensitivity import analyse, factors, parse_outputs, swings

GDP = ("GDP per capita", 2050)


@pytest.fixture(scope="module")
def sobol():
    return analyse("sobol", "constants", samples=256, outputs=[GDP], seed=2)


def test_sobol_indices_are_consistent(sobol):
    table = sobol.indices[GDP]
    assert sobol.runs == 256 * (len(sobol.factors) + 2)
    assert set(table.columns) == {"S1", "S1_conf", "ST", "ST_conf"}
    assert (table["ST"] >= -0.02).all() and table["S1"].sum() <= 1.05
    assert (table["ST"] + table["ST_conf"] >= table["S1"] - table["S1_conf"]).all()
    # the constants explain the variance; interactions (catch-up speed times the initial
    # technology gap) add some, within the sampling error of N = 256
    assert table["ST"].sum() >= 0.8
    assert (table["ST"] - table["ST_conf"]).sum() <= 1.5


def test_sobol_and_the_tornado_agree_on_what_matters_most(sobol):
    tornado = swings(GDP)
    constants = tornado[tornado["kind"] == "uncertain constant"]
    ranking = sobol.ranking(GDP)
    top, tornado_top = ranking.index[0], constants.iloc[0]["factor"]
    # the tornado's strongest constant is Sobol's strongest, or indistinguishable from it
    # at this sample size (their confidence intervals overlap)
    assert tornado_top in ranking.index[:3]
    table = sobol.indices[GDP]
    upper = table.loc[tornado_top, "ST"] + table.loc[tornado_top, "ST_conf"]
    assert upper >= table.loc[top, "ST"] - table.loc[top, "ST_conf"]
    # shocks of the past barely move 2050 income
    assert sobol.indices[GDP].loc["Shock recovery time", "ST"] < 0.01


def test_morris_runs_r_times_factors_plus_one():
    result = analyse("morris", "levers", samples=8, outputs=[GDP], seed=1)
    assert result.runs == 8 * (len(factors("levers")) + 1)
    table = result.ranking(GDP)
    assert list(table.columns) == ["mu_star", "mu_star_conf", "sigma"]
    assert (table["mu_star"] >= 0).all() and table["mu_star"].iloc[0] > 0


def test_constant_ranges_are_two_standard_errors_inside_the_calibration_range():
    spread = posterior()
    sd = np.sqrt(np.diag(spread.covariance))
    for factor in factors("constants"):
        index = spread.names.index(factor.name)
        assert factor.low == pytest.approx(
            max(spread.low[index], spread.mean[index] - 2 * sd[index])
        )
        assert factor.high <= spread.high[index]
    assert {f.kind for f in factors("both")} == {"constant", "lever"}


def test_swings_are_the_output_with_one_factor_moved():
    levers = {"public_investment": 6}
    table = swings(GDP, levers)
    row = table[table["factor"] == "Public digital investment"].iloc[0]
    centre = simulate(Scenario.from_levers(levers)).frame.loc[2050, "GDP per capita"]
    at_max = simulate(Scenario.from_levers({"public_investment": 15})).frame.loc[
        2050, "GDP per capita"
    ]
    assert table.attrs["centre"] == pytest.approx(centre, rel=1e-9)
    assert row["at high"] == pytest.approx(at_max - centre, rel=1e-9)
    assert table["swing"].is_monotonic_decreasing


def test_bad_requests_are_refused():
    with pytest.raises(InputError, match="power of two"):
        analyse("sobol", samples=1000)
    with pytest.raises(InputError, match="choose one of"):
        analyse("anova")
    with pytest.raises(InputError, match="not a result"):
        parse_outputs("Capital elasticity@2050")
    with pytest.raises(InputError, match="whole number"):
        parse_outputs("GDP@soon")
    assert parse_outputs("GDP per capita@2035, Digital Society Adoption") == [
        ("GDP per capita", 2035),
        ("Digital Society Adoption", 2050),
    ]


def test_cli_writes_the_indices(tmp_path, capsys):
    target = tmp_path / "indices.csv"
    code = main(
        [
            "sensitivity",
            "--method",
            "morris",
            "--samples",
            "4",
            "--factors",
            "levers",
            "--outputs",
            "GDP per capita@2035",
            "--out",
            str(target),
        ]
    )
    assert code == 0
    assert "Morris mu*" in capsys.readouterr().out
    table = pd.read_csv(target)
    assert set(table["output"]) == {"GDP per capita"} and set(table["year"]) == {2035}
    assert main(["sensitivity", "--outputs", "nope"]) == 2
