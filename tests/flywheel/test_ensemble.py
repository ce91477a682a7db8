"""Ensembles: posterior draws inside the ranges, CSV files, members reproducible one by one."""

import re

import numpy as np
import pandas as pd
import pytest

from flywheel import InputError, simulate
from flywheel.baselines import load_baseline
from flywheel.cli import main
from flywheel.ensemble import Posterior, posterior, run_ensemble


def test_draws_stay_inside_the_ranges():
    spread = posterior()
    draws, redrawn = spread.sample(5000, seed=3)
    assert len(draws) == 5000 and redrawn > 0  # some draws of this fit fall outside
    for index, name in enumerate(spread.names):
        assert draws[name].between(spread.low[index], spread.high[index]).all()
    for name, value in spread.held.items():
        assert (draws[name] == value).all()


def test_without_truncation_the_draws_have_the_estimated_covariance():
    spread = posterior()
    wide = Posterior(
        spread.names,
        spread.mean,
        spread.covariance,
        spread.mean - 100 * np.sqrt(np.diag(spread.covariance)),
        spread.mean + 100 * np.sqrt(np.diag(spread.covariance)),
    )
    draws, redrawn = wide.sample(20_000, seed=3)
    assert redrawn == 0
    sd = np.sqrt(np.diag(spread.covariance))
    assert (np.abs(draws.mean().to_numpy() - spread.mean) < 0.05 * sd).all()
    assert (np.abs(draws.std().to_numpy() / sd - 1) < 0.05).all()
    empirical = np.corrcoef(draws.to_numpy().T)
    expected = spread.covariance / np.outer(sd, sd)
    assert np.abs(empirical - expected).max() < 0.05


def test_the_same_seed_gives_the_same_members():
    a, _ = posterior().sample(20, seed=5)
    b, _ = posterior().sample(20, seed=5)
    c, _ = posterior().sample(20, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_held_constants_are_those_that_ended_on_a_bound():
    baseline = load_baseline(None)
    held = posterior().held
    assert held and all(baseline.info["std_errors"][name] is None for name in held)


def test_an_uncalibrated_baseline_has_no_posterior():
    with pytest.raises(InputError, match="no standard errors"):
        posterior("model")


def test_member_count_is_checked():
    with pytest.raises(InputError, match="between 1 and 100,000"):
        posterior().sample(0)


def test_ensemble_files_and_three_members_rerun_one_by_one(tmp_path, capsys):
    assert main(["ensemble", "--members", "1000", "--seed", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1,000 members drawn" in out and "Held at their estimates" in out
    members = pd.read_csv(tmp_path / "members.csv", index_col="member")
    trajectories = pd.read_csv(tmp_path / "trajectories.csv")
    assert len(members) == 1000 and list(trajectories.columns[:2]) == ["member", "year"]
    assert len(trajectories) == 1000 * 46
    for member in np.random.default_rng(11).choice(1000, size=3, replace=False):
        params = members.loc[member].to_dict()
        expected = simulate(params=params).frame
        got = trajectories[trajectories["member"] == member].set_index("year")[expected.columns]
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)


def test_run_with_uncertainty_prints_ordered_ranges(capsys):
    assert main(["run", "--uncertainty", "200", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("GDP per capita (thousand"))
    for mid, low, high in re.findall(r"([\d.,]+) \[([\d.,]+)-([\d.,]+)\]", line):
        mid, low, high = (float(v.replace(",", "")) for v in (mid, low, high))
        assert low <= mid <= high and low < high


def test_bands_widen_with_the_horizon():
    band = run_ensemble(300, seed=4).band("GDP per capita")
    width = (band[0.95] - band[0.05]) / band[0.5]
    assert width.loc[2050] > width.loc[2030] > 0
