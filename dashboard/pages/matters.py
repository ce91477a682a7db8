"""What matters: a tornado of the levers and uncertain constants that move an outcome most."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboard import figures, i18n, runs, state
from dashboard.components import graph, publish_levers, region_selector, remember_region
from dashboard.i18n import N_, _, in_money

#: Outcomes the tornado can explain: model variable -> (label, scale, unit).
OUTCOMES = {
    "GDP per capita": (N_("GDP per person"), 1, N_("thousand yuan")),
    "Digital economy share of GDP": (N_("Digital economy, share of GDP"), 100, N_("points")),
    "Digital Government Capability": (N_("Digital government capability"), 1, "index 0-1"),
    "Digital Society Adoption": (N_("People online"), 100, N_("points")),
    "Regional development index": (N_("Development index"), 1, "index 0-1"),
}
YEARS = (2030, 2035, 2040, 2050)


@i18n.with_query_language
def layout(**query):
    """What-matters page layout: the scenario (levers, region) from the link."""
    levers, _problems = state.from_page_query(query)
    return html.Div(
        className="matters",
        children=[
            dcc.Store(id="matters-levers", data=levers),
            dcc.Store(id="page-lang", data=i18n.current()),
            region_selector(query, "matters"),
            html.H1(_("What matters most?")),
            html.P(
                _(
                    "Each bar moves one thing at a time, from its low to its high setting, with "
                    "everything else as in your scenario on the Explore page: a policy lever "
                    "across its slider range, or a constant the calibration could not pin down "
                    "across its likely range (5th to 95th percentile of what the data allow). "
                    "Long bars are where policy has the most leverage, or where better evidence "
                    "would change the answer most."
                ),
                className="intro",
            ),
            html.Div(
                className="control-row",
                children=[
                    html.Label(_("Outcome"), htmlFor="matters-outcome"),
                    dcc.Dropdown(
                        id="matters-outcome",
                        options=[{"label": _(v[0]), "value": k} for k, v in OUTCOMES.items()],
                        value="GDP per capita",
                        clearable=False,
                        className="matters-outcome",
                    ),
                    html.Label(_("Year"), htmlFor="matters-year"),
                    dcc.Dropdown(
                        id="matters-year",
                        options=[{"label": str(y), "value": y} for y in YEARS],
                        value=2050,
                        clearable=False,
                        className="matters-year",
                    ),
                ],
            ),
            html.Div(id="matters-message", className="note", role="status"),
            graph("matters-tornado", 560, "graph tornado-graph"),
        ],
    )


@callback(
    Output("matters-tornado", "figure"),
    Output("matters-message", "children"),
    Input("matters-outcome", "value"),
    Input("matters-year", "value"),
    Input("matters-region", "value"),
    State("matters-levers", "data"),
    State("page-lang", "data"),
)
@i18n.localized
def update(outcome, year, region, current):
    """Redraw the tornado for the chosen outcome and year around the current scenario."""
    messages = []
    region = state.clean_region(region)
    if not isinstance(outcome, str) or outcome not in OUTCOMES:
        outcome = "GDP per capita"
    if isinstance(year, bool) or year not in YEARS:
        year = 2050
    levers, problems = state.clean_lever_dict(current)
    messages += problems
    label, scale, unit = OUTCOMES[outcome]
    unit = in_money(unit, runs.currency_of(region))
    table = runs.swings(state.changed_levers(levers), outcome, year, region)
    centre = table.attrs["centre"] * scale
    title = _("{outcome} in {year}: {value} {unit} in this scenario").format(
        outcome=_(label), year=year, value=f"{centre:,.3g}", unit=unit
    )
    changed = state.changed_levers(levers)
    messages.append(
        _("Around your scenario from the Explore page.")
        if changed
        else _("Around the baseline (no lever moved on the Explore page).")
    )
    return figures.tornado_figure(table, title, unit, scale), " ".join(messages)


remember_region("matters")
publish_levers("matters")

dash.register_page(
    __name__,
    path="/matters",
    name=N_("What matters"),
    order=2,
    title="Digital Flywheel: what matters",
    layout=layout,
)
