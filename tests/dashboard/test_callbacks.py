"""Callbacks called directly, as the browser would trigger them."""

import base64
import io
import json
import math

import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from dashboard import figures, runs, state
from dashboard.pages import explore, flywheel, model
from flywheel import load_levers
from tests.dashboard.helpers import lever_ids, triggered

KEYS = load_levers().keys()
IDS = lever_ids(KEYS)
DEFAULTS = [load_levers().get(key).default for key in KEYS]
PICKS = list(figures.default_picks())


def update_as(trigger, request):
    """Explore's update as the browser fires it (bands on, China, the default charts)."""
    return triggered(
        explore.update,
        trigger,
        request,
        [],
        2035,
        ["on"],
        "china",
        *PICKS,
        None,
        False,
        IDS,
        {},
        "en",
    )


def values_with(**changes):
    return [changes.get(key, default) for key, default in zip(KEYS, DEFAULTS, strict=True)]


def finite_numbers(figure):
    for trace in figure["data"]:
        for axis in ("x", "y"):
            for value in trace.get(axis, []):
                assert value is None or math.isfinite(value)
    json.dumps(figure, allow_nan=False)  # no NaN/inf anywhere


def test_update_moves_scenario_not_baseline():
    base = explore.update(DEFAULTS, [], 2035, [], "china", *PICKS, None, False, IDS, {}, "en")
    moved = explore.update(
        values_with(public_investment=12), [], 2035, [], "china", *PICKS, None, False, IDS, {}, "en"
    )
    chart = 2  # digital government capability
    assert moved[chart]["data"][0]["y"] == base[chart]["data"][0]["y"]  # baseline unchanged
    assert moved[chart]["data"][1]["y"] != base[chart]["data"][1]["y"]
    assert moved[chart]["data"][1]["y"][-1] > base[chart]["data"][1]["y"][-1]
    assert moved[explore.CHARTS + 2] == f"?public_investment=12&v={state.model_version()}"


@pytest.mark.parametrize(
    "bad", ["abc", math.nan, math.inf, -math.inf, 1e308, -1e308, None, [1], {"a": 1}, True, 3.14159]
)
def test_update_survives_any_slider_value(bad):
    output = update_as("explore-request.data", values_with(public_investment=bad))
    for figure in output[: explore.CHARTS + 1]:
        finite_numbers(figure)
    message = output[explore.CHARTS + 3]
    assert "Public digital investment" in message


@pytest.mark.parametrize(("ids", "values"), [(None, None), ("x", 5), (IDS, DEFAULTS[:-1])])
def test_update_survives_malformed_lists(ids, values):
    output = explore.update(values, [], 2035, ["on"], "china", *PICKS, None, False, ids, {}, "en")
    assert "malformed" in output[explore.CHARTS + 3]


@pytest.mark.parametrize("year", ["2035", None, math.nan, 1e308, [2030]])
def test_cost_year_is_validated(year):
    output = explore.update(DEFAULTS, [], year, ["on"], "china", *PICKS, None, False, IDS, {}, "en")
    finite_numbers(output[explore.CHARTS])


def test_headline_cards_compare_with_baseline():
    numbers = runs.headline(runs.run({"public_investment": 12.0}), runs.baseline())
    value, delta = numbers["cards"]["Digital Government Capability"][2050]
    assert delta > 0 and value == pytest.approx(
        runs.baseline().frame.loc[2050, "Digital Government Capability"] + delta
    )
    assert numbers["extra_spending"] > 0 and numbers["gdp_per_spending"] > 0
    assert numbers["stages"]["transformation"] <= numbers["baseline_stages"]["transformation"]
    assert runs.headline(runs.baseline(), runs.baseline())["gdp_per_spending"] is None


def test_compare_up_to_four_saved_scenarios():
    saved = {f"s{i}": {"rd_intensity": float(i + 4)} for i in range(6)}
    saved["broken"] = "not a dict"
    output = explore.update(
        DEFAULTS, list(saved), 2035, [], "china", *PICKS, None, False, IDS, saved, "en"
    )
    names = [trace["name"] for trace in output[0]["data"]]
    assert names == ["Baseline", "This scenario", "s0", "s1", "s2", "s3"]


def apply(trigger, search=None, preset=None, reset=None, upload=None, filename=None, values=None):
    return triggered(
        explore.apply_levers,
        trigger,
        search,
        preset,
        reset,
        upload,
        filename,
        IDS,
        DEFAULTS if values is None else values,
        "en",
    )


def test_apply_preset_reset_url_and_upload():
    values, message, preset = apply("explore-preset.value", preset="government-led")
    assert values[KEYS.index("public_investment")] == 6.0 and "Government-led" in message
    assert preset == "government-led"
    values, message, preset = apply("explore-reset.n_clicks", reset=1, values=values)
    assert values == DEFAULTS
    assert preset is None  # the preset box no longer names a preset after Reset
    values, _, preset = apply("explore-url.search", search="?rd_intensity=7")
    assert values[KEYS.index("rd_intensity")] == 7.0 and preset is None
    with pytest.raises(PreventUpdate):  # the URL already matches the sliders
        apply("explore-url.search", search="")
    with pytest.raises(PreventUpdate):
        apply("explore-preset.value", preset="../../etc/passwd")
    contents = (
        "data:application/json;base64,"
        + base64.b64encode(b'{"levers": {"rd_intensity": 99}}').decode()
    )
    values, message, preset = apply("explore-upload.contents", upload=contents, filename="bad.json")
    assert values == DEFAULTS
    assert "Could not load the file: bad.json, line 1: lever 'rd_intensity'" in message
    assert "allowed: 0 to 10" in message
    good = "data:application/json;base64," + base64.b64encode(b'{"levers": {}}').decode()
    _, message, preset = apply("explore-upload.contents", upload=good, filename="ok.json")
    assert preset is None and "Scenario loaded from ok.json" in message


