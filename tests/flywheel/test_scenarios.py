import json

import pytest

from flywheel import InputError, load_scenario, preset_names
from flywheel.scenarios import MAX_SCENARIO_BYTES, parse_scenario

REQUIRED = {
    "baseline",
    "government-led",
    "market-led",
    "balanced-flywheel",
    "future-epidemic-shock",
}
LINKS = [
    "economy-to-government",
    "government-to-economy",
    "economy-to-society",
    "society-to-economy",
    "government-to-society",
    "society-to-government",
]


def test_required_presets_exist_and_load():
    names = set(preset_names())
    assert REQUIRED | {f"knockout-{link}" for link in LINKS} <= names
    for name in names:
        scenario = load_scenario(name)
        assert scenario.title and scenario.description


@pytest.mark.parametrize("link", LINKS)
def test_each_knockout_cuts_exactly_its_link(link):
    source, _, target = link.split("-")
    assert load_scenario(f"knockout-{link}").levers == {f"link_{source}_{target}": 0.0}


def test_presets_differ_from_each_other():
    levers = [tuple(sorted(load_scenario(n).levers.items())) for n in preset_names()]
    assert len(set(levers)) == len(levers)


def test_scenario_file_by_path(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"title": "Mine", "levers": {"Public digital investment": 7}}))
    scenario = load_scenario(str(path))
    assert scenario.levers == {"public_investment": 7.0}
    assert scenario.name == "mine"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"levers": {"public_investment": 4,}}', r"plan.json, line 1, column 36: not valid JSON"),
        (
            '{\n  "levers": {\n    "public_investment": 4\n  }',
            r"plan.json, line 4, column 4: not valid JSON",
        ),
        ("[1, 2]", r"plan.json, line 1: a scenario must be a JSON object"),
        ('{\n "levers": {},\n "colour": "red"\n}', r"plan.json, line 3: unknown field 'colour'"),
        ('{\n "levers": [1]\n}', r"plan.json, line 2: 'levers' must be an object"),
        ('{\n "title": 5,\n "levers": {}\n}', r"plan.json, line 2: 'title' must be text"),
        (
            '{\n "levers": {\n  "public_investment": 4,\n  "warp_drive": 1\n }\n}',
            r"plan.json, line 4: unknown lever 'warp_drive'",
        ),
        (
            '{\n "levers": {\n  "public_investment": "lots"\n }\n}',
            r"plan.json, line 3: lever 'public_investment' \(Public digital investment\): 'lots' is not a number; allowed: 0 to 15",
        ),
        (
            '{\n "levers": {\n  "rd_intensity": 99\n }\n}',
            r"plan.json, line 3: lever 'rd_intensity' \(Enterprise R&D intensity\): 99 is out of range; allowed: 0 to 10",
        ),
        (
            '{"levers": {"rd_intensity": NaN}}',
            r"plan.json, line 1: lever 'rd_intensity'.*not a finite number",
        ),
        (
            '{"levers": {"rd_intensity": null}}',
            r"plan.json, line 1: lever 'rd_intensity'.*None is not a number",
        ),
        ("", r"plan.json, line 1, column 1: not valid JSON"),
    ],
)
def test_malformed_scenarios_name_file_line_and_field(text, message):
    with pytest.raises(InputError, match=message):
        parse_scenario(text, "plan.json")


def test_oversized_and_non_utf8_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="larger than 100 kB"):
        parse_scenario(" " * (MAX_SCENARIO_BYTES + 1), "big.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(InputError, match="binary.json: not a UTF-8 text file"):
        load_scenario(str(binary))


def test_unknown_scenario_lists_presets():
    with pytest.raises(InputError, match="no scenario 'nope': not a preset \\(balanced-flywheel"):
        load_scenario("nope")


def test_with_levers_validates_and_keeps_the_rest():
    scenario = load_scenario("government-led").with_levers({"rd_intensity": "5"})
    assert scenario.levers["rd_intensity"] == 5.0
    assert scenario.levers["public_investment"] == 6.0
    with pytest.raises(InputError, match="out of range"):
        scenario.with_levers({"rd_intensity": 50})
