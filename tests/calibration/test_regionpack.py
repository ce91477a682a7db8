"""Your own region: a Frictionless region folder, its checks, its fit and runs from it."""

import json

import frictionless
import pandas as pd
import pytest

from calibration.country import bundled_data
from calibration.loader import DataError
from calibration.regionpack import DESCRIPTOR, SPECS, read_region, slug, write_template
from calibration.series import DATA_DIR
from flywheel.cli import main


def _write(path, series, factor=1.0, header="year,value,source"):
    rows = "".join(f"{year},{value * factor:.12g},test\n" for year, value in series.items())
    path.write_text(header + "\n" + rows, encoding="utf-8")


def _set(folder, **changes):
    """Edit datapackage.json: ``resource__field=value`` or a top-level ``region`` object."""
    path = folder / DESCRIPTOR
    descriptor = json.loads(path.read_text())
    for key, value in changes.items():
        if "__" in key:
            name, field = key.split("__")
            resource = next(r for r in descriptor["resources"] if r["name"] == name)
            resource[field] = value
        else:
            descriptor[key] = value
    path.write_text(json.dumps(descriptor))


def korea_folder(folder, with_usd=False):
    """A region folder holding South Korea's bundled World Bank data in local units."""
    data = bundled_data("KOR")
    write_template(folder, "Korea test", "won", "" if with_usd else "KOR")
    _set(
        folder,
        population__unit="ten thousand people",
        gdp_local__unit="hundred million currency units",
        egov__unit="index 0-100",
    )
    _write(folder / "population.csv", data.population, 1e-4)
    _write(folder / "gdp_local_currency.csv", data.gdp_local, 1e-8)
    _write(folder / "e_government.csv", data.egov, 100)
    _write(folder / "internet_users.csv", data.internet)
    if with_usd:
        _write(folder / "gdp_usd.csv", data.gdp_usd)
    return data


def test_the_template_is_a_valid_frictionless_package_with_every_series(tmp_path):
    written = write_template(tmp_path / "zj", "Zhejiang", "yuan", "CHN")
    assert {p.name for p in written} == {DESCRIPTOR} | {spec.file for spec in SPECS}
    report = frictionless.validate(str(tmp_path / "zj" / DESCRIPTOR))
    assert report.valid, report.flatten(["type", "note"])
    descriptor = json.loads((tmp_path / "zj" / DESCRIPTOR).read_text())
    assert descriptor["title"] == "Zhejiang" and descriptor["region"]["currency"] == "yuan"
    for resource in descriptor["resources"]:
        assert resource["unit"] in resource["allowed_units"]
        assert [f["name"] for f in resource["schema"]["fields"]] == ["year", "value", "source"]
    for spec in SPECS:
        assert (tmp_path / "zj" / spec.file).read_text() == "year,value,source\n"
    with pytest.raises(DataError, match="already exists"):
        write_template(tmp_path / "zj")


def test_a_folder_reads_back_in_the_models_units(tmp_path):
    data = korea_folder(tmp_path)
    region = read_region(tmp_path)
    assert region.title == "Korea test" and region.code == "korea-test" and region.currency == "won"
    pd.testing.assert_series_equal(region.population, data.population, check_names=False, rtol=1e-9)
    pd.testing.assert_series_equal(region.gdp_local, data.gdp_local, check_names=False, rtol=1e-9)
    pd.testing.assert_series_equal(region.egov, data.egov, check_names=False, rtol=1e-9)
    # no US-dollar file: the currency country's rate, year by year, and its deflator
    assert region.gdp_usd.loc[2010] == pytest.approx(data.gdp_usd.loc[2010], rel=1e-9)
    assert not region.fit_usd and region.deflator is not None
    assert any("KOR's exchange rate" in note for note in region.notes)
    assert read_region(tmp_path, "Gyeonggi").code == "gyeonggi"


