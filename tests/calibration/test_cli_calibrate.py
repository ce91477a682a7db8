"""`flywheel calibrate` and calibrated baselines, through the command line."""

import json

import pytest

from flywheel import baselines
from flywheel.cli import main

SMALL_PARAMS = """
[[param]]
name = "Government building rate"
low = 0.02
high = 0.3
initial = 0.09
why = "test"

[[param]]
name = "Initial digital government"
low = 0.25
high = 0.6
initial = 0.42
why = "test"
"""


@pytest.fixture
def calibrated_dir(tmp_path, monkeypatch):
    folder = tmp_path / "calibrated"
    folder.mkdir()
    monkeypatch.setattr(baselines, "CALIBRATED_DIR", folder)
    baselines.load_baseline.cache_clear()
    yield folder
    baselines.load_baseline.cache_clear()


@pytest.fixture
def holdout_dir(tmp_path, monkeypatch):
    from calibration import report

    folder = tmp_path / "holdout"
    monkeypatch.setattr(report, "HOLDOUT_DIR", folder)
    return folder


def test_a_holdout_fit_saves_its_test_and_never_the_baseline(
    tmp_path, calibrated_dir, holdout_dir, capsys
):
    params = tmp_path / "params.toml"
    params.write_text(SMALL_PARAMS)
    out = tmp_path / "out"
    assert main(["calibrate", "--params", str(params), "--out", str(out), "--holdout", "2018"]) == 0
    text = capsys.readouterr().out
    assert "Fit per series" in text and "holdout" in text and "Government building rate" in text
    assert "the baseline is not changed" in text
    result = json.loads((out / "result.json").read_text())
    assert result["success"] and result["holdout"] == 2018
    assert set(result["statistics"]) == {
        "digital_economy_share",
        "egdi",
        "internet_users",
        "gdp_real",
    }
    assert result["statistics"]["egdi"]["holdout"]["n"] == 3  # the 2020, 2022 and 2024 surveys
    assert not list(calibrated_dir.iterdir())  # no baseline from part of the data
    test = json.loads((holdout_dir / "china.json").read_text())
    assert test["holdout"] == 2018 and set(test["series"]) == set(result["statistics"])
    egdi = test["series"]["egdi"]
    assert egdi["years"] == [2020, 2022, 2024]
    assert egdi["model"] == result["statistics"]["egdi"]["forecast"]["model"]
    assert egdi["beats_naive"] == (egdi["model"]["MAPE"] < egdi["naive"]["MAPE"])
    # --no-save leaves the saved test alone
    (holdout_dir / "china.json").unlink()
    assert main(["calibrate", "--params", str(params), "--holdout", "2018", "--no-save"]) == 0
    assert not (holdout_dir / "china.json").exists()