def test_a_link_whose_values_are_all_invalid_says_so():
    from dash import no_update

    values, message, _ = apply("explore-url.search", search="?public_investment=nan")
    assert values == [no_update] * len(IDS)  # the sliders already show the defaults
    assert message.startswith("From the link: Public digital investment: 'nan' is not a number")
    values, message, _ = apply("explore-url.search", search="?warp=9&public_investment=99")
    assert values[KEYS.index("public_investment")] == 15.0
    assert "unknown lever 'warp'" in message and "99 is above 15; set to 15" in message


def test_a_link_naming_unknown_charts_says_so():
    values, message, _ = apply("explore-url.search", search="?charts=population,zz")
    assert values == [no_update_value()] * len(IDS)
    assert message == "From the link: The link names unknown charts (zz); default ones shown."


def no_update_value():
    from dash import no_update

    return no_update


def test_a_link_from_another_model_version_works_and_says_so():
    from dashboard import state

    values, message, _ = apply("explore-url.search", search="?public_investment=9&v=0000beef")
    assert values[KEYS.index("public_investment")] == 9.0
    assert "another version of the model (0000beef" in message
    assert state.model_version() in message
    values, message, _ = apply(
        "explore-url.search", search=f"?public_investment=9&v={state.model_version()}"
    )
    assert values[KEYS.index("public_investment")] == 9.0 and message == ""


@pytest.mark.parametrize("stored", ["abc", [1, 2], None, {"warp": 1, "rd_intensity": "x"}])
def test_save_and_download_survive_a_corrupt_scenario_store(stored):
    saved, _, _, message = explore.save_scenario(1, "odd", stored, {}, "en")
    assert saved == {"odd": {}} and "Saved 'odd'" in message
    download = triggered(explore.download, "explore-download-json.n_clicks", None, 1, stored, "en")
    assert json.loads(download["content"])["levers"] == {}


def test_save_scenario_validates_name_and_limit():
    levers = {**load_levers().defaults(), "rd_intensity": 6.0}
    saved, options, name, message = explore.save_scenario(1, "  My plan ", levers, {}, "en")
    assert saved == {"My plan": {"rd_intensity": 6.0}} and name == ""
    assert options == [{"label": " compare 'My plan'", "value": "My plan"}]
    assert "Type a name" in explore.save_scenario(1, "   ", levers, {}, "en")[3]
    full = {f"s{i}": {} for i in range(explore.MAX_SAVED)}
    assert "At most" in explore.save_scenario(1, "one more", levers, full, "en")[3]
    with pytest.raises(PreventUpdate):
        explore.save_scenario(None, "x", levers, {}, "en")


def test_csv_download_holds_the_plotted_numbers():
    levers = {**load_levers().defaults(), "public_investment": 9.0}
    download = triggered(explore.download, "explore-download-csv.n_clicks", 1, None, levers, "en")
    table = pd.read_csv(io.StringIO(download["content"]), index_col="year")
    output = explore.update(
        values_with(public_investment=9.0),
        [],
        2035,
        [],
        "china",
        *PICKS,
        None,
        False,
        IDS,
        {},
        "en",
    )
    menu = figures.chart_menu()
    for index, key in enumerate(PICKS):
        _, title, unit, _ = menu[key]
        plotted = output[index]["data"][1]["y"]
        assert table[f"{title} ({unit})"].tolist() == pytest.approx(plotted)
        assert table[f"{title} ({unit}), baseline"].tolist() == pytest.approx(
            output[index]["data"][0]["y"]
        )


def test_json_download_is_a_loadable_scenario(tmp_path):
    from flywheel import load_scenario

    levers = {**load_levers().defaults(), "public_investment": 9.0}
    download = triggered(explore.download, "explore-download-json.n_clicks", None, 1, levers, "en")
    path = tmp_path / download["filename"]
    path.write_text(download["content"])
    assert load_scenario(str(path)).levers == {"public_investment": 9.0}
    assert load_scenario(str(path)).title == "Scenario from the dashboard"
    named = triggered(
        explore.download,
        "explore-download-json.n_clicks",
        None,
        1,
        levers,
        "china",
        " Plan B ",
        None,
        "en",
    )
    assert named["filename"] == "flywheel-plan-b.json"
    assert json.loads(named["content"])["title"] == "Plan B"
    preset = triggered(
        explore.download,
        "explore-download-json.n_clicks",
        None,
        1,
        levers,
        "china",
        "",
        "government-led",
        "en",
    )
    assert json.loads(preset["content"])["title"].startswith("Government-led")
    junk = triggered(
        explore.download, "explore-download-json.n_clicks", None, 1, levers, "china", ["x"], 5, "en"
    )
    assert json.loads(junk["content"])["title"] == "Scenario from the dashboard"


