"""Explore page: sliders on the left, trajectories against the baseline on the right."""

from __future__ import annotations

import json

import dash
import pandas as pd
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
)
from dash.exceptions import PreventUpdate

from dashboard import figures, i18n, runs, state
from dashboard.batching import batcher
from dashboard.components import graph, region_selector, remember_region
from dashboard.i18n import N_, _, in_money
from dashboard.story import load_story
from flywheel import InputError, load_levers
from flywheel.evidence import lever_mechanisms
from flywheel.files import slug
from flywheel.loops import load_loops
from flywheel.scenarios import load_scenario, preset_names
from flywheel.simulate import engine

LEVER = "explore-lever"
MAX_SAVED = 20
MAX_COMPARE = 4
GROUP_ORDER = (
    "Investment",
    "Policy dividends",
    "Transformation",
    "Inclusion",
    "Timing",
    "Links",
    "Shock",
)
CHARTS = state.CHART_COUNT  # trajectory charts, each showing the variable picked above it
PICKS = [f"explore-pick-{index}" for index in range(CHARTS)]
CARD_FORMATS = {
    "Digital economy share of GDP": (
        N_("Digital economy, share of GDP"),
        100,
        "{:.1f} %",
        N_("{:+.1f} pts"),
    ),
    "Digital Government Capability": (
        N_("Digital government (index 0-1)"),
        1,
        "{:.3f}",
        "{:+.3f}",
    ),
    "Digital Society Adoption": (N_("People online"), 100, "{:.1f} %", N_("{:+.1f} pts")),
    "GDP per capita": (N_("GDP per person"), 1, N_("{:,.0f} k yuan"), N_("{:+,.0f} k")),
    "Regional development index": (N_("Development index (0-1)"), 1, "{:.3f}", "{:+.3f}"),
}
#: Development stages named on the cards.
STAGES = {"growth": N_("growth"), "transformation": N_("transformation")}


BANDS_LABEL = N_(" Show uncertainty: 5-95 % of 200 calibrated variants")
#: The headline changes the waterfall can split: "variable|year" -> (label, scale, unit).
ATTRIBUTION_LINES = {
    f"{variable}|{year}": (label, year, scale, unit)
    for year in (2050, 2035)
    for variable, label, scale, unit in (
        ("GDP per capita", N_("GDP per person"), 1, N_("thousand yuan")),
        ("Digital economy share of GDP", N_("Digital economy share of GDP"), 100, N_("points")),
        ("Digital Government Capability", N_("Digital government capability"), 1, N_("index")),
        ("Digital Society Adoption", N_("People online"), 100, N_("points")),
        ("Regional development index", N_("Development index"), 1, N_("index")),
    )
}
ATTRIBUTION_DEFAULT = next(iter(ATTRIBUTION_LINES))


def _attribution_label(key: str) -> str:
    """A headline change's name in the menu and on the waterfall ("GDP per person, 2050")."""
    label, year, _scale, _unit = ATTRIBUTION_LINES[key]
    return _("{line}, {year}").format(line=_(label), year=year)


BOX = "explore-box-"  # + lever key: the typed value beside each slider
SWITCH = "explore-switch-"  # + lever key: the on/off box of a lever of kind "switch"


def _switch(lever):
    """An on/off lever as a box to tick; its slider stays, hidden, as the lever's value.

    The hidden slider keeps the one path every lever's value takes (presets, links, the
    story, the gate); a clientside callback keeps box and slider in step.
    """
    return html.Div(
        className="lever lever-switch",
        title=_(lever.help),
        children=[
            html.Div(
                className="lever-head",
                children=[
                    dcc.Checklist(
                        id=SWITCH + lever.key,
                        options=[{"label": " " + _(lever.label), "value": "on"}],
                        value=["on"] if lever.default else [],
                        className="switch",
                    ),
                    html.Span(
                        _("baseline: {state}").format(state=_("on") if lever.default else _("off")),
                        className="unit",
                    ),
                ],
            ),
            html.Div(className="lever-row", hidden=True, children=_slider_row(lever, {})),
            html.Div(_(lever.help), className="help secondary"),
            _how_it_works(lever),
        ],
    )


def _slider_row(lever, marks) -> list:
    """A lever's slider and the box beside it that takes a typed value."""
    return [
        dcc.Slider(
            id={"type": LEVER, "key": lever.key},
            min=lever.min,
            max=lever.max,
            step=lever.step,
            value=lever.default,
            marks=marks,
            # value on release; drag_value while dragging (the gate sends it)
            updatemode="mouseup",
            # the slider's own box keeps an out-of-range entry on screen while
            # the scenario uses the last valid keystroke: ours checks on Enter
            allow_direct_input=False,
        ),
        dcc.Input(
            id=BOX + lever.key,
            type="text",
            inputMode="decimal",
            value=f"{lever.default:g}",
            debounce=True,
            maxLength=24,
            className="lever-box",
        ),
    ]


