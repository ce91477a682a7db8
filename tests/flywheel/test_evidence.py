"""The evidence table: every link has a source, and the model's links fall inside the evidence."""

import pytest

from flywheel import Scenario
from flywheel.baselines import load_baseline
from flywheel.errors import InputError
from flywheel.evidence import (
    COLUMNS,
    flywheel_dividend,
    lever_mechanisms,
    load_evidence,
    measure_links,
    read_evidence,
)
from flywheel.simulate import engine, model_params

LINKS = {
    "economy -> government",
    "government -> economy",
    "economy -> society",
    "society -> economy",
    "government -> society",
    "society -> government",
}
#: The channels the model-credibility issue names, as (source, target) in the model.
CHANNELS = {
    ("Industrial Digitalization", "Indicated digital productivity multiplier"),
    ("Digital government seen by economy", "Indicated digital productivity multiplier"),
    ("Digital government seen by society", "Net adoption"),
    ("Digital society seen by economy", "Desired digital investment share"),
    ("Fiscal revenue seen by government", "Government capability building"),
}


@pytest.fixture(scope="module")
def measured():
    values, _ = model_params(Scenario())
    return measure_links(engine(), values)


def test_every_cross_line_link_and_named_channel_has_evidence():
    rows = load_evidence()
    assert LINKS <= {row.link for row in rows}
    assert CHANNELS <= {(row.source, row.target) for row in rows}


@pytest.mark.parametrize("row", load_evidence(), ids=lambda row: row.id)
def test_model_link_falls_inside_the_evidence_range(row, measured):
    assert row.low <= measured[row.id] <= row.high, (
        f"{row.id} ({row.channel}): the model gives {measured[row.id]:.3g}, "
        f"the evidence {row.low:g} to {row.high:g}"
    )


@pytest.mark.parametrize("row", load_evidence(), ids=lambda row: row.id)
def test_value_column_is_the_value_in_force(row):
    calibrated = load_baseline(None).params
    in_force = calibrated.get(row.constant, engine().defaults[engine().variable(row.constant).name])
    assert row.value == pytest.approx(in_force, rel=1e-3)


def test_measured_elasticity_moves_with_its_constant():
    """The measurement is of the model, not a copy of the table: double a constant, see it."""
    values, _ = model_params(Scenario())
    row = next(r for r in load_evidence() if r.id == "GE1")
    base = measure_links(engine(), values, [row])[row.id]
    doubled = measure_links(engine(), {**values, row.constant: 2 * row.value}, [row])[row.id]
    assert doubled == pytest.approx(2 * base, rel=0.02)


def test_bad_evidence_files_are_refused_with_the_line(tmp_path):
    good = ",".join(COLUMNS)
    path = tmp_path / "evidence.csv"
    path.write_text("id,link\nx,y\n")
    with pytest.raises(InputError, match="line 1"):
        read_evidence(path)
    path.write_text(
        good
        + "\nX1,a,b,c,1,f,t,2023,elasticity,0.5,0.1,study text,estimated text,conversion text\n"
    )
    with pytest.raises(InputError, match="line 2: need low < high"):
        read_evidence(path)
    path.write_text(
        good + "\nX1,a,b,c,1,f,t,2023,slope,0.1,0.5,study text,estimated text,conversion text\n"
    )
    with pytest.raises(InputError, match="line 2: measure"):
        read_evidence(path)


def test_flywheel_dividend_is_positive_for_the_baseline():
    dividend = flywheel_dividend(Scenario())
    for name, by_year in dividend.items():
        assert by_year[2050] > 0, name
        assert by_year[2050] >= by_year[2035] - 1e-9, name


def test_each_lever_says_which_loops_it_feeds_and_what_evidence_is_behind_it():
    from flywheel import load_levers
    from flywheel.loops import load_loops

    mechanisms = lever_mechanisms()
    codes = {loop.code for loop in load_loops()}
    table = load_levers()
    assert set(mechanisms) == set(table.keys())
    for lever in table:
        mechanism = mechanisms[lever.key]
        assert mechanism.loops and set(mechanism.loops) <= codes, lever.key
        if lever.group == "Links":  # a link rests on at least one estimate of itself
            source, target = lever.key.removeprefix("link_").split("_")
            assert f"{source} -> {target}" in {row.link for row in mechanism.evidence}
        if lever.group not in ("Links", "Timing", "Shock"):
            # a policy's baseline is the value it held before the policy start year
            assert engine().defaults[mechanism.historical] == pytest.approx(lever.default)
    assert "GE1" in {row.id for row in mechanisms["policy_dividend"].evidence}
    assert mechanisms["rd_intensity"].loops == ("R6",) and not mechanisms["rd_intensity"].evidence