def test_saved_scenarios_can_be_deleted():
    saved = {"a": {"public_investment": 3.0}, "b": {}, "c": {}}
    kept, options, ticked, message = triggered(
        explore.delete_scenarios, "explore-delete.n_clicks", 1, ["a", "c", "zz", 5], saved, "en"
    )
    assert kept == {"b": {}} and ticked == [] and message == "Deleted 'a', 'c'."
    assert [o["value"] for o in options] == ["b"]
    assert saved == {"a": {"public_investment": 3.0}, "b": {}, "c": {}}  # not mutated
    _, _, _, message = triggered(
        explore.delete_scenarios, "explore-delete.n_clicks", 1, [], saved, "en"
    )
    assert message.startswith("Tick the saved scenarios to delete")
    for junk in (None, "a", {"a": 1}):
        triggered(explore.delete_scenarios, "explore-delete.n_clicks", 1, junk, saved, "en")
        triggered(explore.delete_scenarios, "explore-delete.n_clicks", 1, ["a"], junk, "en")


def test_flywheel_link_switch_changes_the_charts():
    all_on = [lever.key for lever in flywheel.LINKS]
    diagram, _compact, charts, _, strip, story = triggered(
        flywheel.update, "flywheel-links.value", all_on, [], None, "china", {}, "en"
    )
    cut = [key for key in all_on if key != "link_economy_government"]
    diagram_cut, compact_cut, charts_cut, message, strip_cut, _ = triggered(
        flywheel.update, "flywheel-links.value", cut, [], None, "china", {}, "en"
    )
    government = 3  # second panel (digital government): traces 2 reference, 3 scenario
    assert charts_cut["data"][government]["y"][-1] < charts["data"][government]["y"][-1]
    assert charts_cut["data"][government - 1]["y"] == charts["data"][government - 1]["y"]
    assert "economy to government" in message
    red = [trace["text"][0] for trace in diagram_cut["data"] if trace["line"]["color"] == "#c22f2f"]
    assert red == ["R1 fiscal revenue"]
    assert [t["text"][0] for t in compact_cut["data"] if t["line"]["color"] == "#c22f2f"] == red
    codes = {trace["name"] for trace in strip["data"]}
    assert {"R1", "R2", "R3", "B1", "B3"} <= codes and story.startswith("In this scenario: ")
    r1 = next(trace for trace in strip_cut["data"] if trace["name"] == "R1")
    assert all(
        abs(value) < 1e-12 for year, value in zip(r1["x"], r1["y"], strict=True) if year >= 2029
    )


@pytest.mark.parametrize("junk", [None, "x", [None, 5, {"a": 1}], {"k": 1}])
def test_flywheel_survives_junk(junk):
    diagram, _compact, charts, _, strip, _ = triggered(
        flywheel.update, "flywheel-links.value", junk, junk, junk, junk, junk, "en"
    )
    finite_numbers(strip)
    finite_numbers(charts)


def test_loop_button_highlights_its_links():
    all_on = [lever.key for lever in flywheel.LINKS]
    diagram, _, _, _, strip, _ = triggered(
        flywheel.update,
        '{"code":"R3","type":"flywheel-loop"}.n_clicks',
        all_on,
        [1],
        None,
        "china",
        {},
        "en",
    )
    lit = [trace["text"][0] for trace in diagram["data"] if trace["line"]["color"] == "#e09b00"]
    assert sorted(lit) == ["R3 demand for e-gov", "R3 e-services"]
    assert next(t for t in strip["data"] if t["name"] == "R3")["line"]["width"] == 3


@pytest.mark.parametrize(
    "click",
    [
        {"points": [{"customdata": "R2"}]},
        {"points": []},
        "junk",
        {"points": [{"customdata": "<b>x</b>"}]},
    ],
)
def test_clicking_the_strip_highlights_that_loop(click):
    all_on = [lever.key for lever in flywheel.LINKS]
    diagram, _, _, _, _, _ = triggered(
        flywheel.update, "flywheel-strip.clickData", all_on, [], click, "china", {}, "en"
    )
    lit = sorted(
        trace["text"][0] for trace in diagram["data"] if trace["line"]["color"] == "#e09b00"
    )
    wanted = ["R2 R4 affordable access", "R2 digital market"]
    assert lit == (wanted if click == {"points": [{"customdata": "R2"}]} else [])


def rows_of(table):
    return [[str(cell.children) for cell in row.children] for row in table.children[1].children]


def test_model_page_search():
    table, count = model.search("policy dividend", "en")
    rows = rows_of(table)
    assert rows and all("policy dividend" in " ".join(row).lower() for row in rows)
    assert count == f"{len(rows)} variables"
    everything = len(model.variable_rows())
    assert everything > 200 and len(rows_of(model.search(None, "en")[0])) == everything
    assert rows_of(model.search("zzzz no such thing", "en")[0]) == []
    assert len(rows_of(model.search(["not", "text"], "en")[0])) == everything


def test_model_page_says_what_each_constant_rests_on():
    basis = {row["name"]: row["evidence"] for row in model.variable_rows()}
    assert "Czernich" in basis["Transaction efficiency gain"]  # an evidence row
    assert basis["Capital elasticity"].startswith("calibrated; prior: Bai, Hsieh & Qian")
    assert basis["Public digital investment"] == "policy lever (set by the user)"
    assert basis["Demand limit sharpness"] == "assumption (see comment)"
    assert basis["Working age share 2030"] == "observed data (see comment)"
    assert basis["Persistent share of shock loss"].startswith("calibrated; prior: IMF")
    assert basis["GDP"] == ""  # not a constant


