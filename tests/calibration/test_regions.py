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
    # labour: the UN's projected share aged 15-64 from 2022, held at its 2022 share before
    projected = pd.read_csv(DATA_DIR / "all_countries_working_age_share.csv")
    indonesia = projected[projected.iso3 == "IDN"].set_index("year")["value"]
    nodes = {int(name.rsplit(" ", 1)[1]): setup.fixed[name] for name in working_age_nodes()}
    assert {year: nodes[year] for year in (2022, 2030, 2040, 2050)} == pytest.approx(
        {year: indonesia[year] for year in (2022, 2030, 2040, 2050)}
    )
    assert nodes[2005] == nodes[2010] == nodes[2015] == pytest.approx(indonesia[2022])
    assert any("World Population Prospects 2022" in note for note in setup.notes)
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


def test_projected_working_age_shares_cover_every_country_that_can_be_fitted():
    projected = pd.read_csv(DATA_DIR / "all_countries_working_age_share.csv")
    fittable = list_regions()
    fittable = set(fittable[fittable["can fit"]].index)
    years = projected.groupby("iso3")["year"].apply(set)
    assert fittable <= set(years.index)
    assert all(years[code] == set(range(2022, 2051)) for code in fittable)
    assert projected["value"].between(40, 90).all()  # Qatar and the Emirates: 84 %
    # the same UN rows as China's own file, from 2022 on
    china = pd.read_csv(DATA_DIR / "china_working_age_share.csv").set_index("year")["value"]
    ours = projected[projected.iso3 == "CHN"].set_index("year")["value"]
    assert ours.to_dict() == pytest.approx(china.loc[2022:].to_dict())


def test_a_region_without_projections_keeps_one_share(monkeypatch):
    from calibration import country

    monkeypatch.setattr(
        country,
        "_projected_shares",
        lambda: pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=["iso3", "year"])),
    )
    nodes, note = country._working_age("ZZZ", engine().defaults)
    assert len(set(nodes.values())) == 1
    assert "labour follows total population" in note
