"""Fitting: recovery of known parameters, honest failure, reproducibility, statistics."""

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
    observed = series[0].observations.values
    noise_sd = 0.004 / (np.mean(np.abs(observed)) * series[0].error)  # standardised noise
    assert np.all(np.abs(residuals) < 4 * noise_sd)


def test_a_prior_holds_what_the_data_cannot_move_and_yields_to_what_they_can():
    data = synthetic_series()
    strong = Param("Initial digital government", 0.25, 0.6, 0.42, "test", prior=0.5, prior_sd=1e-4)
    weak = Param("Initial digital government", 0.25, 0.6, 0.42, "test", prior=0.5, prior_sd=1.0)
    rate = PARAMS[0]
    held = calibrate(data, [rate, strong], baseline="model")
    moved = calibrate(data, [rate, weak], baseline="model")
    assert held.params["Initial digital government"] == pytest.approx(0.5, abs=1e-3)
    assert moved.params["Initial digital government"] == pytest.approx(0.35, rel=0.06)
    objective = Objective(data, [rate, strong], baseline="model")
    values = {"Government building rate": 0.1, "Initial digital government": 0.5002}
    assert objective.prior_residuals(values) == pytest.approx([2.0])


def test_params_file_gives_every_parameter_a_prior_with_a_source():
    for param in load_params():
        assert param.has_prior, param.name
        assert param.low <= param.prior <= param.high, param.name
        assert len(param.source) > 20, param.name


def test_objective_is_finite_at_corners_of_the_bounds():
    """All-low, all-high, each parameter alone at each end, and 48 random corners (2^16 in all)."""
    params = load_params()
    objective = Objective(load_series(), params)
    n = len(params)
    corners = [np.zeros(n), np.ones(n)]
    for i in range(n):
        for end, rest in ((1.0, 0.0), (0.0, 1.0)):
            corner = np.full(n, rest)
            corner[i] = end
            corners.append(corner)
    rng = np.random.default_rng(7)
    corners += [rng.integers(0, 2, n).astype(float) for _ in range(48)]
    for corner in corners:
        assert np.all(np.isfinite(objective(corner))), corner


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


def test_batched_residuals_and_jacobian_equal_one_run_at_a_time():
    from scipy.optimize._numdiff import approx_derivative

    objective = Objective(load_series(), load_params())
    x = objective.normalise({p.name: p.initial for p in load_params()})
    points = np.vstack([x, np.clip(x + 0.05, 0, 1), np.clip(x - 0.05, 0, 1)])
    batched = objective.batch(points)
    for row, point in zip(batched, points, strict=True):
        np.testing.assert_allclose(row, objective(point), rtol=1e-9, atol=1e-12)
    jacobian = objective.jacobian(x)
    # scipy's own 2-point scheme with the same relative step, one pysd run per column
    reference = approx_derivative(objective, x, method="2-point", rel_step=1e-4, bounds=(0.0, 1.0))
    np.testing.assert_allclose(jacobian, reference, rtol=1e-5, atol=1e-6)


def test_a_step_past_the_upper_bound_is_taken_inwards():
    objective = Objective(load_series(only=["egdi"]), PARAMS, baseline="model")
    x = np.array([1.0, 0.5])
    jacobian = objective.jacobian(x)
    assert np.isfinite(jacobian).all() and np.abs(jacobian[:, 0]).max() > 0


def test_a_population_member_that_breaks_the_model_costs_infinity(monkeypatch):
    objective = Objective(load_series(only=["egdi"]), PARAMS, baseline="model")
    real = objective.batch

    def with_a_broken_member(points):
        rows = real(points)
        rows[1, 0] = np.nan
        return rows

    monkeypatch.setattr(objective, "batch", with_a_broken_member)
    costs = objective.costs(np.array([[0.2, 0.4, 0.6], [0.5, 0.5, 0.5]]))
    assert np.isfinite(costs[[0, 2]]).all() and costs[1] == np.inf


def test_the_report_says_what_the_data_can_identify():
    from calibration.report import text_report

    result = calibrate(synthetic_series(), PARAMS, baseline="model")
    ident = result.identifiability
    assert ident["observations"] == 9 and ident["constants"] == 2 and ident["with_priors"] == 0
    assert ident["jacobian_rank"] == 2 and 1 <= ident["condition_number"] < 1e6
    assert "9 observations for 2 constants" in text_report(result)
    assert result.to_dict()["identifiability"]["jacobian_rank"] == 2