def test_model_page_shows_each_link_with_its_measured_strength_and_evidence_range():
    rows = model.evidence_rows()
    assert {row["link"] for row in rows} >= {"economy -> government", "society -> government"}
    for row in rows:
        measure, value = row["in the model"].rsplit(" ", 1)
        low, high = (float(x) for x in row["evidence range"].split(" to "))
        assert measure in ("elasticity", "semi-elasticity")
        assert low <= float(value) <= high


def test_uncertainty_bands_surround_the_lines_and_follow_the_scenario():
    moved = values_with(public_investment=12)
    with_bands = explore.update(
        moved, [], 2035, ["on"], "china", *PICKS, None, False, IDS, {}, "en"
    )
    without = explore.update(moved, [], 2035, [], "china", *PICKS, None, False, IDS, {}, "en")
    chart = 0  # digital economy value added
    traces = {trace["name"]: trace for trace in with_bands[chart]["data"]}
    assert "This scenario: 5-95 % range" in traces and "Baseline: 5-95 % range" in traces
    assert not any("range" in trace["name"] for trace in without[chart]["data"])
    low, high = traces["This scenario: 5 %"]["y"], traces["This scenario: 5-95 % range"]["y"]
    line = traces["This scenario"]["y"]
    assert all(lo <= hi for lo, hi in zip(low, high, strict=True))
    assert low[-1] < line[-1] < high[-1]  # the central run lies inside its 2050 band
    base_high = traces["Baseline: 5-95 % range"]["y"]
    assert high[-1] > base_high[-1]  # more public investment lifts the whole band
    for bad in (None, "on", [1], {"on": 1}):
        output = explore.update(moved, [], 2035, bad, "china", *PICKS, None, False, IDS, {}, "en")
        assert not any("range" in trace["name"] for trace in output[chart]["data"])


def test_the_waterfall_splits_the_change_among_the_moved_levers():
    values = {"public_investment": 9.0, "policy_dividend": 2.0}  # the picture's scenario
    figure, note = explore.attribution(values, "GDP per capita|2050", "china", "en")
    bars = figure["data"][0]
    assert bars["y"] == ["Public digital investment", "Policy dividend strength", "Total change"]
    assert sum(bars["x"][:-1]) == pytest.approx(bars["x"][-1], rel=1e-9)
    base, moved = runs.baseline(), runs.run({"public_investment": 9.0, "policy_dividend": 2.0})
    expected = moved.frame.loc[2050, "GDP per capita"] - base.frame.loc[2050, "GDP per capita"]
    assert bars["x"][-1] == pytest.approx(expected, rel=1e-9)
    assert "exact Shapley values" in note
    for bad in (None, 5, "nope|2050", ["GDP per capita|2050"]):
        figure, _ = explore.attribution(values, bad, "china", "en")
        assert figure["data"][0]["y"][-1] == "Total change"
    empty, note = explore.attribution({}, "GDP per capita|2050", "china", "en")
    assert "Move a slider" in note
    for junk in (None, [1, 2], {"public_investment": "nan"}, {"nope": 1}):
        figure, _ = explore.attribution(junk, "GDP per capita|2050", "china", "en")
        assert figure["data"][0]["y"][-1] == "Total change"


def test_what_matters_tornado_follows_the_scenario_and_refuses_nothing():
    from dashboard.pages import matters

    figure, message = matters.update(
        "GDP per capita", 2050, "china", {"public_investment": 12}, "en"
    )
    assert "Around your scenario" in message
    labels = figure["data"][1]["y"]
    assert (
        len(labels) == 12 and labels[-1].endswith("(uncertain)") or labels[-1].endswith("(lever)")
    )
    title = figure["layout"]["title"]["text"]
    expected = runs.run({"public_investment": 12.0}).frame.loc[2050, "GDP per capita"]
    assert f"{expected:,.3g}" in title
    for outcome, year, current in [(None, None, None), ("nope", 1999, "x"), (5, True, [1])]:
        figure, message = matters.update(outcome, year, "x", current, "en")
        assert "GDP per person in 2050" in figure["layout"]["title"]["text"]


def test_a_region_is_shown_in_its_own_money_with_the_levers_kept():
    levers = values_with(public_investment=9.0)
    china = explore.update(levers, [], 2035, [], "china", *PICKS, None, False, IDS, {}, "en")
    germany = explore.update(levers, [], 2035, [], "deu", *PICKS, None, False, IDS, {}, "en")
    assert germany[0]["layout"]["yaxis"]["title"]["text"].startswith("trillion euros")
    assert china[0]["layout"]["yaxis"]["title"]["text"].startswith("trillion yuan")
    assert germany[0]["data"][1]["y"] != china[0]["data"][1]["y"]
    url = germany[explore.CHARTS + 2]
    assert url == f"?region=deu&public_investment=9&v={state.model_version()}"
    assert germany[explore.CHARTS + 4] == china[explore.CHARTS + 4]  # levers kept
    # each region's charts carry its own observations (Germany's internet users here)
    observed = [t for t in germany[2]["data"] if t["name"] == "Observed"][0]
    internet = runs.observations("deu")["Digital Society Adoption"][1]
    assert observed["x"] == [int(year) for year in internet.index]
    assert observed["y"] == pytest.approx(internet.tolist())
    chinese = [t for t in china[2]["data"] if t["name"] == "Observed"][0]
    assert chinese["y"] != observed["y"]
    expected = runs.run({"public_investment": 9.0}, "deu").frame[
        "Digital economy value added nominal"
    ]
    assert germany[0]["data"][1]["y"] == pytest.approx(expected.tolist(), rel=1e-12)
    for bad in (None, "../etc", 5, ["deu"], "ZZZ"):
        output = explore.update(levers, [], 2035, [], bad, *PICKS, None, False, IDS, {}, "en")
        assert output[0]["data"][1]["y"] == china[0]["data"][1]["y"]


