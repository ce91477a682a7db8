import json

import pandas as pd
import pytest

from flywheel.cli import main

MAIN_LINES = [
    "Digital economy value added",
    "Digital Government Capability",
    "Digital Society Adoption",
]


def test_run_prints_main_lines_and_stages(capsys):
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "Scenario: Baseline" in out
    for label in (
        "Digital economy, share of GDP",
        "Digital government capability",
        "Digital society adoption",
        "Regional development index",
    ):
        assert label in out
    assert "2025" in out and "2035" in out and "2050" in out
    assert "Development stage reached by 2050:" in out and "growth 20" in out


def test_max_public_investment_raises_all_lines_and_keeps_history(tmp_path, capsys):
    base, high = tmp_path / "base.csv", tmp_path / "high.csv"
    assert main(["run", "--out", str(base)]) == 0
    assert main(["run", "--set", "public_investment=15", "--out", str(high)]) == 0
    out = capsys.readouterr().out
    assert "vs baseline 2050" in out
    base_frame = pd.read_csv(base, index_col="year")
    high_frame = pd.read_csv(high, index_col="year")
    for line in MAIN_LINES:
        assert high_frame.loc[2050, line] > base_frame.loc[2050, line]
    pd.testing.assert_frame_equal(high_frame.loc[:2024], base_frame.loc[:2024])


def test_run_writes_json_with_units_and_extra_variables(tmp_path, capsys):
    out = tmp_path / "result.json"
    code = main(
        [
            "run",
            "--scenario",
            "market-led",
            "--vars",
            "Adoption ceiling,Policy dividend",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    assert data["scenario"]["levers"] == {"enterprise_investment": 4.0, "rd_intensity": 6.0}
    assert data["years"][0] == 2005 and data["years"][-1] == 2050
    assert data["variables"]["Adoption ceiling"]["unit"] == "Dmnl"
    assert len(data["variables"]["Policy dividend"]["values"]) == 46


def test_scenario_file_and_set_combine(tmp_path, capsys):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"levers": {"public_investment": 5}}))
    assert main(["run", "--scenario", str(path), "--set", "rd_intensity=6"]) == 0
    assert "public_investment=5, rd_intensity=6" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--set", "warp=1"], "unknown lever 'warp'; known levers: public_investment"),
        (
            ["run", "--set", "public_investment=99"],
            "99 is out of range; allowed: 0 to 15 % of fiscal revenue",
        ),
        (["run", "--set", "public_investment=lots"], "'lots' is not a number; allowed: 0 to 15"),
        (["run", "--set", "public_investment=nan"], "is not a finite number"),
        (["run", "--set", "public_investment"], "expected LEVER=VALUE"),
        (["run", "--scenario", "nope"], "no scenario 'nope'"),
        (
            ["run", "--vars", "Digital Captial"],
            "unknown model variable 'Digital Captial'; did you mean Digital Capital",
        ),
        (["run", "--out", "result.txt"], "must end in .csv or .json"),
        (["run", "--out", "/no/such/folder/x.csv"], "folder /no/such/folder does not exist"),
        (["run", "--bogus"], "unrecognized arguments: --bogus"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err + captured.out


def test_malformed_scenario_file_names_line(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "levers": {\n    "rd_intensity": 77\n  }\n}\n')
    assert main(["run", "--scenario", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}, line 3: lever 'rd_intensity'" in err and "allowed: 0 to 10" in err


def test_levers_scenarios_info(capsys):
    assert main(["levers"]) == 0
    out = capsys.readouterr().out
    assert "public_investment" in out and "% of fiscal revenue" in out
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "government-led" in out and "knockout-society-to-government" in out
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "Digital Capital [trillion yuan]: Private digital investment" in out
    for code in ("R1", "R2", "R3", "R4", "R5", "R6", "B1", "B2", "B3", "B4"):
        assert f"  {code} " in out


def test_check_passes_and_reports_counts(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "PASS  bounds" in out and "0 failed" in out


def test_check_fails_with_exit_1_when_a_check_fails(monkeypatch, capsys):
    from flywheel import checks

    failing = checks.CheckResult("forced", False, "made to fail")
    monkeypatch.setattr(checks, "CHECKS", (lambda: failing,))
    monkeypatch.setattr(checks, "BOX_CHECKS", ())
    assert main(["check"]) == 1
    assert "FAIL  forced: made to fail" in capsys.readouterr().out


def test_help_exits_cleanly(capsys):
    assert main(["--help"]) == 0
    assert "run" in capsys.readouterr().out


def test_run_splits_the_change_among_the_levers(capsys):
    assert main(["run", "--set", "public_investment=9", "--set", "policy_dividend=2"]) == 0
    out = capsys.readouterr().out
    assert "What each lever contributed" in out and "exact Shapley values over all 4" in out
    assert out.count("Total change") == 2
    assert "Public digital investment" in out.split("What each lever contributed")[1]


def test_run_of_the_baseline_has_no_attribution(capsys):
    assert main(["run"]) == 0
    assert "What each lever contributed" not in capsys.readouterr().out
