import math
import shutil

import pytest

from flywheel import InputError, load_levers
from flywheel.engine import Variable
from flywheel.errors import ModelError
from flywheel.levers import read_lever_table
from flywheel.paths import LEVERS_FILE
from flywheel.simulate import engine

SPEC_LEVERS = {  # model-spec.md section 5
    "Public digital investment",
    "Enterprise digital investment",
    "Enterprise R and D intensity",
    "Policy dividend strength",
    "Demonstration projects",
    "Digital inclusion programmes",
    "Policy start year",
    "Policy phase in time",
    "Future shock switch",
    "Link economy to government",
    "Link government to economy",
    "Link economy to society",
    "Link society to economy",
    "Link government to society",
    "Link society to government",
}


def test_every_lever_of_the_spec_is_in_the_table():
    assert SPEC_LEVERS <= {lever.name for lever in load_levers()}


def test_table_agrees_with_the_model():
    model = engine()
    for lever in load_levers():
        variable = model.variables[lever.name]
        assert variable.is_constant
        low, high = variable.limits
        assert low <= lever.min < lever.max <= high
        assert model.defaults[lever.name] == lever.default
        assert "LEVER" in variable.comment or "LINK STRENGTH" in variable.comment


def doctored_table(tmp_path, old, new):
    path = tmp_path / "levers.csv"
    text = LEVERS_FILE.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return read_lever_table(path)


def test_a_range_outside_the_model_is_refused(tmp_path):
    table = doctored_table(
        tmp_path,
        "Public digital investment,% of fiscal revenue,0,15,",
        "Public digital investment,% of fiscal revenue,0,40,",
    )
    with pytest.raises(ModelError, match="public_investment': range 0..40 is not inside"):
        table.check_against_model(engine().variables, engine().defaults)


def test_a_default_other_than_the_models_is_refused(tmp_path):
    table = doctored_table(tmp_path, "% of fiscal revenue,0,15,2,", "% of fiscal revenue,0,15,3,")
    with pytest.raises(ModelError, match="default 3 differs from the model's value 2"):
        table.check_against_model(engine().variables, engine().defaults)


def test_a_lever_that_is_not_a_model_constant_is_refused(tmp_path):
    table = doctored_table(
        tmp_path,
        "public_investment,Public digital investment,",
        "public_investment,Public digital spending,",
    )
    with pytest.raises(ModelError, match="'Public digital spending' is not a constant"):
        table.check_against_model(engine().variables, engine().defaults)
    fake = {"Nothing": Variable("Nothing", "nothing", "", (0, 1), "Constant", "Normal", "", ())}
    with pytest.raises(ModelError, match="has no variable"):
        load_levers().check_against_model(fake, {})


def test_malformed_lever_table_names_the_line(tmp_path):
    with pytest.raises(ModelError, match=r"line 3: min, max, default and step must be numbers"):
        doctored_table(tmp_path, "% of GDP,0,8,", "% of GDP,zero,8,")
    bad_columns = tmp_path / "columns.csv"
    shutil.copy(LEVERS_FILE, bad_columns)
    bad_columns.write_text("key,name\nx,y\n")
    with pytest.raises(ModelError, match="line 1: columns must be"):
        read_lever_table(bad_columns)


@pytest.mark.parametrize(
    "name",
    [
        "public_investment",
        "Public digital investment",
        "PUBLIC DIGITAL INVESTMENT",
        "public_digital_investment",
    ],
)
def test_levers_are_found_by_key_model_name_or_python_name(name):
    assert load_levers().get(name).key == "public_investment"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "'abc' is not a number"),
        (math.nan, "is not a finite number"),
        ("inf", "is not a finite number"),
        (1e308, "is out of range"),
        (True, "True is not a number"),
        ([1, 2], r"\[1, 2\] is not a number"),
        (None, "None is not a number"),
        (-0.1, "-0.1 is out of range"),
        (15.01, "15.01 is out of range"),
    ],
)
def test_bad_values_name_the_lever_and_range(value, message):
    with pytest.raises(InputError, match=message) as error:
        load_levers().get("public_investment").validate(value)
    assert "lever 'public_investment'" in str(error.value)
    assert "allowed: 0 to 15 % of fiscal revenue" in str(error.value)


def test_switches_and_years_take_whole_numbers():
    table = load_levers()
    assert table.get("future_shock").validate("1") == 1.0
    with pytest.raises(InputError, match="0.5 is not a whole number; allowed: 0 \\(off\\) or 1"):
        table.get("future_shock").validate(0.5)
    with pytest.raises(InputError, match="2030.5 is not a whole number"):
        table.get("policy_start_year").validate(2030.5)
    with pytest.raises(InputError, match="2024 is out of range; allowed: 2025 to 2045 year"):
        table.get("policy_start_year").validate(2024)


def test_unknown_lever_lists_the_known_ones():
    with pytest.raises(InputError, match="unknown lever 'foo'; known levers: public_investment, "):
        load_levers().get("foo")