def test_a_link_picks_the_region_on_every_page_and_junk_falls_back():
    from dashboard.pages import flywheel as flywheel_page
    from dashboard.pages import matters

    def selector_value(layout):
        found = []

        def walk(node):
            if str(getattr(node, "id", "")).endswith("-region"):
                found.append(node.value)
            children = getattr(node, "children", None)
            for child in children if isinstance(children, (list, tuple)) else [children]:
                if child is not None and not isinstance(child, (str, int, float)):
                    walk(child)

        walk(layout)
        return found[0]

    from dashboard.pages import calibration

    for page in (explore, flywheel_page, matters, calibration):
        assert selector_value(page.layout(region="DEU")) == "deu"
        assert selector_value(page.layout()) == "china"
        assert selector_value(page.layout(region="../x")) == "china"


def test_the_calibration_page_shows_the_chosen_regions_fit_and_data():
    from dashboard.pages import calibration

    def walk(node, found):
        if isinstance(node, str):
            found.append(("text", node))
        elif isinstance(node, (list, tuple)):
            for child in node:
                walk(child, found)
        elif node is not None and not isinstance(node, (int, float)):
            found.append(("id", str(getattr(node, "id", None))))
            walk(getattr(node, "children", None), found)
        return found

    def texts(node, found):
        return [value for kind, value in walk(node, found) if kind == "text"]

    def graphs(node):
        return {v for kind, v in walk(node, []) if kind == "id" and v.startswith("calibration-")}

    germany = calibration.show_region("deu", "en")
    text = " ".join(texts(germany, []))
    assert "Calibration: Germany against its observed data" in text
    assert "Money in euros" in text and "Borrowed from China" in text
    assert "Population (people), DEU" in text and "Catch up rate" in text
    params = next(n for n in germany if getattr(n, "id", None) == "calibration-params")
    listed = texts(params, [])
    assert "Catch up rate" in listed and "Peak population" in listed
    assert "Digitalization imitation rate" not in listed  # borrowed, not fitted: not listed
    assert {"calibration-population", "calibration-gdp_per_person_usd"} <= graphs(germany)
    china = calibration.show_region("china", "en")
    assert "Calibration: China (national) against its observed data" in " ".join(texts(china, []))
    assert "calibration-gdp_real" in graphs(china)
    for junk in (None, 5, ["deu"], "../etc", "ZZZ"):
        assert graphs(calibration.show_region(junk, "en")) == graphs(china)
    rows = calibration.fit_rows("deu")
    population = [row for row in rows if row["series"].name == "population"][0]
    assert population["stats"]["MAPE"] < 3  # the saved fit follows Germany's population


def test_csv_download_is_of_the_chosen_region_in_its_money():
    levers = {**load_levers().defaults(), "public_investment": 9.0}
    download = triggered(
        explore.download, "explore-download-csv.n_clicks", 1, None, levers, "deu", "en"
    )
    assert download["filename"] == "flywheel-results-deu.csv"
    table = pd.read_csv(io.StringIO(download["content"]), index_col="year")
    output = explore.update(
        values_with(public_investment=9.0), [], 2035, [], "deu", *PICKS, None, False, IDS, {}, "en"
    )
    title, unit = figures.TRAJECTORIES[0][1], "trillion euros, current prices"
    assert table[f"{title} ({unit})"].tolist() == pytest.approx(output[0]["data"][1]["y"])
    junk = triggered(
        explore.download, "explore-download-csv.n_clicks", 1, None, levers, "../x", "en"
    )
    assert junk["filename"] == "flywheel-results.csv"


def test_a_move_while_dragging_patches_the_scenario_line_only():
    values = values_with(public_investment=9.0)
    request = {"values": values, "n": 5, "final": False, "fresh": False}
    output = update_as("explore-request.data", request)
    operations = output[0].to_plotly_json()["operations"]
    locations = {tuple(op["location"]) for op in operations}
    assert ("data", 1, "y") in locations  # the scenario's line
    assert not any(loc[:2] == ("data", 0) for loc in locations)  # the baseline is not re-sent
    # the scenario's band (after the baseline's two traces) is hidden until the drag ends
    hidden = {loc[1] for loc in locations if loc[-1] == "visible"}
    assert hidden == {4, 5}
    assert all(
        op["params"]["value"] is False for op in operations if op["location"][-1] == "visible"
    )
    full = explore.update(values, [], 2035, ["on"], "china", *PICKS, None, False, IDS, {}, "en")
    line = next(op for op in operations if tuple(op["location"]) == ("data", 1, "y"))
    assert line["params"]["value"] == pytest.approx(full[0]["data"][1]["y"])
    assert output[-2] == 5  # explore-done: the request answered
    # the final request of a drag brings the band back, for the same values
    final = update_as("explore-request.data", {**request, "final": True})
    operations = final[0].to_plotly_json()["operations"]
    band = next(op for op in operations if tuple(op["location"]) == ("data", 5, "y"))
    assert band["params"]["value"] == pytest.approx(full[0]["data"][5]["y"])
    # a page's first request draws everything
    fresh = update_as("explore-request.data", {**request, "fresh": True})
    assert isinstance(fresh[0], dict) and fresh[0]["data"][0]["name"] == "Baseline"


