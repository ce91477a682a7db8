"""Model behaviour required by model-spec.md section 6 (also `flywheel check`)."""

import pandas as pd
import pytest
from pysd.tools.benchmarking import assert_frames_close

from flywheel.checks import CHECKS, slider_matrix
from flywheel.levers import load_levers
from tests.helpers import run

GOLDEN = "tests/golden/baseline.csv"


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_behaviour_check(check):
    result = check()
    assert result.passed, result.detail


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