def _how_it_works(lever) -> html.Details:
    """A lever's "How it works": what it is, the loops it feeds, the evidence behind it.

    The loops and the evidence are read off the model's equations
    (:func:`flywheel.evidence.lever_mechanisms`); studies and the model file's comments
    are quoted as written (English).
    """
    mechanism = lever_mechanisms()[lever.key]
    loops = {loop.code: loop for loop in load_loops()}
    chosen = [loops[code] for code in mechanism.loops if code in loops]
    if len(chosen) <= 3:
        feeds = html.Ul(
            [
                html.Li([html.Strong(f"{loop.code} {_(loop.name)}: "), _(loop.story)])
                for loop in chosen
            ]
        )
    else:  # timing and broad levers reach most loops: their names are enough
        feeds = html.P(" · ".join(f"{loop.code} {_(loop.name)}" for loop in chosen))
    evidence = [
        html.Li(
            [
                html.Strong(f"{row.id} ({_(LINK_WORDS.get(row.link, row.link))}): "),
                html.Span(f"{row.estimated} — {row.study}", lang="en"),
            ]
        )
        for row in mechanism.evidence
    ]
    if mechanism.historical:
        comment = engine().variables[mechanism.historical].comment or ""
        evidence.append(
            html.Li(
                [
                    html.Strong(_("Baseline value {value}: ").format(value=f"{lever.default:g}")),
                    html.Span(comment, lang="en"),
                ]
            )
        )
    if not mechanism.evidence:
        evidence.append(
            html.Li(
                _(
                    "No published estimate sets the size of this effect: it is an assumption, "
                    "to be tried across the slider's range ({low} to {high})."
                ).format(low=f"{lever.min:g}", high=f"{lever.max:g}")
            )
        )
    return html.Details(
        className="how secondary",
        children=[
            html.Summary(_("How it works")),  # what it is: the help line just above
            html.H4(_("The loops it feeds")),
            feeds if chosen else html.P(_("none")),
            html.H4(_("The evidence behind it")),
            html.Ul(evidence),
        ],
    )


#: The evidence table's links in words.
LINK_WORDS = {
    "economy -> government": N_("economy → government"),
    "government -> economy": N_("government → economy"),
    "economy -> society": N_("economy → society"),
    "society -> economy": N_("society → economy"),
    "government -> society": N_("government → society"),
    "society -> government": N_("society → government"),
    "economy (inside)": N_("inside the economy"),
}


def _slider(lever):
    if lever.kind == "switch":
        return _switch(lever)
    marks = {lever.min: f"{lever.min:g}", lever.max: f"{lever.max:g}"}
    marks[lever.default] = {"label": "▲", "style": {"color": "#666666"}}
    unit = _(lever.unit) if lever.unit else ""
    return html.Div(
        className="lever",
        title=_(lever.help),
        children=[
            html.Div(
                className="lever-head",
                children=[
                    html.Label(_(lever.label), htmlFor=BOX + lever.key),
                    html.Span(
                        _("{unit} · baseline ▲ {default}").format(
                            unit=unit, default=f"{lever.default:g}"
                        ),
                        className="unit",
                    ),
                ],
            ),
            html.Div(className="lever-row", children=_slider_row(lever, marks)),
            html.Div(_(lever.help), className="help secondary"),
            _how_it_works(lever),
        ],
    )


#: Groups that are assumptions about the world, not policies: shown apart, folded.
ASSUMPTION_GROUPS = ("Timing", "Links", "Shock")


def _sliders(open_assumptions: bool = False):
    """The policy levers, then the assumptions (timing, links, a future shock) folded.

    The assumptions open when the scenario changes one of them (a link from the address).
    """
    table = load_levers()
    policy, assumptions = [], []
    for group in GROUP_ORDER:
        members = [lever for lever in table if lever.group == group]
        if members:
            fieldset = html.Fieldset(
                [html.Legend(_(group))] + [_slider(lever) for lever in members],
                className=f"lever-group group-{group.split()[0].lower()}",
            )
            (assumptions if group in ASSUMPTION_GROUPS else policy).append(fieldset)
    return [
        html.H2(_("Policy levers"), className="panel-title"),
        *policy,
        html.Details(
            id="explore-assumptions",
            className="assumptions",
            open=open_assumptions,
            children=[
                html.Summary(
                    _(
                        "Assumptions: when policies start, how the three lines are linked, a "
                        "future shock"
                    )
                ),
                *assumptions,
            ],
        ),
    ]


def _changes_assumptions(query: dict) -> bool:
    """True when the address sets an assumption (timing, a link, the shock) off its default."""
    levers, _problems = state.from_page_query(query)
    table = load_levers()
    return any(
        table.get(key).group in ASSUMPTION_GROUPS for key in state.changed_levers(levers, table)
    )


