import base64
import json
import math

import pytest

from dashboard import state
from flywheel import InputError, load_levers

TABLE = load_levers()


@pytest.mark.parametrize(
    ("value", "expected", "message"),
    [
        (6, 6.0, None),
        ("6", 6.0, None),
        ("abc", 2.0, "'abc' is not a number; reset to 2"),
        (math.nan, 2.0, "nan is not a number; reset to 2"),
        (math.inf, 2.0, "inf is not a number; reset to 2"),
        (-math.inf, 2.0, "-inf is not a number"),
        (1e308, 15.0, "1e+308 is above 15; set to 15"),
        (-5, 0.0, "-5 is below 0; set to 0"),
        ([1, 2], 2.0, "[1, 2] is not a number"),
        (None, 2.0, "None is not a number"),
        ({"a": 1}, 2.0, "is not a number"),
        (True, 2.0, "True is not a number"),
        (6.04, 6.0, "6.04 is off the slider's step; set to 6"),
    ],
)
def test_clean_value(value, expected, message):
    number, text = state.clean_value(TABLE.get("public_investment"), value)
    assert number == expected
    if message is None:
        assert text is None
    else:
        assert message in text and "Public digital investment" in text


def test_whole_number_levers_snap():
    number, text = state.clean_value(TABLE.get("future_shock"), 0.7)
    assert number == 1.0 and "must be a whole number" in text


def test_clean_levers_fills_defaults_and_ignores_unknown_ids():
    levers, messages = state.clean_levers(
        [{"type": "x", "key": "rd_intensity"}, {"key": "warp"}, "junk"], [5, 1, 2]
    )
    assert levers["rd_intensity"] == 5.0
    assert levers["public_investment"] == TABLE.get("public_investment").default
    assert set(levers) == set(TABLE.keys())
    assert any("unknown slider 'warp'" in m for m in messages)
    assert any("unknown slider 'None'" in m for m in messages)


@pytest.mark.parametrize(
    ("ids", "values"), [(None, None), ("a", [1]), ([{"key": "rd_intensity"}], [1, 2]), ({}, {})]
)
def test_malformed_slider_lists_fall_back_to_defaults(ids, values):
    levers, messages = state.clean_levers(ids, values)
    assert levers == TABLE.defaults()
    assert messages == ["The page sent malformed slider values; showing the defaults."]


def test_query_round_trip_and_only_changed_levers():
    levers = {**TABLE.defaults(), "public_investment": 6.0, "future_shock": 1.0}
    query = state.to_query(levers)
    assert query == f"?public_investment=6&future_shock=1&v={state.model_version()}"
    assert state.from_query(query) == (levers, [])
    assert state.to_query(TABLE.defaults()) == ""


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("?warp=9", "unknown lever 'warp'"),
        ("?public_investment=lots", "'lots' is not a number"),
        ("?public_investment=nan", "is not a number"),
        ("?public_investment=99", "99 is above 15"),
        ("?" + "x" * 5000, "too long"),
    ],
)
def test_bad_links_show_a_message_and_keep_defaults(search, message):
    levers, messages = state.from_query(search)
    assert levers["public_investment"] in (2.0, 15.0)
    assert any(message in m for m in messages)


def upload(text: str) -> str:
    return "data:application/json;base64," + base64.b64encode(text.encode()).decode()


def test_upload_valid_scenario():
    levers = state.from_upload(upload(json.dumps({"levers": {"rd_intensity": 5}})), "plan.json")
    assert levers["rd_intensity"] == 5.0 and levers["public_investment"] == 2.0


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        (upload('{"levers": {"rd_intensity": 50}}'), "plan.json, line 1: lever 'rd_intensity'"),
        (upload('{"levers": {'), "plan.json, line 1, column 13: not valid JSON"),
        (upload('{"levers": {"warp": 1}}'), "unknown lever 'warp'"),
        ("data:application/json;base64,!!!notbase64", "plan.json: not a UTF-8 text file"),
        (
            "data:application/json;base64," + base64.b64encode(b"\xff\xfe\xfa").decode(),
            "not a UTF-8 text file",
        ),
        (None, "plan.json: could not read the file"),
        (12, "could not read the file"),
        ("data:x;base64," + "A" * 200_000, "larger than 100 kB"),
    ],
)
def test_bad_uploads_name_file_and_line(contents, message):
    with pytest.raises(InputError, match=message):
        state.from_upload(contents, "plan.json")