def _broken(tmp_path, file, text):
    korea_folder(tmp_path)
    (tmp_path / file).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (
            "population.csv",
            "year,value,source\n2005,4800,x\n2006,abc,x\n",
            r"population.csv, line 3, column 'value': 'abc' is not a number",
        ),
        (
            "population.csv",
            'year,value,source\n2005,4800,x\n2006,"4,812",x\n',
            r"line 3, column 'value': '4,812' has a thousands separator; write 4812",
        ),
        (  # frictionless reads Infinity as a number above any minimum; the model cannot use it
            "population.csv",
            "year,value,source\n2005,4800,x\n2006,Infinity,x\n",
            r"population.csv, line 3, column 'value': 'Infinity' is not a finite number",
        ),
        (
            "gdp_deflator_inflation.csv",
            "year,value,source\n2005,2.1,x\n2006,1e400,x\n",
            r"gdp_deflator_inflation.csv, line 3, column 'value': '1e400' is not a finite number",
        ),
        (
            "population.csv",
            "year,value,source\n1999,4800,x\n2005,4800,x\n",
            r"line 2, column 'year': 1999 is outside the model's years 2005-2050",
        ),
        (
            "population.csv",
            "year,value,source\n2005,4800,x\n2005,4801,x\n",
            r"population.csv, line 3, column 'year': this year appears twice",
        ),
        (
            "population.csv",
            "year,value,source\n2005,4800,x\n2006,4801,x,extra\n",
            r"population.csv, line 3: an extra cell",
        ),
        (
            "population.csv",
            "year,value,source\n2005,4800,x\n2006,-3,x\n",
            r"line 3, column 'value': -3 is outside the allowed range 0 to inf \(ten thousand people\)",
        ),
        (
            "e_government.csv",
            "year,value,source\n2010,87,x\n2012,101,x\n",
            r"e_government.csv, line 3, column 'value': 101 is outside the allowed range 0 to 100 "
            r"\(index 0-100\)",
        ),
        (
            "population.csv",
            "year,value,source\n2006,4800,x\n2007,4801,x\n",
            r"population.csv: no value for 2005",
        ),
        ("population.csv", "year,value,source\n", r"population.csv: no observations"),
        (
            "population.csv",
            "Year;Value\n2005;4800\n",
            r"population.csv, line 1: header is Year;Value; expected year,value,source",
        ),
        (
            "population.csv",
            "year,value,source\n2006,4800,x\n2005,4801,x\n",
            r"population.csv: sort the rows by year",
        ),
    ],
)
def test_bad_files_get_one_line_naming_file_line_and_column(tmp_path, file, text, message):
    _broken(tmp_path, file, text)
    with pytest.raises(DataError, match=message) as caught:
        read_region(tmp_path)
    assert "\n" not in str(caught.value)


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    korea_folder(tmp_path)
    (tmp_path / "population.csv").write_bytes(b"year,value,source\n2005,4800,M\xfcnchen\n")
    with pytest.raises(DataError, match=r"population.csv, line 2: not UTF-8"):
        read_region(tmp_path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"population__unit": "persons"}, r"resource 'population': unit 'persons' is not one of"),
        ({"population__path": "../population.csv"}, r"path must be 'population.csv'"),
        ({"population__path": "http://127.0.0.1:9/p.csv"}, r"path must be 'population.csv'"),
        ({"population__path": "/etc/passwd"}, r"path must be 'population.csv'"),
        ({"population__name": "people"}, r"name 'people' is not a series of the model"),
        ({"region": {"currency": ""}}, r"region.currency is empty"),
        ({"region": {"currency": "won"}}, r"gdp_usd.csv: empty, and region.currency_country"),
        (
            {"region": {"currency": "won", "currency_country": "XXX"}},
            r"currency_country 'XXX' is not one of",
        ),
        ({"resources": "all"}, r"'resources' must be a list"),
    ],
)
def test_bad_descriptors_are_refused_before_any_file_is_read(tmp_path, changes, message):
    korea_folder(tmp_path)
    _set(tmp_path, **changes)
    with pytest.raises(DataError, match=message):
        read_region(tmp_path)