def test_calibrate_writes_reports_and_a_baseline(tmp_path, calibrated_dir, capsys):
    params = tmp_path / "params.toml"
    params.write_text(SMALL_PARAMS)
    out = tmp_path / "out"
    assert main(["calibrate", "--params", str(params), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Fit per series" in text and "Government building rate" in text
    result = json.loads((out / "result.json").read_text())
    assert result["success"] and result["holdout"] is None
    html = (out / "report.html").read_text()
    assert "<h2>How well the model follows the data</h2>" in html and "plotly" in html
    saved = json.loads((calibrated_dir / "china.json").read_text())
    assert saved["format"] == 1 and set(saved["params"]) == {
        "Government building rate",
        "Initial digital government",
    }
    assert baselines.load_baseline("china").params == pytest.approx(saved["params"])


def test_own_data_files_are_matched_by_name(tmp_path, calibrated_dir, capsys):
    data = tmp_path / "mine"
    data.mkdir()
    (data / "egdi.csv").write_text("year,value\n2010,0.5\n2014,0.6\n2018,0.7\n2022,0.8\n")
    params = tmp_path / "params.toml"
    params.write_text(SMALL_PARAMS)
    assert (
        main(
            [
                "calibrate",
                "--data",
                str(data),
                "--params",
                str(params),
                "--no-save",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert list(result["statistics"]) == ["egdi"]
    assert not list(calibrated_dir.glob("*.json"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["calibrate", "--country", "X1"], "expected a three-letter ISO code"),
        (["calibrate", "--country", "ZZZ"], "ZZZ: no country with this code"),
        (
            ["calibrate", "--holdout", "1990"],
            "--holdout 1990: must be a year between 2006 and 2049",
        ),
        (["calibrate", "--data", "/no/such/dir"], "--data /no/such/dir: no such file or folder"),
        (["calibrate", "--method", "magic"], "invalid choice: 'magic'"),
    ],
)
def test_bad_calibrate_input(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_user_csv_names_line(tmp_path, capsys):
    data = tmp_path / "internet_users.csv"
    data.write_text("year,value\n2010,30\n2011,thirty-five\n")
    assert main(["calibrate", "--data", str(data)]) == 2
    assert (
        "internet_users.csv, line 3, column 'value': 'thirty-five' is not a number"
        in capsys.readouterr().err
    )


def test_unknown_series_file_name(tmp_path, capsys):
    data = tmp_path / "happiness.csv"
    data.write_text("year,value\n2010,3\n")
    assert main(["calibrate", "--data", str(data)]) == 2
    assert "name the file after a series" in capsys.readouterr().err


def test_bad_params_file(tmp_path, capsys):
    params = tmp_path / "params.toml"
    params.write_text(
        '[[param]]\nname = "Public digital investment"\nlow = 0\nhigh = 5\ninitial = 2\n'
    )
    assert main(["calibrate", "--params", str(params)]) == 2
    assert "is not a model constant that may be fitted" in capsys.readouterr().err
    params.write_text("this is = not [toml")
    assert main(["calibrate", "--params", str(params)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_run_with_baselines(tmp_path, capsys):
    assert main(["run", "--baseline", "model", "--out", str(tmp_path / "m.csv")]) == 0
    assert main(["run", "--out", str(tmp_path / "c.csv")]) == 0
    out = capsys.readouterr().out
    assert "(baseline: model)" in out and "(baseline: china)" in out
    assert (tmp_path / "m.csv").read_text() != (tmp_path / "c.csv").read_text()
    assert main(["run", "--baseline", "atlantis"]) == 2
    assert "no baseline 'atlantis'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"format": 1, "params": {"Public digital investment": 3}}',
            "not a model constant a baseline may set",
        ),
        ('{"format": 1, "params": {"GDP": 3}}', "not a model constant"),
        ('{"format": 1, "params": {"Gross investment rate": "lots"}}', "must be a finite number"),
        ('{"format": 2, "params": {}}', "not a baseline file"),
        ('{"format": 1, "params": {', "line 1, column 26: not valid JSON"),
    ],
)
def test_bad_baseline_files(tmp_path, content, message, capsys):
    path = tmp_path / "mine.json"
    path.write_text(content)
    assert main(["run", "--baseline", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_a_calibration_result_runs_as_its_baseline(tmp_path, calibrated_dir, capsys):
    """calibrate --out DIR --no-save, then run --baseline DIR/result.json: the fitted run."""
    params = tmp_path / "params.toml"
    params.write_text(SMALL_PARAMS)
    out = tmp_path / "deu-like"
    assert main(["calibrate", "--params", str(params), "--out", str(out), "--no-save"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["fitted_on"] == "model" and not list(calibrated_dir.iterdir())
    capsys.readouterr()
    assert (
        main(["run", "--baseline", str(out / "result.json"), "--out", str(tmp_path / "r.csv")]) == 0
    )
    assert "(baseline: deu-like)" in capsys.readouterr().out
    from flywheel import simulate

    expected = simulate(params=result["params"], baseline="model").frame
    import pandas as pd

    got = pd.read_csv(tmp_path / "r.csv", index_col="year")[expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_a_result_fitted_on_china_keeps_chinas_other_constants(tmp_path):
    china = baselines.load_baseline("china").params
    path = tmp_path / "result.json"
    path.write_text(
        json.dumps(
            {
                "success": True,
                "fitted_on": "china",
                "params": {"Catch up rate": 0.03},
                "statistics": {},
                "std_errors": {"Catch up rate": 0.004},
            }
        )
    )
    baselines.load_baseline.cache_clear()
    loaded = baselines.load_baseline(str(path))
    assert loaded.params == {**china, "Catch up rate": 0.03}
    assert loaded.name == tmp_path.name and loaded.info["std_errors"]["Catch up rate"] == 0.004


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"success": false, "params": {}, "statistics": {}}', "did not converge"),
        ('{"success": true, "params": {}, "statistics": {}}', "no 'fitted_on'"),
        ('{"success": true, "params": 3, "statistics": {}, "fitted_on": "model"}', "params object"),
        (
            '{"success": true, "params": {"GDP": 1}, "statistics": {}, "fitted_on": "model"}',
            "not a model constant",
        ),
    ],
)
def test_bad_calibration_results_are_refused(tmp_path, content, message, capsys):
    path = tmp_path / "result.json"
    path.write_text(content)
    assert main(["run", "--baseline", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_run_region_is_the_saved_baseline_and_calibrate_takes_region(capsys, tmp_path):
    assert main(["run", "--region", "DEU", "--out", str(tmp_path / "a.csv")]) == 0
    assert main(["run", "--baseline", "deu", "--out", str(tmp_path / "b.csv")]) == 0
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    assert main(["run", "--region", "deu", "--baseline", "china"]) == 2
    assert "give one of them" in capsys.readouterr().err
    assert main(["calibrate", "--region", "12"]) == 2
    assert "three-letter ISO code" in capsys.readouterr().err


def test_the_shipped_holdout_test_is_what_the_fit_gives_today():
    """models/holdout/china.json is China's holdout fit, run again here (it is deterministic)."""
    from calibration.fit import calibrate
    from calibration.report import holdout_document, load_holdout
    from calibration.series import load_params, load_series

    shipped = load_holdout("china")
    assert shipped is not None and shipped["holdout"] == 2018
    again = holdout_document(
        calibrate(load_series(), load_params(), holdout=2018, baseline="model"), "CHINA"
    )
    assert set(again["series"]) == set(shipped["series"])
    for name, item in again["series"].items():
        saved = shipped["series"][name]
        assert item["years"] == saved["years"]
        assert item["model"]["MAPE"] == pytest.approx(saved["model"]["MAPE"], rel=1e-6), name
        assert item["naive"]["MAPE"] == pytest.approx(saved["naive"]["MAPE"], rel=1e-9), name
        assert (item["beats_naive"], item["unbiased"]) == (saved["beats_naive"], saved["unbiased"])