def test_each_chart_shows_the_variable_picked_for_it_and_the_link_remembers():
    menu = figures.chart_menu()
    from flywheel.simulate import engine

    curated = [engine().variables[v].py_name for v, *_ in figures.TRAJECTORIES]
    assert len(menu) > 100 and list(menu)[: len(curated)] == curated
    assert all(unit for _, _, unit, _ in menu.values())  # every output on offer has a unit
    picks = ["gdp_per_capita", "population", "digital_society_adoption", "fiscal_revenue_nominal"]
    output = explore.update(DEFAULTS, [], 2035, [], "deu", *picks, None, False, IDS, {}, "en")
    assert output[0]["layout"]["title"]["text"] == "GDP per person"
    assert output[1]["layout"]["title"]["text"] == "Population"
    assert output[1]["layout"]["yaxis"]["title"]["text"] == "million people"
    assert output[3]["layout"]["yaxis"]["title"]["text"] == "trillion euros a year"
    expected = runs.run({}, "deu", ("Population",)).frame["Population"]
    assert output[1]["data"][1]["y"] == pytest.approx(expected.tolist())
    url = output[explore.CHARTS + 2]
    assert "charts=gdp_per_capita%2Cpopulation%2Cdigital_society_adoption%2C" in url
    assert output[-1] == picks
    # junk picks fall back to the default chart in their place
    junk = explore.update(
        DEFAULTS, [], 2035, [], "china", "nope", None, 5, ["x"], 7, "yes", IDS, {}, "en"
    )
    assert junk[-1] == PICKS and "charts=" not in junk[explore.CHARTS + 2]
    assert state.picks_from_query("?charts=population,zz")[0][:2] == ["population", PICKS[1]]
    assert "unknown charts (zz)" in state.picks_from_query("?charts=population,zz")[1][0]
    # the page opens with the link's charts
    layout = explore.layout(charts="population,gdp_per_capita")
    picked = []

    def walk(node):
        if str(getattr(node, "id", "")).startswith("explore-pick-"):
            picked.append(node.value)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, (list, tuple)) else [children]:
            if child is not None and not isinstance(child, (str, int, float)):
                walk(child)

    walk(layout)
    assert picked == ["population", "gdp_per_capita", PICKS[2], PICKS[3]]
    # the CSV holds what the charts show
    levers = load_levers().defaults()
    download = triggered(
        explore.download,
        "explore-download-csv.n_clicks",
        1,
        None,
        levers,
        "china",
        "",
        None,
        *picks,
        "en",
    )
    table = pd.read_csv(io.StringIO(download["content"]), index_col="year")
    assert "Population (million people)" in table.columns


def test_policy_levers_and_assumptions_are_apart_in_plain_words():
    import re

    from flywheel.scenarios import load_scenario, preset_names

    def find(node, wanted):
        if getattr(node, "id", None) == wanted:
            return node
        children = getattr(node, "children", None)
        for child in children if isinstance(children, (list, tuple)) else [children]:
            if child is not None and not isinstance(child, (str, int, float)):
                found = find(child, wanted)
                if found is not None:
                    return found
        return None

    def legends(node):
        found = []
        if type(node).__name__ == "Legend":
            found.append(node.children)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, (list, tuple)) else [children]:
            if child is not None and not isinstance(child, (str, int, float)):
                found += legends(child)
        return found

    page = explore.layout()
    assumptions = find(page, "explore-assumptions")
    assert legends(assumptions) == ["Timing", "Links", "Shock"]
    assert not assumptions.open  # folded until needed
    assert set(legends(page)) - set(legends(assumptions)) == {
        "Investment",
        "Policy dividends",
        "Transformation",
        "Inclusion",
    }
    assert find(explore.layout(link_society_economy="0"), "explore-assumptions").open
    assert not find(explore.layout(public_investment="9"), "explore-assumptions").open
    for lever in load_levers():  # no loop codes, no "dimensionless"
        assert not re.search(r"\bR\d\b", lever.help), lever.key
        assert lever.unit != "dimensionless", lever.key
    for name in preset_names():
        assert not load_scenario(name).title.startswith("Knockout"), name
    _, message, _ = apply("explore-preset.value", preset="government-led")
    assert load_scenario("government-led").description in message


