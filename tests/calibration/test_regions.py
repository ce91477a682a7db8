"""Regions: a country's levels from its own data, its fit, and runs from the result."""

import math
import random

import pandas as pd
import pytest

from calibration.atlas import build_atlas, implausible, summary
from calibration.country import list_regions, region, working_age_nodes
from calibration.series import DATA_DIR
from flywheel import InputError
from flywheel.baselines import load_baseline
from flywheel.cli import main
from flywheel.simulate import engine


def world_bank(file, iso3):
    frame = pd.read_csv(DATA_DIR / file)
    return frame[frame.iso3 == iso3].set_index("year")["value"]


def test_levels_come_from_the_countrys_own_data():
    setup = region("IDN")
    population = world_bank("all_countries_population.csv", "IDN")
    usd = world_bank("all_countries_gdp_usd.csv", "IDN")
    lcu = world_bank("selected_countries_gdp_lcu.csv", "IDN")
    assert setup.currency == "rupiah"
    assert setup.fixed["Reference population"] == pytest.approx(population.loc[2005] / 1e6)
    assert setup.fixed["US dollars per local currency unit"] == pytest.approx(
        usd.loc[2005] / lcu.loc[2005]
    )
    # the goalposts mean the same in 2005 US dollars as China's
    defaults = engine().defaults
    china_floor = defaults["Income floor"] * 1000 * defaults["US dollars per local currency unit"]
    rate = setup.fixed["US dollars per local currency unit"]
    assert setup.fixed["Income floor"] * 1000 * rate == pytest.approx(china_floor)
    # money scaled by 2005 GDP: the ratio between two amounts is China's (calibrated)
    china = load_baseline("china").params
    ratio = setup.fixed["Initial traditional capital"] / setup.fixed["Initial traditional output"]
    assert ratio == pytest.approx(
        china.get("Initial traditional capital", defaults["Initial traditional capital"])
        / china.get("Initial traditional output", defaults["Initial traditional output"])
    )
    # no age structure for other regions: labour follows population (one share everywhere)
    shares = {setup.fixed[name] for name in working_age_nodes()}
    assert len(working_age_nodes()) >= 2 and len(shares) == 1
    assert any("labour follows total population" in note for note in setup.notes)
    assert any("China's ratio" in name for name in setup.borrowed)
    assert {s.name for s in setup.series} == {
        "egdi",
        "internet_users",
        "population",
        "gdp_per_person_usd",
    }


def test_a_country_without_its_own_currency_data_is_modelled_in_dollars():
    setup = region("NGA")
    assert setup.currency == "US dollars"
    assert setup.fixed["US dollars per local currency unit"] == 1.0
    assert "GDP deflator growth" in {p.name for p in setup.params}


def test_too_little_data_is_refused_with_a_reason():
    with pytest.raises(InputError, match="too few observations"):
        region("NRU")
    assert main(["calibrate", "--region", "NRU", "--no-save"]) == 2


def test_a_random_country_reproduces_its_population_and_income(tmp_path, capsys):
    regions = list_regions()
    eligible = regions[(regions["egdi"] >= 5) & (regions["internet"] >= 10) & regions["can fit"]]
    iso3 = random.Random(2026).choice(sorted(eligible.index))
    out = tmp_path / "fit"
    assert main(["calibrate", "--region", iso3, "--out", str(out), "--no-save"]) == 0
    run = tmp_path / "run.csv"
    code = main(
        [
            "run",
            "--baseline",
            str(out / "result.json"),
            "--vars",
            "Population,GDP per person in US dollars",
            "--out",
            str(run),
        ]
    )
    assert code == 0
    frame = pd.read_csv(run, index_col="year")
    population = world_bank("all_countries_population.csv", iso3)
    usd = world_bank("all_countries_gdp_usd.csv", iso3)
    people = frame.loc[2023, "Population"] * 1e6
    assert people == pytest.approx(population.loc[2023], rel=0.03), iso3
    per_person = usd.loc[2023] / population.loc[2023]
    assert frame.loc[2023, "GDP per person in US dollars"] == pytest.approx(per_person, rel=0.15), (
        iso3
    )


def test_runs_show_the_regions_money_with_dollars_beside(capsys):
    assert main(["run", "--region", "deu"]) == 0
    out = capsys.readouterr().out
    assert "tn euros" in out and "thousand euros" in out and "US dollars" in out
    assert "yuan" not in out


def test_regions_lists_what_can_be_fitted(capsys):
    assert main(["regions"]) == 0
    out = capsys.readouterr().out
    assert "Saved baselines: china, deu" in out and "IDN" in out and "NRU" not in out
    assert main(["regions", "--all"]) == 0
    assert "NRU" in capsys.readouterr().out


def test_an_implausible_fit_is_not_saved(tmp_path, monkeypatch, capsys):
    import calibration.atlas
    from flywheel import baselines

    monkeypatch.setattr(baselines, "CALIBRATED_DIR", tmp_path / "calibrated")
    monkeypatch.setattr(calibration.atlas, "implausible", lambda frame: "adoption collapses")
    assert main(["calibrate", "--region", "MLT", "--out", str(tmp_path / "out")]) == 1
    assert "Not saved as a baseline: the fitted path is implausible (adoption collapses)" in (
        capsys.readouterr().out
    )
    assert not (tmp_path / "calibrated").exists()


def test_implausible_paths_are_recognised():
    years = list(range(2005, 2011))
    steady = pd.DataFrame({"Digital Capital": [1, 1.1, 1.2, 1.3, 1.4, 1.5]}, index=years)
    assert implausible(steady) is None
    crash = pd.DataFrame({"Digital Society Adoption": [0.9, 0.8, 0.6, 0.4, 0.4, 0.4]}, index=years)
    assert "Digital Society Adoption falls by half" in implausible(crash)


def test_the_atlas_has_a_row_per_country_and_series_and_a_summary():
    atlas = build_atlas(["MLT", "NRU"], workers=2)
    assert set(atlas["region"]) == {"MLT", "NRU"}
    assert atlas[atlas.region == "NRU"]["status"].iloc[0].startswith("refused: ")
    fitted = atlas[atlas.region == "MLT"]
    assert set(fitted["series"]) == {"egdi", "internet_users", "population", "gdp_per_person_usd"}
    assert all(math.isfinite(v) for v in fitted["R2"])
    table = summary(atlas)
    assert list(table.columns) == [
        "countries",
        "R2_median",
        "R2_worst",
        "MAPE_median",
        "MAPE_worst",
    ]


def test_region_fits_stop_at_the_region_tolerance(monkeypatch, tmp_path, capsys):
    """Countries stop when the cost improves by < 1e-5 of itself (China keeps scipy's 1e-8)."""
    import calibration.atlas
    import calibration.fit
    from calibration.fit import DEFAULT_TOLERANCE, REGION_TOLERANCE

    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs.get("tolerance", DEFAULT_TOLERANCE))
        raise ValueError("stop here")

    monkeypatch.setattr(calibration.atlas, "calibrate", spy)
    monkeypatch.setattr(calibration.fit, "calibrate", spy)
    assert calibration.atlas.fit_region("MLT")[0]["status"].startswith("refused: stop here")
    with pytest.raises(ValueError):
        main(["calibrate", "--region", "MLT", "--no-save", "--out", str(tmp_path)])
    with pytest.raises(ValueError):
        main(["calibrate", "--no-save", "--out", str(tmp_path)])
    assert seen == [REGION_TOLERANCE, REGION_TOLERANCE, DEFAULT_TOLERANCE]
