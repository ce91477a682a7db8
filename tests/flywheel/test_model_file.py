"""The model file documents itself: units, ranges, comments, loops, sketch."""

import re

import pytest

from flywheel.loops import direct_inputs, load_loops
from flywheel.paths import MODEL_FILE
from flywheel.simulate import engine

CONTROL = {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER", "Time"}
SPEC_LOOPS = {"R1", "R2", "R3", "R4", "R5", "R6", "B1", "B2", "B3", "B4"}
STOCKS = {
    "Digital Capital",
    "Digital Knowledge",
    "Industrial Digitalization",
    "Digital Government Capability",
    "Digital Society Adoption",
    "Traditional Capital",
}


def model_variables():
    return [v for v in engine().variables.values() if v.name not in CONTROL]


def test_the_stocks_of_the_spec_are_stocks():
    stocks = {v.name for v in engine().variables.values() if v.is_stock}
    assert STOCKS <= stocks


def test_every_variable_has_units_and_a_comment():
    for variable in model_variables():
        assert variable.units, variable.name
        assert len(variable.comment) > 15, variable.name


def test_every_stock_constant_and_share_has_a_range():
    for variable in model_variables():
        if variable.is_stock or variable.is_constant or variable.units == "Dmnl":
            low, _ = variable.limits
            assert low is not None, f"{variable.name} has no [min,max]"


def test_the_spec_loops_are_all_named():
    assert SPEC_LOOPS <= {loop.code for loop in load_loops()}


@pytest.mark.parametrize("loop", load_loops(), ids=lambda loop: loop.code)
def test_each_loop_is_a_closed_chain_of_model_links(loop):
    model = engine()
    for path in loop.paths:
        assert path[0] == path[-1], "a loop path must end where it starts"
        for source, target in zip(path, path[1:], strict=False):
            inputs = direct_inputs(model.dependencies, model.variable(target).py_name)
            assert model.variable(source).py_name in inputs, f"{target} does not use {source}"


@pytest.mark.parametrize("loop", load_loops(), ids=lambda loop: loop.code)
def test_each_loop_is_named_in_the_comments_of_its_variables(loop):
    for name in loop.variables:
        comment = engine().variable(name).comment
        assert re.search(rf"\b{loop.code}\b", comment), f"{name} does not mention {loop.code}"


def test_every_variable_appears_in_the_sketch():
    sketch = MODEL_FILE.read_text().split("\\\\\\---///", 1)[1]
    drawn = set(re.findall(r"^10,\d+,([^,]+),\d+,\d+,\d+,\d+,\d+,[13],", sketch, flags=re.M))
    missing = {v.name for v in model_variables()} - drawn
    assert not missing


def test_levers_and_links_say_so_in_their_comments():
    from flywheel import load_levers

    text = MODEL_FILE.read_text()
    links = [lever for lever in load_levers() if lever.group == "Links"]
    assert len(re.findall(r"~\tLEVER\.", text)) == len(load_levers()) - len(links)
    assert len(re.findall(r"~\tLINK STRENGTH\.", text)) == len(links) == 6
