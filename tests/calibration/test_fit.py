"""Fitting: recovery of known parameters, honest failure, reproducibility, statistics."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from calibration.fit import NonFiniteObjective, Objective, calibrate
from calibration.loader import Observations
from calibration.series import Param, Series, load_params, load_series
from calibration.stats import fit_statistics
from flywheel import simulate

TRUE = {"Government building rate": 0.12, "Initial digital government": 0.35}
PARAMS = [
    Param("Government building rate", 0.02, 0.3, 0.09, "test"),
    Param("Initial digital government", 0.25, 0.6, 0.42, "test"),
]


def synthetic_series(seed=0, noise=0.004, years=range(2006, 2024, 2)):
    """EGDI-like data made by the model itself with known parameters plus seeded noise."""
    frame = simulate(
        variables=["Digital Government Capability"], params=TRUE, baseline="model"
    ).frame
    rng = np.random.default_rng(seed)
    years = list(years)
    values = frame.loc[years, "Digital Government Capability"].to_numpy() + rng.normal(
        0, noise, len(years)
    )
    observed = Observations(
        "egdi", pd.Series(values, index=pd.Index(years, name="year")), "index", "synthetic"
    )
    return [Series("egdi", "synthetic EGDI", "Digital Government Capability", 1.0, 1.0, observed)]


@pytest.mark.parametrize("method", ["local", "global"])
def test_known_parameters_are_recovered(method):
    result = calibrate(synthetic_series(), PARAMS, method=method, seed=3, baseline="model")
    assert result.success, result.message
    for name, value in TRUE.items():
        assert result.params[name] == pytest.approx(value, rel=0.06), name
        assert abs(result.params[name] - value) < 4 * result.std_errors[name]
    assert result.statistics["egdi"]["fit"]["R2"] > 0.98


def test_same_seed_same_result():
    first = calibrate(synthetic_series(), PARAMS, method="global", seed=11, baseline="model")
    second = calibrate(synthetic_series(), PARAMS, method="global", seed=11, baseline="model")
    assert first.params == second.params and first.objective == second.objective


def test_missing_years_are_ignored_not_zero_filled():
    series = synthetic_series(years=[2006, 2013, 2021])
    objective = Objective(series, PARAMS, baseline="model")
    residuals = objective(objective.normalise(TRUE))
    assert len(residuals) == 3  # one residual per observation, none for the gaps
    assert np.all(np.abs(residuals) < 0.05)


def test_objective_is_finite_at_every_corner_of_the_bounds():
    params = load_params()
    objective = Objective(load_series(), params)
    for corner in itertools.product((0.0, 1.0), repeat=len(params)):
        assert np.all(np.isfinite(objective(np.array(corner)))), corner


def test_holdout_fits_early_years_and_reports_later_ones():
    result = calibrate(
        synthetic_series(years=range(2006, 2024)), PARAMS, holdout=2018, baseline="model"
    )
    stats = result.statistics["egdi"]
    assert stats["fit"]["n"] == 13 and stats["holdout"]["n"] == 5
    assert stats["holdout"]["MAPE"] < 5


def test_non_finite_model_is_reported_as_failure(monkeypatch):
    def broken(self, x):
        raise NonFiniteObjective("the model gave non-finite values")

    monkeypatch.setattr(Objective, "__call__", broken)
    result = calibrate(synthetic_series(), PARAMS, baseline="model")
    assert not result.success and "non-finite" in result.message
    assert json.dumps(result.to_dict(), allow_nan=False)


def test_correlated_parameters_are_warned_about():
    params = load_params()
    result = calibrate(load_series(), params, max_evaluations=400)
    assert result.success
    assert any("correlated" in warning or "bound" in warning for warning in result.warnings)
    for row in result.correlations.values():
        for value in row.values():
            assert np.isnan(value) or -1 <= value <= 1


def test_theil_components_sum_to_one():
    rng = np.random.default_rng(1)
    observed = rng.uniform(1, 10, 30)
    simulated = observed * 1.1 + rng.normal(0, 0.5, 30) + 0.3
    stats = fit_statistics(simulated, observed)
    assert stats["UM"] + stats["US"] + stats["UC"] == pytest.approx(1.0)
    assert stats["R2"] < 1 and stats["MAPE"] > 0
    perfect = fit_statistics(observed, observed)
    assert perfect["R2"] == 1 and perfect["RMSE"] == 0 and perfect["UM"] == 0