def test_fewer_observations_than_constants_are_refused():
    from flywheel import InputError

    three_points = synthetic_series(years=[2006, 2010, 2014])
    params = PARAMS + [
        Param("Adoption innovation rate", 0.001, 0.3, 0.02, "test"),
        Param("Catch up rate", 0.0, 0.08, 0.02, "test"),
    ]
    with pytest.raises(InputError, match="3 observations cannot identify 4 constants"):
        calibrate(three_points, params, baseline="model")


def test_a_constant_the_data_cannot_see_is_held_and_the_rest_refitted():
    from calibration.report import text_report

    # the population's decline after a peak in 2150 never reaches the 2006-2022 EGDI data
    invisible = Param("Population width after peak", 10.0, 400.0, 100.0, "test")
    fixed = {"Peak population year": 2150.0}
    result = calibrate(synthetic_series(), [*PARAMS, invisible], baseline="model", fixed=fixed)
    alone = calibrate(synthetic_series(), PARAMS, baseline="model", fixed=fixed)
    assert result.success
    assert result.held == {
        "Population width after peak": {
            "value": 100.0,
            "basis": "its starting value 100 (no published prior)",
        }
    }
    assert result.params["Population width after peak"] == 100.0
    for name in TRUE:
        assert result.params[name] == pytest.approx(alone.params[name], rel=1e-3)
    assert "'Population width after peak' is not identified" in result.warnings[0]
    assert result.identifiability["held"] == ["Population width after peak"]
    assert result.fixed == fixed  # the held constant is a result, not one of the region's levels
    assert "held" in text_report(result).split("Population width after peak")[1].splitlines()[0]


def test_a_held_constant_with_a_prior_keeps_its_prior():
    invisible = Param(
        "Population width after peak", 10.0, 400.0, 100.0, "test", prior=120.0, prior_sd=30.0
    )
    fixed = {"Peak population year": 2150.0}
    result = calibrate(synthetic_series(), [*PARAMS, invisible], baseline="model", fixed=fixed)
    # its prior residual alone identifies it: it is fitted to the prior, not held
    assert result.params["Population width after peak"] == pytest.approx(120.0, rel=1e-3)


def test_a_series_too_short_to_tell_level_from_trend_is_refused_by_name():
    from flywheel import InputError

    with pytest.raises(InputError, match=r"egdi: 2 observations \(2006-2008\)"):
        calibrate(synthetic_series(years=[2006, 2008]), PARAMS[:1], baseline="model")
    with pytest.raises(InputError, match=r"egdi: 3 observations \(2006-2008\)"):
        calibrate(synthetic_series(years=[2006, 2007, 2008]), PARAMS[:1], baseline="model")


def test_standard_errors_of_directions_the_data_cannot_see_are_infinite():
    invisible = Param("Population width after peak", 10.0, 400.0, 100.0, "test")
    objective = Objective(
        synthetic_series(),
        [*PARAMS, invisible],
        baseline="model",
        fixed={"Peak population year": 2150.0},
    )
    from calibration.fit import _uncertainty

    x = objective.normalise({**TRUE, "Population width after peak": 100.0})
    std_errors, _, _ = _uncertainty(objective, objective.jacobian(x), objective(x), x)
    assert std_errors["Population width after peak"] == np.inf
    assert all(np.isfinite(std_errors[name]) for name in TRUE)


def test_a_weakly_identified_constant_is_held_at_its_prior_only_if_it_has_one():
    fixed = {"Peak population year": 2150.0}
    # a weak prior on a constant the data cannot see: its error stays wide, it is held
    weak = Param(
        "Population width after peak", 10.0, 400.0, 100.0, "test", prior=120.0, prior_sd=1e4
    )
    result = calibrate(synthetic_series(), [*PARAMS, weak], baseline="model", fixed=fixed)
    assert result.held["Population width after peak"]["value"] == 120.0
    assert result.held["Population width after peak"]["basis"].startswith("its prior 120")
    # without a prior, a wide but finite error is a trade-off: fitted and warned, not held
    from calibration.fit import _unidentified

    class Wide:
        std_errors = {"Government building rate": 0.2, "Initial digital government": 0.3}

    assert _unidentified(Wide, PARAMS) == []
    prior = Param("Government building rate", 0.02, 0.3, 0.09, "t", prior=0.1, prior_sd=1.0)
    assert [p.name for p in _unidentified(Wide, [prior, PARAMS[1]])] == ["Government building rate"]