def test_the_guided_story_steps_set_levers_and_charts_and_say_what_to_look_at():
    from dashboard.story import load_story

    steps = load_story()
    assert len(steps) == 5
    assert [s.title for s in steps][-1] == "The paper's two recommendations"
    values, *rest = triggered(
        explore.story, "explore-story-start.n_clicks", 1, None, None, None, IDS, "en"
    )
    picks, panel, step = rest[: explore.CHARTS], rest[-2], rest[-1]
    assert step == 0 and values[KEYS.index("public_investment")] == 6.0
    assert picks == list(steps[0].charts)
    assert panel[0].children.startswith("Step 1 of 5: Three main lines")
    index = 0
    for expected in (1, 2, 3, 4, 4):  # Next stops at the last step
        values, *rest = triggered(
            explore.story, "explore-story-next.n_clicks", 1, None, 1, index, IDS, "en"
        )
        index = rest[-1]
        assert index == expected
    assert values[KEYS.index("demonstration_projects")] == 200.0
    assert rest[explore.CHARTS - 1] == "industrial_digitalization"
    values, *rest = triggered(
        explore.story, "explore-story-back.n_clicks", None, 1, None, 4, IDS, "en"
    )
    assert rest[-1] == 3 and rest[explore.CHARTS - 1] == "digital_unit_cost"
    for junk in ("x", True, [2], 99.5, 99, -3):  # a junk step starts the story over
        assert (
            triggered(explore.story, "explore-story-next.n_clicks", 1, 1, 1, junk, IDS, "en")[-1]
            == 0
        )
        assert (
            triggered(explore.story, "explore-story-back.n_clicks", 1, 1, 1, junk, IDS, "en")[-1]
            == 0
        )
    assert explore.intro_title("deu", "en").startswith("What if Germany invests")
    assert explore.intro_title("../x", "en").startswith("What if China (national) invests")


def test_the_facilitators_guide_names_presets_and_pages_that_exist():
    import re
    from pathlib import Path

    from flywheel.scenarios import load_scenario, preset_names

    guide = (Path(__file__).resolve().parents[2] / "docs" / "facilitator.md").read_text()
    titles = {load_scenario(name).title for name in preset_names()}
    named = re.findall(r"^\| [A-E] \| (.+?) \|", guide, re.M)
    assert len(named) == 5 and set(named) <= titles
    assert "45-minute" in guide and "Guided story" in guide


def test_a_whole_picture_always_carries_its_bands():
    """Later partial updates write to the band traces: a full redraw must have them."""
    request = {"values": DEFAULTS, "n": 3, "final": False, "fresh": False}
    output = update_as("explore-pick-0.value", request)
    names = [trace["name"] for trace in output[0]["data"]]
    assert names[:6] == [
        "Baseline",
        "This scenario",
        "Baseline: 5 %",
        "Baseline: 5-95 % range",
        "This scenario: 5 %",
        "This scenario: 5-95 % range",
    ]


def test_every_lever_has_a_how_it_works_panel():
    """What it is (the help line), the loops it feeds in words, the evidence behind it."""
    page = explore.layout()
    levers = [
        item for item in walk(page) if str(getattr(item, "className", "")).split()[:1] == ["lever"]
    ]
    assert len(levers) == len(KEYS)
    for lever in levers:
        panels = [item for item in walk(lever) if getattr(item, "className", "") == "how secondary"]
        assert len(panels) == 1
        text = " ".join(strings(panels[0]))
        assert "How it works" in text and "The loops it feeds" in text
        assert "The evidence behind it" in text and (" R" in text or " B" in text or "R1" in text)
    public = next(lever for lever in levers if "Public digital investment" in strings(lever))
    text = " ".join(strings(public))
    assert "R1 Policy dividend" in text and "EG1" in text and "Baseline value 2" in text


def walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from walk(child)