def test_broken_json_and_missing_descriptor_are_named(tmp_path):
    korea_folder(tmp_path)
    (tmp_path / DESCRIPTOR).write_text("[" * 5000)
    with pytest.raises(DataError, match="nested 5000 levels deep"):
        read_region(tmp_path)
    (tmp_path / DESCRIPTOR).write_text('{"resources": [}')
    with pytest.raises(DataError, match=DESCRIPTOR):
        read_region(tmp_path)
    (tmp_path / DESCRIPTOR).unlink()
    with pytest.raises(DataError, match="flywheel region template"):
        read_region(tmp_path)


def test_a_built_in_name_cannot_be_taken(tmp_path):
    korea_folder(tmp_path)
    with pytest.raises(DataError, match="'china' is a built-in baseline"):
        read_region(tmp_path, "China")
    assert slug("Île-de-France") == "ile-de-france"


def test_cli_template_check_and_errors(tmp_path, capsys):
    folder = tmp_path / "zj"
    assert (
        main(
            [
                "region",
                "template",
                str(folder),
                "--name",
                "Zhejiang",
                "--currency",
                "yuan",
                "--currency-country",
                "chn",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Wrote 8 files" in out and "flywheel calibrate --data" in out and '"Zhejiang"' in out
    assert json.loads((folder / DESCRIPTOR).read_text())["region"]["currency_country"] == "CHN"
    assert main(["region", "check", str(folder)]) == 2
    assert "population.csv: no observations" in capsys.readouterr().err
    assert main(["calibrate", "--data", str(tmp_path), "--name", "X", "--no-save"]) == 2
    assert "--name goes with --data DIR, a region folder" in capsys.readouterr().err
    korea_folder(tmp_path / "kr")
    assert main(["region", "check", str(tmp_path / "kr")]) == 0
    out = capsys.readouterr().out
    assert "valid region folder for 'Korea test'" in out and "e-government" in out


def test_a_region_folder_calibrates_and_runs_from_its_result(tmp_path, monkeypatch, capsys):
    from flywheel import baselines

    (tmp_path / "calibrated").mkdir()
    china = baselines.CALIBRATED_DIR / "china.json"
    (tmp_path / "calibrated" / "china.json").write_bytes(china.read_bytes())
    monkeypatch.setattr(baselines, "CALIBRATED_DIR", tmp_path / "calibrated")
    baselines.load_baseline.cache_clear()
    korea_folder(tmp_path / "kr")
    out = tmp_path / "out"
    code = main(
        ["calibrate", "--data", str(tmp_path / "kr"), "--name", "Korea test", "--out", str(out)]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    printed = printed.out
    assert "gdp_per_person_local" in printed and "Levels from Korea test's own data" in printed
    saved = json.loads((tmp_path / "calibrated" / "korea-test.json").read_text())
    assert saved["title"] == "Korea test" and saved["currency"] == "won"
    assert set(saved["observations"]) == {
        "egdi",
        "internet_users",
        "population",
        "gdp_per_person_local",
    }
    assert (
        main(
            [
                "run",
                "--baseline",
                str(out / "result.json"),
                "--vars",
                "Population,GDP per person in US dollars",
                "--out",
                str(tmp_path / "run.csv"),
            ]
        )
        == 0
    )
    run = pd.read_csv(tmp_path / "run.csv").set_index("year")
    frame = pd.read_csv(DATA_DIR / "all_countries_population.csv")
    people = frame[(frame.iso3 == "KOR") & (frame.year == 2023)]["value"].iloc[0]
    frame = pd.read_csv(DATA_DIR / "all_countries_gdp_usd.csv")
    dollars = frame[(frame.iso3 == "KOR") & (frame.year == 2023)]["value"].iloc[0]
    assert run.loc[2023, "Population"] * 1e6 == pytest.approx(people, rel=0.03)
    assert run.loc[2023, "GDP per person in US dollars"] == pytest.approx(
        dollars / people, rel=0.15
    )
    # the population never declines faster than any country has (3.6 %/yr)
    decline = (run["Population"].pct_change()).min()
    assert decline > -0.036
    baselines.load_baseline.cache_clear()