def test_speculating_reuses_the_batch_and_finds_the_same_optimum():
    """A trial point and its Jacobian's perturbations are one batch; the fit ends in the
    same place as with one pysd run per trial point."""
    series = synthetic_series()
    plain = Objective(series, PARAMS, baseline="model")
    ahead = Objective(series, PARAMS, baseline="model", speculate=True)
    sizes = []
    batch = ahead.batch
    ahead.batch = lambda points: sizes.append(len(points)) or batch(points)
    x = plain.normalise({"Government building rate": 0.1, "Initial digital government": 0.4})
    residuals = ahead(x)
    jacobian = ahead.jacobian(x)
    assert sizes == [len(PARAMS) + 1]  # the accepted point's Jacobian costs no run
    np.testing.assert_allclose(residuals, plain(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(jacobian, plain.jacobian(x), rtol=1e-9, atol=1e-9)
    ahead.jacobian(np.clip(x + 0.1, 0, 1))  # elsewhere it runs its own batch
    assert len(sizes) == 2
    first = calibrate(series, PARAMS, baseline="model")
    second = calibrate(series, PARAMS, baseline="model", speculate=True)
    assert second.objective == pytest.approx(first.objective, rel=1e-6)
    for name, value in first.params.items():
        assert second.params[name] == pytest.approx(value, rel=1e-4), name


def test_the_objective_runs_to_the_last_observation_and_no_further():
    """A fit's runs stop at its data's last year: its residuals are a whole run's."""
    series = synthetic_series(years=range(2006, 2020, 2))
    objective = Objective(series, PARAMS)
    values = {p.name: p.initial for p in PARAMS}
    assert objective.until == 2018
    assert objective.run(values).index[-1] == 2018
    whole = simulate(variables=["Digital Government Capability"], params=values).frame
    expected = objective._residuals(whole, values)
    np.testing.assert_allclose(objective(objective.normalise(values)), expected, rtol=1e-12)
    x = objective.normalise(values)
    np.testing.assert_allclose(objective.batch(x[None, :])[0], expected, rtol=1e-9)


def _capped_rate(prior, prior_sd):
    """The building rate with a range that stops short of its true value (0.12)."""
    return Param(
        "Government building rate", 0.02, 0.11, 0.09, "test", prior=prior, prior_sd=prior_sd
    )


def test_an_estimate_the_data_push_onto_a_bound_says_so():
    """The data want 0.12, the range stops at 0.11: held at its prior (0.05) instead, the
    data's misfit rises far beyond noise, and the report says the data put it there."""
    data = synthetic_series()
    params = [_capped_rate(0.05, 0.05), PARAMS[1]]
    result = calibrate(data, params, baseline="model", check_bounds=True)
    assert result.params["Government building rate"] == pytest.approx(0.11, abs=1e-4)
    (check,) = result.bound_checks
    assert check["name"] == "Government building rate" and check["bound"] == "upper"
    assert check["rise"] > 3.84 and "the data, not the range" in check["verdict"]
    assert any("the data, not the range" in w for w in result.warnings)
    assert check["series"]["egdi"]["R2_at_prior"] < check["series"]["egdi"]["R2"]
    # the misfit is the data's own: the squared standardised residuals, priors left out
    objective = Objective(data, params, baseline="model")
    residuals = objective(objective.normalise(result.params))
    assert check["misfit"] == pytest.approx(float(np.sum(residuals[: len(residuals) - 1] ** 2)))


def test_an_estimate_on_a_bound_next_to_its_prior_is_not_called_evidence():
    """Its prior sits just inside the bound: holding it there costs the data nothing
    worth the name, and the report says the bound is not evidence."""
    data = synthetic_series()
    result = calibrate(
        data, [_capped_rate(0.1099, 0.05), PARAMS[1]], baseline="model", check_bounds=True
    )
    (check,) = result.bound_checks
    assert 0 <= check["rise"] < 3.84
    assert "the bound is not evidence" in check["verdict"]


def test_bounds_are_checked_only_when_asked():
    result = calibrate(synthetic_series(), [_capped_rate(0.05, 0.05), PARAMS[1]], baseline="model")
    assert result.bound_checks == []
    assert any("ended at a bound" in w for w in result.warnings)