def strings(component) -> list[str]:
    found = []
    for item in walk(component):
        children = getattr(item, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if isinstance(child, str):
                found.append(child)
    return found


def test_the_loop_strip_names_its_strongest_loops_on_the_chart_not_by_hue_alone():
    from flywheel.loops import load_loops

    all_on = [lever.key for lever in flywheel.LINKS]
    outputs = triggered(
        flywheel.update,
        '{"code":"R5","type":"flywheel-loop"}.n_clicks',
        all_on,
        [1],
        None,
        "china",
        {},
        "en",
    )
    strip = outputs[4]
    coloured = [t for t in strip["data"] if t["fillcolor"] != figures.STRIP_OTHERS]
    grey = [t for t in strip["data"] if t["fillcolor"] == figures.STRIP_OTHERS]
    assert 3 <= len(coloured) <= len(figures.STRIP_STYLES) and grey
    # each coloured loop differs from the others in its hatching too, and is labelled
    hatches = [t.get("fillpattern", {}).get("shape", "") for t in coloured]
    assert len(set(hatches)) == len(hatches)
    names = {loop.code: loop.name for loop in load_loops()}
    labels = [a["text"] for a in strip["layout"]["annotations"]]
    assert sorted(labels) == sorted(f"{t['name']} {names[t['name']]}" for t in coloured)
    assert "R5" in {t["name"] for t in coloured}  # the loop asked for is always shown
    assert strip["layout"]["showlegend"] is False


@pytest.mark.parametrize(
    ("key", "others"),
    [
        ("public_investment", {"rd_intensity": 5.0}),
        ("future_shock_year", {"future_shock": 1.0}),
        ("link_society_economy", {}),
    ],
)
def test_a_fan_holds_the_run_of_every_step_of_the_lever(key, others):
    """The page draws a drag from the fan: each member must be that step's own run."""
    levers = {**load_levers().defaults(), **others}
    answer = explore.fan({"key": key, "levers": levers, "n": 3}, "deu", *PICKS)
    grid = runs.lever_grid(key)
    assert answer["key"] == key and answer["count"] == len(grid) and answer["n"] == 3
    assert answer["region"] == "deu" and answer["picks"] == PICKS
    chosen = [figures.chart_menu()[pick] for pick in PICKS]
    for step in (0, len(grid) // 3, len(grid) - 1):
        single = runs.run(state.changed_levers({**levers, key: grid[step]}), "deu")
        for chart, (variable, _title, _unit, scale) in enumerate(chosen):
            expected = (single.frame[variable] * scale).tolist()
            assert answer["lines"][chart][step] == pytest.approx(expected, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize(
    "request_",
    [
        None,
        "x",
        {"key": "nope"},
        {"key": ["public_investment"]},
        {"key": "public_investment", "levers": {"public_investment": "nan"}},
        {"key": "public_investment", "levers": {"nope": 1}},
    ],
)
def test_a_malformed_fan_request_asks_for_nothing(request_):
    with pytest.raises(PreventUpdate):
        explore.fan(request_, "china", *PICKS)


def test_the_model_page_shows_no_nan_for_a_variable_without_units():
    rows = {row["name"]: row for row in model.variable_rows()}
    assert rows["Time"]["units"] == ""
    assert not [name for name, row in rows.items() if "nan" in row["units"].split()]
    assert rows["Digital Capital"]["units"] == "trillion yuan"


def test_the_calibration_page_shows_the_out_of_sample_test_beside_the_line(tmp_path, monkeypatch):
    from calibration import report
    from calibration.report import load_holdout
    from dashboard.pages import calibration

    def cells(node):
        table = None

        def find(item):
            nonlocal table
            if getattr(item, "id", None) == "calibration-holdout":
                table = item
            children = getattr(item, "children", None)
            for child in children if isinstance(children, (list, tuple)) else [children]:
                if child is not None and not isinstance(child, (str, int, float)):
                    find(child)

        for item in node:
            find(item)
        if table is None:
            return None
        body = table.children[1]
        return [[td.children for td in row.children] for row in body.children]

    shipped = load_holdout("china")
    rows = cells(calibration.show_region("china", "en"))
    assert rows is not None and len(rows) == len(shipped["series"])
    for row, item in zip(rows, shipped["series"].values(), strict=True):
        assert row[2] == f"{item['model']['MAPE']:.3g}" and row[4] == f"{item['naive']['MAPE']:.3g}"
        assert ("beats the line" in row[5]) == item["beats_naive"]
    chinese = cells(calibration.show_region("china", "zh"))
    assert any("优于直线" in row[5] or "不如直线" in row[5] for row in chinese)
    assert cells(calibration.show_region("deu", "en")) is None  # no test saved for Germany
    # a damaged file shows no section, and a damaged row is left out
    monkeypatch.setattr(report, "HOLDOUT_DIR", tmp_path)
    (tmp_path / "china.json").write_text("{not json")
    assert cells(calibration.show_region("china", "en")) is None
    damaged = {**shipped, "series": {**shipped["series"], "egdi": {"label": "x"}}}
    (tmp_path / "china.json").write_text(json.dumps(damaged))
    assert len(cells(calibration.show_region("china", "en"))) == len(shipped["series"]) - 1


def test_answers_are_encoded_by_orjson_with_the_standard_encoders_content(monkeypatch):
    """The server encodes answers with orjson (a fan in well under a millisecond): a fan
    and a whole picture carry the same numbers, text and nulls as Plotly's standard
    encoder would write, and nothing that is not strict JSON."""
    import plotly.io.json as plotly_json
    from dash._utils import to_json

    from dashboard.app import create_app

    create_app()
    assert plotly_json.config.default_engine == "orjson"
    levers = {**load_levers().defaults(), "public_investment": 7.0}
    fan = explore.fan({"key": "rd_intensity", "levers": levers, "n": 1}, "china", *PICKS)
    picture = update_as("explore-request", {"values": values_with(public_investment=7.0)})
    for answer in (fan, list(picture[:5]), {"gap": float("nan"), "text": "数字 – é"}):
        fast = to_json(answer)
        monkeypatch.setattr(plotly_json.config, "default_engine", "json")
        standard = to_json(answer)
        monkeypatch.setattr(plotly_json.config, "default_engine", "orjson")
        assert json.loads(fast) == json.loads(standard)
        json.loads(fast, parse_constant=lambda token: pytest.fail(f"{token} is not JSON"))


def test_a_warmed_worker_draws_the_first_picture_from_what_it_computed_at_start():
    """A production worker warms Explore as it starts: a participant's first picture (the
    baseline, its bands, the cost curves) then needs no model run at all."""
    from dashboard.app import ProductionServer
    from dashboard.batching import batcher

    for cached in (runs._run, runs._bands, runs.cost_curves):
        cached.cache_clear()
    ProductionServer("127.0.0.1", 0).load()  # what gunicorn calls in each worker
    assert runs._bands.cache_info().currsize == 1 and runs.cost_curves.cache_info().currsize == 1
    batches, misses = batcher().stats.batches, runs._run.cache_info().misses
    figures_ = update_as("explore-request", {"values": DEFAULTS})
    assert batcher().stats.batches == batches and runs._run.cache_info().misses == misses
    names = [trace.get("name") for trace in figures_[0]["data"]]
    assert any("5-95" in str(name) for name in names)  # the bands came from the warm-up


def test_a_worker_whose_warm_up_fails_still_starts_and_says_so(monkeypatch, capsys):
    from dashboard.app import ProductionServer

    def broken(region="china"):
        raise OSError("models/calibrated/china.json: unreadable")

    monkeypatch.setattr(explore, "warm", broken)
    server = ProductionServer("127.0.0.1", 0).load()
    assert server is not None and server.debug is False
    said = capsys.readouterr().err
    assert "first picture was not computed ahead" in said and "china.json" in said
    assert "Traceback" not in said
