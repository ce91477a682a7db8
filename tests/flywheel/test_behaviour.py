"""Model behaviour required by model-spec.md section 6 (also `flywheel check`)."""

import pandas as pd
import pytest
from pysd.tools.benchmarking import assert_frames_close

from flywheel import checks
from flywheel.checks import BOX_CHECKS, CHECKS, slider_matrix
from flywheel.levers import load_levers
from tests.helpers import run

GOLDEN = "tests/golden/baseline.csv"


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_behaviour_check(check):
    result = check()
    assert result.passed, result.detail


@pytest.mark.parametrize("check", BOX_CHECKS, ids=[c.__name__ for c in BOX_CHECKS])
def test_lever_box_check_quick_subset(check):
    result = check()
    assert result.passed, result.detail


def test_lever_box_scan_covers_corners_single_levers_and_samples():
    scan = checks.lever_box_scan()
    expected = len(checks.corners.corner_cases()) + checks.spec()["lever_box"]["quick_samples"]
    assert scan.cases == expected and not scan.errors and not scan.nonfinite
    assert 0.05 < scan.growth.value <= 0.12  # the economy grows, but never impossibly fast
    assert scan.integration.value > 0  # measured, not skipped


def test_growth_bound_check_fails_when_the_bound_is_broken(monkeypatch):
    monkeypatch.setitem(checks.spec()["lever_box"], "growth_bound", 0.02)
    result = checks.check_growth_bound()
    assert not result.passed and "bound 2%" in result.detail


def test_thorough_scan_runs_more_samples(monkeypatch):
    monkeypatch.setitem(checks.spec()["lever_box"], "thorough_samples", 30)
    checks.lever_box_scan.cache_clear()
    try:
        quick, thorough = checks.lever_box_scan(False), checks.lever_box_scan(True)
        assert thorough.cases == quick.cases + 30 - checks.spec()["lever_box"]["quick_samples"]
    finally:
        checks.lever_box_scan.cache_clear()


def test_latin_hypercube_samples_fill_every_lever_range():
    samples = checks.corners.latin_hypercube(50, seed=3)
    for lever in load_levers():
        values = [case[lever.key] for case in samples.values()]
        assert lever.min <= min(values) and max(values) <= lever.max
        if lever.kind == "number":
            assert max(values) - min(values) > 0.8 * (lever.max - lever.min)


def test_slider_matrix_has_3_plus_2n_cases():
    assert len(slider_matrix()) == 3 + 2 * len(load_levers())


def test_golden_baseline(baseline):
    expected = pd.read_csv(GOLDEN, index_col="year")
    assert_frames_close(baseline.frame, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "lever",
    [
        "public_investment",
        "enterprise_investment",
        "rd_intensity",
        "demonstration_projects",
        "digital_inclusion",
    ],
)
def test_raising_an_investment_lever_raises_all_three_lines_with_delay(baseline, lever):
    table = load_levers()
    result = run({lever: table.get(lever).max}).frame
    lines = [
        "Digital economy value added",
        "Digital Government Capability",
        "Digital Society Adoption",
    ]
    start = int(table.get("policy_start_year").default)
    for line in lines:
        assert result.loc[2050, line] > baseline.frame.loc[2050, line], line
        # nothing moves before the levers start: the effect comes with a delay
        assert result.loc[start, line] == baseline.frame.loc[start, line]


@pytest.mark.parametrize("link", [lever.key for lever in load_levers() if lever.group == "Links"])
def test_cutting_a_link_lowers_the_other_lines_in_the_long_run(baseline, link):
    result = run({link: 0}).frame
    source, target = link.removeprefix("link_").split("_")
    names = {
        "economy": "Digital economy value added",
        "government": "Digital Government Capability",
        "society": "Digital Society Adoption",
    }
    assert result.loc[2050, names[target]] < baseline.frame.loc[2050, names[target]]
    assert result.loc[2050, "GDP"] <= baseline.frame.loc[2050, "GDP"]
