"""Flywheel page: the three main lines as a causal-loop diagram, link switches, loop stories."""

from __future__ import annotations

from functools import lru_cache

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from dashboard import figures, i18n, runs, state
from dashboard.components import graph, publish_levers, region_selector, remember_region
from dashboard.i18n import N_, _
from flywheel import Scenario, load_levers
from flywheel.evidence import dividend_sentence, flywheel_dividend
from flywheel.loops import load_loops

LINKS = [lever for lever in load_levers() if lever.group == "Links"]


@lru_cache(maxsize=1)
def _baseline_dividend() -> dict:
    """The flywheel dividend of the baseline (computed once per process)."""
    return flywheel_dividend(Scenario())


def baseline_dividend() -> str:
    """The flywheel dividend of the baseline, in one sentence in the page's language."""
    return dividend_sentence(_baseline_dividend(), _)


def _link_name(lever) -> str:
    """A link lever's name without its "Link: " prefix, in the page's language."""
    return _(lever.label).removeprefix(_("Link: "))


def _link_pair(key: str) -> tuple[str, str]:
    source, target = key.removeprefix("link_").split("_")
    return source, target


@i18n.with_query_language
def layout(**query):
    """Flywheel page layout: the scenario (levers, link cuts, region) from the link."""
    levers, messages = state.from_page_query(query)
    switches = dcc.Checklist(
        id="flywheel-links",
        options=[{"label": f" {_link_name(lever)}", "value": lever.key} for lever in LINKS],
        value=[lever.key for lever in LINKS if levers[lever.key] != 0],
        className="link-switches",
    )
    loops = [
        html.Li(
            className="loop",
            children=[
                html.Button(
                    loop.code,
                    id={"type": "flywheel-loop", "code": loop.code},
                    className=f"loop-code {loop.polarity}",
                    title=_("Highlight on the diagram"),
                ),
                html.Span(f" {_(loop.name)}: ", className="loop-name"),
                html.Span(_(loop.story)),
            ],
        )
        for loop in load_loops()
    ]
    return html.Div(
        className="flywheel",
        children=[
            dcc.Location(id="flywheel-url", refresh=False),
            dcc.Store(id="flywheel-levers", data=levers),
            dcc.Store(id="page-lang", data=i18n.current()),
            html.Div(region_selector(query, "flywheel"), className="flywheel-region"),
            html.Div(" ".join(messages), className="message", role="status"),
            html.Section(
                className="diagram",
                children=[
                    html.H2(_("The flywheel: how the three main lines drive each other")),
                    html.P(baseline_dividend(), id="flywheel-dividend", className="story"),
                    graph("flywheel-diagram", 440, "graph diagram-graph"),
                    # the same diagram for a narrow screen (CSS shows one or the other)
                    graph("flywheel-diagram-compact", 420, "graph diagram-compact"),
                    html.H3(
                        _("Cross-line links (untick to cut a link from the policy start year)")
                    ),
                    switches,
                    html.Div(id="flywheel-message", className="message", role="status"),
                ],
            ),
            html.Section(
                className="flywheel-charts",
                children=[
                    graph("flywheel-charts", 560, "graph multiples-graph"),
                ],
            ),
            html.Section(
                className="strip",
                children=[
                    graph("flywheel-strip", 340, "graph strip-graph"),
                    html.P(id="flywheel-story", className="story"),
                ],
            ),
            html.Section(
                className="loops secondary",
                children=[
                    html.H3(_("Feedback loops (R reinforcing, B balancing)")),
                    html.Ul(loops),
                ],
            ),
        ],
    )


@callback(
    Output("flywheel-diagram", "figure"),
    Output("flywheel-diagram-compact", "figure"),
    Output("flywheel-charts", "figure"),
    Output("flywheel-message", "children"),
    Output("flywheel-strip", "figure"),
    Output("flywheel-story", "children"),
    Input("flywheel-links", "value"),
    Input({"type": "flywheel-loop", "code": ALL}, "n_clicks"),
    Input("flywheel-strip", "clickData"),
    Input("flywheel-region", "value"),
    State("flywheel-levers", "data"),
    State("page-lang", "data"),
)
@i18n.localized
def update(active, _loop_clicks, strip_click, region, current):
    """Redraw the diagram, the small charts and the loop-dominance strip for the links switched on."""
    active = [key for key in active if isinstance(key, str)] if isinstance(active, list) else []
    region = state.clean_region(region)
    base_levers, messages = state.clean_lever_dict(current)
    with_links = {**base_levers, **{lever.key: 1.0 for lever in LINKS}}
    cut = {lever.key: (1.0 if lever.key in active else 0.0) for lever in LINKS}
    result = runs.run(state.changed_levers({**with_links, **cut}), region)
    reference = runs.run(state.changed_levers(with_links), region)
    highlight = ctx.triggered_id.get("code") if isinstance(ctx.triggered_id, dict) else None
    if ctx.triggered_id == "flywheel-strip":
        highlight = _clicked_code(strip_click)
    scenario_levers = state.changed_levers({**with_links, **cut})
    dominance = runs.dominance(scenario_levers, region)
    strengths = {_link_pair(key): value for key, value in cut.items()}
    cut_names = [_link_name(lever) for lever in LINKS if cut[lever.key] == 0]
    if cut_names:
        messages.append(
            _("Cut from the policy start year: {links}.").format(links=_(", ").join(cut_names))
        )
    return (
        figures.flywheel_diagram(strengths, highlight),
        figures.flywheel_diagram(strengths, highlight, compact=True),
        figures.small_multiples(result, reference),
        " ".join(messages),
        figures.dominance_strip(
            dominance.by_code(), highlight, {loop.code: loop.name for loop in load_loops()}
        ),
        _("In this scenario: ") + dominance.story(_),
    )


@callback(
    Output("flywheel-levers", "data"),
    Output("flywheel-url", "search"),
    Input("flywheel-links", "value"),
    Input("flywheel-region", "value"),
    State("flywheel-levers", "data"),
    prevent_initial_call=True,
)
def share(active, region, current):
    """Link cuts and the region become the scenario's: in the address and on every page."""
    active = [key for key in active if isinstance(key, str)] if isinstance(active, list) else []
    levers, _problems = state.clean_lever_dict(current)
    levers.update({lever.key: (1.0 if lever.key in active else 0.0) for lever in LINKS})
    return levers, state.to_query(levers, state.clean_region(region))


def _clicked_code(click) -> str | None:
    """The loop code of a click on the strip (anything else: None)."""
    try:
        code = click["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return None
    known = {loop.code for loop in load_loops()}
    return code if isinstance(code, str) and code in known else None


remember_region("flywheel")
publish_levers("flywheel")

dash.register_page(
    __name__,
    path="/flywheel",
    name=N_("Flywheel"),
    order=1,
    title="Digital Flywheel: feedback loops",
    layout=layout,
)