@i18n.with_query_language
def layout(**query):
    """Explore page layout (URL query values are applied by a callback)."""
    presets = [{"label": _(load_scenario(name).title), "value": name} for name in preset_names()]
    picks, _messages = state.picks_from_query(query)
    menu = [
        {"label": f"{_(title)} ({in_money(unit, 'yuan')})", "value": key}
        for key, (_variable, title, unit, _scale) in figures.chart_menu().items()
    ]
    charts = [
        html.Div(
            className="chart",
            children=[
                dcc.Dropdown(
                    id=f"explore-pick-{index}",
                    options=menu,
                    value=picks[index],
                    clearable=False,
                    searchable=True,
                    className="chart-pick",
                ),
                graph(f"explore-chart-{index}", 320, "graph"),
            ],
        )
        for index in range(CHARTS)
    ]
    return html.Div(
        className="explore",
        children=[
            dcc.Location(id="explore-url", refresh=False),
            dcc.Store(id="page-lang", data=i18n.current()),  # the callbacks' language
            dcc.Location(id="explore-url-sync", refresh=False),
            dcc.Store(id="explore-scenario"),
            dcc.Store(id="explore-request"),  # the levers sent to the server (see GATE)
            dcc.Store(id="explore-done"),  # the request the picture on screen answers
            dcc.Store(id="explore-gate"),  # written by nobody: the release callback's output
            dcc.Store(id="explore-presenting"),  # set when presentation mode is switched
            # a drag drawn in the page: the lever under the pointer at every step of its
            # slider, asked for when the pointer comes near it (see assets/gate.js)
            dcc.Store(id="explore-fan-request"),
            dcc.Store(id="explore-fan"),
            dcc.Store(id="explore-fan-kept"),
            # the levers of the picture on screen (read by tests and the drag benchmark)
            html.Div(id="explore-drawn", hidden=True),
            dcc.Download(id="explore-download"),
            html.Aside(
                className="controls",
                children=[
                    region_selector(query, "explore"),
                    html.Div(
                        className="control-row",
                        children=[
                            dcc.Dropdown(
                                id="explore-preset",
                                options=presets,
                                placeholder=_("Start from a preset..."),
                                clearable=True,
                                className="preset",
                            ),
                            html.Button(
                                _("Reset to baseline"), id="explore-reset", className="button"
                            ),
                        ],
                    ),
                    html.Div(id="explore-apply-message", className="message", role="status"),
                    *_sliders(_changes_assumptions(query)),
                ],
            ),
            html.Main(
                className="results",
                children=[
                    html.Section(
                        className="intro secondary",
                        children=[
                            html.H1(id="explore-intro-title", className="intro-title"),
                            html.P(
                                _(
                                    "The model asks what happens to a region's development when "
                                    "it invests in its digital economy, its digital government "
                                    "and its digital society, which drive one another like a "
                                    "flywheel. Move a policy lever on the left and compare the "
                                    "blue scenario with the grey dashed baseline. To start, set "
                                    "public digital investment to 6 and watch digital "
                                    "government, then the other two lines, rise; or follow the "
                                    "guided story."
                                )
                            ),
                        ],
                    ),
                    html.Section(
                        className="story",
                        children=[
                            html.Div(
                                className="control-row",
                                children=[
                                    html.Button(
                                        _("Guided story"),
                                        id="explore-story-start",
                                        className="button",
                                    ),
                                    html.Button(
                                        _("◀ Back"),
                                        id="explore-story-back",
                                        className="button ghost",
                                    ),
                                    html.Button(
                                        _("Next ▶"),
                                        id="explore-story-next",
                                        className="button ghost",
                                    ),
                                ],
                            ),
                            html.Div(id="explore-story", role="status", className="story-text"),
                            dcc.Store(id="explore-story-step", data=None),
                        ],
                    ),
                    html.Div(id="explore-run-message", className="message", role="status"),
                    html.Div(id="explore-cards", className="cards secondary"),
                    html.Section(
                        className="attribution secondary",
                        children=[
                            html.Div(
                                className="control-row",
                                children=[
                                    html.Label(
                                        _("Which lever did this?"),
                                        htmlFor="explore-attribution-line",
                                    ),
                                    dcc.Dropdown(
                                        id="explore-attribution-line",
                                        options=[
                                            {"label": _attribution_label(key), "value": key}
                                            for key in ATTRIBUTION_LINES
                                        ],
                                        value=ATTRIBUTION_DEFAULT,
                                        clearable=False,
                                        className="attribution-line",
                                    ),
                                ],
                            ),
                            graph("explore-attribution", 260, "graph attribution-graph"),
                            html.Div(id="explore-attribution-note", className="note"),
                        ],
                    ),
                    html.Div(
                        className="toolbar secondary",
                        children=[
                            dcc.Input(
                                id="explore-save-name",
                                placeholder=_("Name this scenario"),
                                maxLength=40,
                                debounce=False,
                                className="input",
                            ),
                            html.Button(
                                _("Save in this browser"), id="explore-save", className="button"
                            ),
                            dcc.Checklist(
                                id="explore-bands",
                                options=[{"label": _(BANDS_LABEL), "value": "on"}],
                                value=["on"],
                                inline=True,
                                className="bands-switch",
                            ),
                            html.Button(
                                _("Delete ticked"),
                                id="explore-delete",
                                className="button ghost",
                                title=_("Delete the saved scenarios ticked for comparison"),
                            ),
                            dcc.Checklist(
                                id="explore-compare",
                                options=[],
                                value=[],
                                inline=True,
                                className="compare",
                            ),
                            html.Button(
                                _("Download CSV"),
                                id="explore-download-csv",
                                className="button ghost",
                            ),
                            html.Button(
                                _("Download scenario JSON"),
                                id="explore-download-json",
                                className="button ghost",
                            ),
                            dcc.Upload(
                                id="explore-upload",
                                children=html.Button(
                                    _("Upload scenario JSON"), className="button ghost"
                                ),
                                max_size=state.MAX_SCENARIO_BYTES,
                                accept=".json,application/json",
                            ),
                        ],
                    ),
                    html.Div(
                        _(
                            "Grey dashed: baseline · blue: this scenario · shaded: 5-95 % range "
                            "· red dots: observed"
                        ),
                        className="presentation-key",
                    ),
                    html.Div(charts, className="charts"),
                    html.Section(
                        className="cost secondary",
                        children=[
                            graph("explore-cost", 380, "graph cost-graph"),
                            html.P(
                                _(
                                    "Left: digital cost per unit and marginal cost against "
                                    "digital output (2005 = 1, log scale). Right: traditional "
                                    "marginal cost against scale (1 = the efficient scale)."
                                ),
                                className="note",
                            ),
                            html.Label(_("Operating point in year"), htmlFor="explore-cost-year"),
                            dcc.Slider(
                                id="explore-cost-year",
                                min=2005,
                                max=2050,
                                step=1,
                                value=2035,
                                marks={year: str(year) for year in range(2005, 2051, 5)},
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )


def _slider_values(levers: dict[str, float], ids) -> list[float]:
    return [levers.get(item.get("key") if isinstance(item, dict) else None, 0.0) for item in ids]


def _unchanged(ids) -> list:
    """Every slider left as it is (one ``no_update`` per slider the page sent)."""
    return [dash.no_update] * len(ids) if isinstance(ids, list) else []


def warm(region: str = state.DEFAULT_REGION) -> None:
    """Compute what a first visit to Explore needs, before anyone asks for it.

    The baseline and its uncertainty bands for the default charts, the cost curves and
    the observations (and with them the model and its batch engine). A server worker
    calls this as it starts: without it, the first participants each worker meets wait
    about 0.75 s more, while a room opens the page at once.
    """
    region = state.clean_region(region)
    _picks, _chosen, variables = _charts(list(figures.default_picks()))
    runs.baseline(region, variables)
    runs.bands({}, variables, region)
    runs.cost_curves(region)
    runs.observations(region)


def _charts(picks) -> tuple[list[str], list[tuple], tuple[str, ...]]:
    """The picked charts (junk replaced), their menu entries and their model variables."""
    picks = state.clean_picks(picks)
    chosen = [figures.chart_menu()[key] for key in picks]
    return picks, chosen, tuple(variable for variable, *_ in chosen)


@callback(
    Output({"type": LEVER, "key": ALL}, "value"),
    Output("explore-apply-message", "children"),
    Output("explore-preset", "value"),
    Input("explore-url", "search"),
    Input("explore-preset", "value"),
    Input("explore-reset", "n_clicks"),
    Input("explore-upload", "contents"),
    State("explore-upload", "filename"),
    State({"type": LEVER, "key": ALL}, "id"),
    State({"type": LEVER, "key": ALL}, "value"),
    State("page-lang", "data"),
)
@i18n.localized
def apply_levers(search, preset, _reset, upload, filename, ids, values):
    """Set the sliders from the URL (on load), a preset, the reset button or an uploaded file."""
    trigger = ctx.triggered_id
    current, _problems = state.clean_levers(ids, values)
    messages: list[str] = []
    shown_preset = None  # the preset box names a preset only while its levers are applied
    if trigger == "explore-preset":
        if not isinstance(preset, str) or preset not in preset_names():
            raise PreventUpdate
        scenario = load_scenario(preset)
        levers = {**load_levers().defaults(), **scenario.levers}
        messages.append(
            _("Preset applied: {title}. {description}")
            .format(title=_(scenario.title), description=_(scenario.description))
            .strip()
        )
        shown_preset = preset
    elif trigger == "explore-reset":
        levers = load_levers().defaults()
        messages.append(_("All levers back to the baseline."))
    elif trigger == "explore-upload":
        try:
            levers = state.from_upload(upload, filename)
            messages.append(_("Scenario loaded from {file}.").format(file=str(filename)[:80]))
        except InputError as error:
            problem = _("Could not load the file: {error}").format(error=error)
            return _slider_values(current, ids), problem, dash.no_update
    else:
        levers, messages = state.from_query(search)
        messages += state.picks_from_query(search)[1]  # the charts are set by the layout
        if levers == current and not messages:
            raise PreventUpdate
        if messages:
            messages.insert(0, _("From the link:"))
        if levers == current:  # nothing to move, but say what was wrong with the link
            return _unchanged(ids), " ".join(messages), dash.no_update
    return _slider_values(levers, ids), " ".join(messages), shown_preset


KEYS = tuple(load_levers().keys())

# live drag: the gate, the release and the boxes are in assets/gate.js (no request each)
clientside_callback(
    ClientsideFunction("flywheel", "boxes"),
    [Output(BOX + key, "value") for key in KEYS],
    Input({"type": LEVER, "key": ALL}, "drag_value"),
    Input({"type": LEVER, "key": ALL}, "value"),
    State({"type": LEVER, "key": ALL}, "id"),
)
clientside_callback(
    ClientsideFunction("flywheel", "gate"),
    Output("explore-request", "data"),
    Input({"type": LEVER, "key": ALL}, "drag_value"),
    Input({"type": LEVER, "key": ALL}, "value"),
    State({"type": LEVER, "key": ALL}, "id"),
    State("explore-request", "data"),
)
# an on/off lever: its box and its (hidden) slider follow each other, either way round
for _lever in load_levers():
    if _lever.kind == "switch":
        clientside_callback(
            ClientsideFunction("flywheel", "switch"),
            Output(SWITCH + _lever.key, "value"),
            Output({"type": LEVER, "key": _lever.key}, "value", allow_duplicate=True),
            Input(SWITCH + _lever.key, "value"),
            Input({"type": LEVER, "key": _lever.key}, "value"),
            prevent_initial_call=True,
        )
clientside_callback(
    ClientsideFunction("flywheel", "keepFan"),
    Output("explore-fan-kept", "data"),
    Input("explore-fan", "data"),
    Input("explore-region", "value"),
    *[Input(pick, "value") for pick in PICKS],
)
clientside_callback(
    ClientsideFunction("flywheel", "release"),
    Output("explore-gate", "data"),
    Input("explore-done", "data"),
)


@callback(
    Output({"type": LEVER, "key": ALL}, "value", allow_duplicate=True),
    Output("explore-apply-message", "children", allow_duplicate=True),
    [Output(BOX + key, "value", allow_duplicate=True) for key in KEYS],
    # Enter or leaving the box, never the box's value itself: the slider writes that too
    [Input(BOX + key, "n_submit") for key in KEYS],
    [Input(BOX + key, "n_blur") for key in KEYS],
    [State(BOX + key, "value") for key in KEYS],
    State({"type": LEVER, "key": ALL}, "id"),
    State({"type": LEVER, "key": ALL}, "value"),
    State("page-lang", "data"),
    prevent_initial_call=True,
)
@i18n.localized
def typed(*args):
    """A value typed in a lever's box (on Enter or leaving it) moves its slider, if valid.

    An invalid entry moves nothing: the box goes back to the slider's value and a message
    names the lever, what was wrong and the allowed range.
    """
    boxes, (ids, values) = args[2 * len(KEYS) : 3 * len(KEYS)], args[3 * len(KEYS) :]
    trigger = ctx.triggered_id
    if not isinstance(trigger, str) or not trigger.startswith(BOX):
        raise PreventUpdate
    key = trigger.removeprefix(BOX)
    if key not in KEYS or len(boxes) != len(KEYS):
        raise PreventUpdate
    current, _problems = state.clean_levers(ids, values)
    lever = load_levers().get(key)
    text = boxes[KEYS.index(key)]
    box_values = [dash.no_update] * len(KEYS)
    value, problem = state.typed_value(lever, text, current[key])
    if problem:
        box_values[KEYS.index(key)] = f"{current[key]:g}"
        return _unchanged(ids), problem, *box_values
    if value == current[key]:
        raise PreventUpdate  # nothing typed (leaving the box after Enter, or untouched)
    current[key] = value
    return _slider_values(current, ids), "", *box_values


@callback(
    *[Output(f"explore-chart-{index}", "figure") for index in range(CHARTS)],
    Output("explore-cost", "figure"),
    Output("explore-cards", "children"),
    Output("explore-url-sync", "search"),
    Output("explore-run-message", "children"),
    Output("explore-scenario", "data"),
    Output("current-levers", "data"),
    Output("explore-drawn", "children"),
    Output("explore-done", "data"),
    Output("current-charts", "data"),
    Input("explore-request", "data"),
    Input("explore-compare", "value"),
    Input("explore-cost-year", "value"),
    Input("explore-bands", "value"),
    Input("explore-region", "value"),
    *[Input(pick, "value") for pick in PICKS],
    Input("explore-presenting", "data"),  # presentation switched (see dashboard.app)
    State("presentation", "data"),
    State({"type": LEVER, "key": ALL}, "id"),
    State("saved-scenarios", "data"),
    State("page-lang", "data"),
)
@i18n.localized
def update(request, compare, cost_year, show_bands, region, *rest):
    """Run the scenario in the chosen region; redraw every chart and card (bands if on).

    ``request`` is what the gate sent (``{"values": [...], "n": k}``; a plain list of
    slider values is taken too); ``n`` comes back in ``explore-done``. ``rest``: the
    variable picked for each chart, presentation mode (on: type for a room), then the
    sliders' ids and the saved scenarios.
    """
    *picked, _switched, presenting, ids, saved = rest
    picks, chosen, variables = _charts(picked)
    values = request.get("values") if isinstance(request, dict) else request
    number = request.get("n") if isinstance(request, dict) else None
    done = number if isinstance(number, int) and not isinstance(number, bool) else None
    # a lever move (the gate's request, not a page's first) redraws only the scenario: the
    # rest is on screen; while a drag goes on (final false) the line alone, no bands
    later = isinstance(request, dict) and request.get("fresh") is False
    final = not (later and request.get("final") is False)
    patch = later and ctx.triggered_id == "explore-request"
    levers, messages = state.clean_levers(ids, values)
    region = state.clean_region(region)
    changed = state.changed_levers(levers)
    bands = {}
    bands_on = isinstance(show_bands, list) and "on" in show_bands
    # a whole picture always has its bands (later partial updates count on their traces);
    # a partial one while a drag goes on has none
    with_bands = bands_on and (final or not patch)
    # the run, its bands and a settled scenario's waterfall split share one batch
    result, scenario_bands = runs.picture_runs(
        changed, variables, region, with_bands, settled=final and bool(changed)
    )
    if with_bands:
        bands = {
            N_("Baseline"): runs.bands({}, variables, region),
            N_("This scenario"): scenario_bands,
        }
    base = runs.baseline(region, variables)
    compares = [
        (name, runs.run(state.changed_levers(levers_), region, variables))
        for name, levers_ in _saved(saved, compare)
    ]
    observed = runs.observations(region)  # what the region's baseline was fitted to
    currency = result.currency
    charts = [
        figures.trajectory_figure(
            variable,
            _(title),
            in_money(unit, currency),
            scale,
            result,
            base,
            compares,
            observed[variable][1] if observed.get(variable, (0,))[0] == scale else None,
            {name: band[variable] for name, band in bands.items()},
        )
        for variable, title, unit, scale in chosen
    ]
    if presenting is True:
        charts = [figures.for_presentation(chart) for chart in charts]
    if patch:
        # the scenario's band follows the baseline's (2 traces) after the line traces
        first_band = 2 + len(compares) + 2 if bands_on else None
        charts = [figures.scenario_patch(chart, first_band, final) for chart in charts]
    year = (
        int(cost_year)
        if isinstance(cost_year, (int, float)) and 2005 <= cost_year <= 2050
        else 2035
    )
    costs = runs.cost_curves(region)
    return (
        *charts,
        figures.cost_figure(result, year, costs),
        _cards(runs.headline(result, base), currency),
        state.to_query(levers, region, picks, i18n.current()),
        " ".join(messages),
        # the scenario settled (not a drag's passing value): saving, downloading and the
        # lever waterfall, whose split started with the picture's runs
        levers if final else dash.no_update,
        levers,
        json.dumps(levers, sort_keys=True),
        done,
        picks,
    )


#: Most slider steps a fan covers (the largest lever has 151).
FAN_MAX_STEPS = 301
#: A fan is a convenience: when this many members already wait for the model in this
#: process (about ten fans or pictures with bands), none is computed, and the page draws
#: the drag through requests. Since a batch starts at the policy start year, members are
#: cheap: with 50 simulated participants a limit of 500 shed 190 fans in 40 s, whose
#: drags sent 1,500 requests instead, and completed 500 drags; 2,000 shed 12 and
#: completed 620 drags at the same 95th-percentile latency.
FAN_SHED_MEMBERS = 2000


@callback(
    Output("explore-fan", "data"),
    Input("explore-fan-request", "data"),
    State("explore-region", "value"),
    *[State(pick, "value") for pick in PICKS],
    prevent_initial_call=True,
)
def fan(request, region, *picked):
    """Every step of one lever's slider, the other levers as they are, for the charts shown.

    The page draws a drag from it at once (the same numbers a request per move would
    bring: each member is the run for that step). Anything malformed asks for nothing.
    """
    if not isinstance(request, dict) or request.get("key") not in KEYS:
        raise PreventUpdate
    key = request["key"]
    levers, problems = state.clean_lever_dict(request.get("levers"))
    if problems or len(runs.lever_grid(key)) > FAN_MAX_STEPS:
        raise PreventUpdate
    if batcher().waiting_members >= FAN_SHED_MEMBERS:
        raise PreventUpdate  # busy: whole pictures first
    region = state.clean_region(region)
    picks, chosen, variables = _charts(list(picked))
    grid, result = runs.fan(state.changed_levers(levers), key, variables, region)
    years = [i for i, t in enumerate(result.times) if abs(t - round(t)) < 1e-9]
    lines = [
        figures.significant(result.values[variable][:, years] * scale).tolist()
        for variable, _title, _unit, scale in chosen
    ]
    lever = load_levers().get(key)
    return {
        "key": key,
        "levers": levers,
        "region": region,
        "picks": picks,
        "min": lever.min,
        "step": lever.step,
        "count": len(grid),
        "lines": lines,
        "n": request.get("n") if isinstance(request.get("n"), int) else None,
    }


def _unit_of(currency: str) -> str:
    """One unit of a currency named in the plural ("euros" -> "euro", "yuan" -> "yuan")."""
    if currency in ("yuan", "yen", "won", "rand", "dong", "rupiah", "lira"):
        return currency
    return currency[:-1] if currency.endswith("s") else currency


def _saved(saved, names) -> list[tuple[str, dict[str, float]]]:
    """Saved scenarios picked for comparison (validated; at most four)."""
    if not isinstance(saved, dict) or not isinstance(names, list):
        return []
    picked = []
    for name in names[:MAX_COMPARE]:
        raw = saved.get(name) if isinstance(name, str) else None
        if isinstance(raw, dict):
            levers, _problems = state.clean_lever_dict(raw)
            picked.append((name, levers))
    return picked


def _cards(numbers: dict, currency: str = "yuan") -> list:
    cards = []
    for name, (label, scale, value_fmt, delta_fmt) in CARD_FORMATS.items():
        value_fmt = in_money(value_fmt, currency)
        rows = [
            html.Div(
                [
                    html.Span(str(year), className="year"),
                    html.Span(value_fmt.format(value * scale), className="value"),
                    html.Span(
                        _("{change} vs baseline").format(change=_(delta_fmt).format(delta * scale)),
                        className="delta",
                    ),
                ]
            )
            for year, (value, delta) in numbers["cards"][name].items()
        ]
        cards.append(
            html.Div([html.Div(_(label), className="card-title"), *rows], className="card")
        )

    def year(stage, which):
        found = numbers[which].get(stage)
        return str(found) if found else _("after 2050")

    cards.append(
        html.Div(
            className="card",
            children=[
                html.Div(_("Development stage reached"), className="card-title"),
                *[
                    html.Div(
                        [
                            html.Span(_(word), className="year"),
                            html.Span(year(stage, "stages"), className="value"),
                            html.Span(
                                _("baseline {year}").format(year=year(stage, "baseline_stages")),
                                className="delta",
                            ),
                        ]
                    )
                    for stage, word in STAGES.items()
                ],
            ],
        )
    )
    ratio = numbers["gdp_per_spending"]
    one = _unit_of(currency) if i18n.current() == "en" else _(currency)
    cards.append(
        html.Div(
            className="card",
            children=[
                html.Div(
                    _("GDP gained per extra {unit} of public digital spending").format(unit=one),
                    className="card-title",
                ),
                html.Div(
                    html.Span(
                        f"{ratio:,.1f} {_(currency)}"
                        if ratio is not None
                        else _("no extra public spending"),
                        className="value",
                    )
                ),
                html.Div(
                    _("{start}-2050: {gdp} tn GDP for {spending} tn spending").format(
                        start=numbers["start"],
                        gdp=f"{numbers['extra_gdp']:+,.0f}",
                        spending=f"{numbers['extra_spending']:+,.1f}",
                    ),
                    className="delta",
                ),
            ],
        )
    )
    return cards


@callback(
    Output("explore-intro-title", "children"),
    Input("explore-region", "value"),
    State("page-lang", "data"),
)
@i18n.localized
def intro_title(region):
    """The introduction names the region the page shows."""
    from dashboard.components import region_label

    return _("What if {region} invests in its digital economy, government and society?").format(
        region=region_label(state.clean_region(region))
    )


@callback(
    Output({"type": LEVER, "key": ALL}, "value", allow_duplicate=True),
    *[Output(pick, "value") for pick in PICKS],
    Output("explore-story", "children"),
    Output("explore-story-step", "data"),
    Input("explore-story-start", "n_clicks"),
    Input("explore-story-back", "n_clicks"),
    Input("explore-story-next", "n_clicks"),
    State("explore-story-step", "data"),
    State({"type": LEVER, "key": ALL}, "id"),
    State("page-lang", "data"),
    prevent_initial_call=True,
)
@i18n.localized
def story(_start, _back, _next, step, ids):
    """Click through the guided story: each step sets the levers and charts and says why."""
    steps = load_story()
    valid = isinstance(step, int) and not isinstance(step, bool) and 0 <= step < len(steps)
    current = step if valid else None
    trigger = ctx.triggered_id
    if trigger == "explore-story-start" or current is None:
        index = 0
    elif trigger == "explore-story-next":
        index = min(current + 1, len(steps) - 1)
    elif trigger == "explore-story-back":
        index = max(current - 1, 0)
    else:
        raise PreventUpdate
    chosen = steps[index]
    levers = {**load_levers().defaults(), **chosen.levers}
    panel = [
        html.Strong(
            _("Step {number} of {total}: {title}. ").format(
                number=index + 1, total=len(steps), title=_(chosen.title)
            )
        ),
        html.Span(_(chosen.text)),
        html.Div([_("Look at: "), _(chosen.look_at)], className="look-at"),
    ]
    return _slider_values(levers, ids), *chosen.charts, panel, index


@callback(
    Output("explore-attribution", "figure"),
    Output("explore-attribution-note", "children"),
    Input("explore-scenario", "data"),
    Input("explore-attribution-line", "value"),
    Input("explore-region", "value"),
    State("page-lang", "data"),
)
@i18n.localized
def attribution(scenario, line, region):
    """Split the chosen headline change among the levers that differ from the baseline.

    ``scenario``: the levers of the picture drawn (the waterfall follows the charts).
    """
    levers, _problems = state.clean_lever_dict(scenario)
    region = state.clean_region(region)
    key = line if isinstance(line, str) and line in ATTRIBUTION_LINES else ATTRIBUTION_DEFAULT
    _label, _year, scale, unit = ATTRIBUTION_LINES[key]
    label = _attribution_label(key)
    variable, year = key.split("|")
    split = runs.attribution(state.changed_levers(levers), region)
    unit = in_money(unit, runs.currency_of(region))
    if split.shares.empty:
        return (
            figures.waterfall_figure({}, 0.0, label, unit),
            _("Move a slider: the change against the baseline is split here among the levers."),
        )
    column = (variable, int(year))
    names = {lever.key: _(lever.label) for lever in load_levers()}
    shares = {names.get(k, k): float(v) * scale for k, v in split.shares[column].items()}
    note = _(
        "Each bar is a lever's share of the change, averaged over every order in which the "
        "levers could be switched on ({method}); the bars add up to the total."
    ).format(method=split.method())
    return figures.waterfall_figure(shares, split.change[column] * scale, label, unit), note


@callback(
    Output("saved-scenarios", "data"),
    Output("explore-compare", "options", allow_duplicate=True),
    Output("explore-save-name", "value"),
    Output("explore-apply-message", "children", allow_duplicate=True),
    Input("explore-save", "n_clicks"),
    State("explore-save-name", "value"),
    State("explore-scenario", "data"),
    State("saved-scenarios", "data"),
    State("page-lang", "data"),
    prevent_initial_call=True,
)
@i18n.localized
def save_scenario(_clicks, name, levers, saved):
    """Save the current levers under a name in the browser's local storage."""
    if not _clicks:
        raise PreventUpdate
    saved = dict(saved) if isinstance(saved, dict) else {}
    name = name.strip()[:40] if isinstance(name, str) else ""
    if not name:
        message = _("Type a name for the scenario first.")
        return dash.no_update, dash.no_update, dash.no_update, message
    if name not in saved and len(saved) >= MAX_SAVED:
        message = _("At most {count} saved scenarios; delete one first.").format(count=MAX_SAVED)
        return dash.no_update, dash.no_update, dash.no_update, message
    clean, _problems = state.clean_lever_dict(levers)
    saved[name] = state.changed_levers(clean)
    message = _("Saved '{name}'. Tick it above the charts to compare (up to {count}).").format(
        name=name, count=MAX_COMPARE
    )
    return saved, _compare_options(saved), "", message


@callback(
    Output("saved-scenarios", "data", allow_duplicate=True),
    Output("explore-compare", "options", allow_duplicate=True),
    Output("explore-compare", "value"),
    Output("explore-apply-message", "children", allow_duplicate=True),
    Input("explore-delete", "n_clicks"),
    State("explore-compare", "value"),
    State("saved-scenarios", "data"),
    State("page-lang", "data"),
    prevent_initial_call=True,
)
@i18n.localized
def delete_scenarios(_clicks, ticked, saved):
    """Delete the saved scenarios ticked for comparison."""
    if not _clicks:
        raise PreventUpdate
    saved = dict(saved) if isinstance(saved, dict) else {}
    names = (
        [name for name in ticked if isinstance(name, str) and name in saved]
        if isinstance(ticked, list)
        else []
    )
    if not names:
        message = _(
            "Tick the saved scenarios to delete (the 'compare' boxes), then press Delete ticked."
        )
        return dash.no_update, dash.no_update, dash.no_update, message
    for name in names:
        del saved[name]
    quoted = ", ".join(f"'{name}'" for name in names)
    return saved, _compare_options(saved), [], _("Deleted {names}.").format(names=quoted)


@callback(
    Output("explore-compare", "options"),
    Input("explore-url", "pathname"),
    State("saved-scenarios", "data"),
    State("page-lang", "data"),
)
@i18n.localized
def compare_options(_path, saved):
    """Saved scenarios as compare options (read when the page opens)."""
    return _compare_options(saved)


def _compare_options(saved) -> list[dict]:
    names = sorted(saved)[:MAX_SAVED] if isinstance(saved, dict) else []
    return [{"label": _(" compare '{name}'").format(name=name), "value": name} for name in names]


@callback(
    Output("explore-download", "data"),
    Input("explore-download-csv", "n_clicks"),
    Input("explore-download-json", "n_clicks"),
    State("explore-scenario", "data"),
    State("explore-region", "value"),
    State("explore-save-name", "value"),
    State("explore-preset", "value"),
    *[State(pick, "value") for pick in PICKS],
    State("page-lang", "data"),
    prevent_initial_call=True,
)
@i18n.localized
def download(_csv, _json, levers, region=state.DEFAULT_REGION, name=None, preset=None, *picks):
    """Download the plotted numbers of the chosen region (CSV) or the scenario (JSON).

    The scenario's title is the name typed in the save box, else the preset shown, else
    a generic one.
    """
    if not (_csv or _json):
        raise PreventUpdate
    clean, _problems = state.clean_lever_dict(levers)
    changed = state.changed_levers(clean)
    if ctx.triggered_id == "explore-download-json":
        title = name.strip()[:40] if isinstance(name, str) and name.strip() else ""
        if not title and isinstance(preset, str) and preset in preset_names():
            title = _(load_scenario(preset).title)
        title = title or _("Scenario from the dashboard")
        content = json.dumps({"title": title, "levers": changed}, indent=2, ensure_ascii=False)
        stem = slug(title) or "scenario"
        return {"content": content, "filename": f"flywheel-{stem}.json"}
    region = state.clean_region(region)
    _picks, chosen, variables = _charts(list(picks))
    table = plotted_table(
        runs.run(changed, region, variables), runs.baseline(region, variables), chosen
    )
    suffix = "" if region == state.DEFAULT_REGION else f"-{region}"
    return {"content": table.to_csv(), "filename": f"flywheel-results{suffix}.csv"}


def plotted_table(result, base, charts=None):
    """The numbers the trajectory charts plot, in their display units, scenario and baseline."""
    table = {}
    for variable, title, unit, scale in charts or figures.TRAJECTORIES:
        name = f"{_(title)} ({in_money(unit, result.currency)})"
        table[name] = result.frame[variable] * scale
        table[_("{column}, baseline").format(column=name)] = base.frame[variable] * scale
    return pd.DataFrame(table).rename_axis("year")


remember_region("explore")

dash.register_page(
    __name__,
    path="/",
    name=N_("Explore"),
    order=0,
    title="Digital Flywheel: explore",
    layout=layout,
)
