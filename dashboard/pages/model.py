"""Model page: the model's own documentation, generated from the .mdl, searchable."""

from __future__ import annotations

from functools import lru_cache

import dash
from dash import Input, Output, State, callback, dcc, html

from calibration.series import load_params
from dashboard import i18n
from dashboard.figures import plain_unit
from dashboard.i18n import N_, _
from flywheel import Scenario, load_levers
from flywheel.evidence import evidence_for, load_evidence, measure_links
from flywheel.simulate import engine, model_params

KINDS = {
    "Stateful": N_("stock / memory"),
    "Constant": N_("constant"),
    "Auxiliary": N_("auxiliary"),
    "stock": N_("stock"),
}
#: Columns quoted from the model file and the evidence table, as written (English).
QUOTED = {"comment", "evidence", "link", "channel", "constant", "in the model", "study"}
QUOTED |= {"estimated", "conversion"}
#: Column headings of the page's tables.
HEADINGS = {
    key: text
    for key, text in (
        ("name", N_("Name")),
        ("kind", N_("Kind")),
        ("units", N_("Units")),
        ("range", N_("Range")),
        ("comment", N_("Comment")),
        ("evidence", N_("Evidence")),
        ("link", N_("Link")),
        ("channel", N_("Channel")),
        ("constant", N_("Constant")),
        ("in the model", N_("In the model")),
        ("evidence range", N_("Evidence range")),
        ("study", N_("Study")),
        ("estimated", N_("Estimated")),
        ("conversion", N_("Conversion")),
        ("lever", N_("Lever")),
        ("label", N_("Label")),
        ("unit", N_("Unit")),
        ("default", N_("Default")),
        ("group", N_("Group")),
        ("help", N_("Help")),
    )
}


def _range(limits) -> str:
    low, high = limits
    if low is None and high is None:
        return ""
    if high is None:
        return _("{low} or more").format(low=f"{low:g}")
    if low is None:
        return _("up to {high}").format(high=f"{high:g}")
    return _("{low} to {high}").format(low=f"{low:g}", high=f"{high:g}")


def _basis(variable, levers: set[str], priors: dict[str, str]) -> str:
    """What a constant rests on: evidence rows, a calibration prior, a lever, data or an assumption."""
    evidence = evidence_for(variable.name)
    if evidence:
        return "; ".join(
            f"{row.channel} (value used {row.value:g}): {row.study}" for row in evidence
        )
    if variable.name in priors:
        return _("calibrated; prior: {prior}").format(prior=priors[variable.name])
    if variable.name in levers:
        return _("policy lever (set by the user)")
    if variable.is_constant and "calibration/data/" in variable.comment:
        return _("observed data (see comment)")  # a value read from a bundled series
    return _("assumption (see comment)") if variable.is_constant else ""


def _units(units) -> str:
    """A variable's units in plain words, in the page's language ("" when it has none)."""
    plain = plain_unit(units)
    return _(plain) if plain else ""


def variable_rows() -> list[dict]:
    """One row per model variable: name, kind, units, range, comment, evidence."""
    model = engine()
    levers = {lever.name for lever in load_levers()}
    priors = {param.name: param.source for param in load_params() if param.has_prior}
    rows = []
    for variable in sorted(model.variables.values(), key=lambda v: v.name.lower()):
        kind = "stock" if variable.is_stock else variable.kind
        rows.append(
            {
                "name": _(variable.name),
                "kind": _(KINDS.get(kind, kind.lower())),
                "units": _units(variable.units),
                "range": _range(variable.limits),
                "comment": variable.comment,
                "evidence": _basis(variable, levers, priors),
            }
        )
    return rows


COLUMNS = ("name", "kind", "units", "range", "comment", "evidence")


@lru_cache(maxsize=1)
def evidence_rows() -> tuple[dict, ...]:
    """One row per link: the constant, its value, the model's link and the evidence's range.

    Measured once per process on the baseline (it needs a model run).
    """
    values, _ = model_params(Scenario())
    measured = measure_links(engine(), values)
    return tuple(
        {
            "link": row.link,
            "channel": row.channel,
            "constant": f"{row.constant} = {row.value:g}",
            "in the model": f"{row.measure} {measured[row.id]:.3g}",
            "evidence range": f"{row.low:g} to {row.high:g}",
            "study": row.study,
            "estimated": row.estimated,
            "conversion": row.conversion,
        }
        for row in load_evidence()
    )


def _table(rows: list[dict], columns, table_id: str | None = None):
    head = html.Thead(html.Tr([html.Th(_(HEADINGS.get(column, column))) for column in columns]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    # the model file's comments and the sources are quoted in their English
                    html.Td(row[column], lang="en") if column in QUOTED else html.Td(row[column])
                    for column in columns
                ]
            )
            for row in rows
        ]
    )
    return (
        html.Table([head, body], id=table_id, className="doc-table")
        if table_id
        else html.Table([head, body], className="doc-table")
    )


@i18n.with_query_language
def layout(**_query):
    """Model page layout."""
    levers = [
        {
            "lever": lever.key,
            "label": _(lever.label),
            "unit": _(lever.unit) if lever.unit else "",
            "range": _("{low} to {high}").format(low=f"{lever.min:g}", high=f"{lever.max:g}"),
            "default": f"{lever.default:g}",
            "group": _(lever.group),
            "help": _(lever.help),
        }
        for lever in load_levers()
    ]
    rows = variable_rows()
    return html.Div(
        className="model",
        children=[
            dcc.Store(id="page-lang", data=i18n.current()),
            html.H2(
                _("The model: {count} variables from {file}").format(
                    count=len(rows), file=engine().mdl_path.name
                )
            ),
            html.P(
                _("Every equation lives in the model file; this page is generated from it.")
                + (
                    ""
                    if i18n.current() == i18n.DEFAULT
                    else " "
                    + _(
                        "Comments and studies are quoted in English, the language of the model "
                        "file and of the sources."
                    )
                )
            ),
            dcc.Input(
                id="model-search",
                type="search",
                debounce=False,
                className="input wide",
                placeholder=_("Search names, units and comments..."),
            ),
            html.Div(id="model-count", className="message"),
            html.Div(id="model-table", children=_table(rows, COLUMNS)),
            html.H2(_("What the links rest on")),
            html.P(
                _(
                    "Each link between the three lines, the constant that sets it, how strong it "
                    "is in the model (measured, all else equal, in 2023) and the published "
                    "evidence it must stay within (models/evidence.csv)."
                )
            ),
            _table(evidence := evidence_rows(), list(evidence[0]), "model-evidence"),
            html.H2(_("Levers")),
            _table(levers, list(levers[0])),
        ],
    )


@callback(
    Output("model-table", "children"),
    Output("model-count", "children"),
    Input("model-search", "value"),
    State("page-lang", "data"),
)
@i18n.localized
def search(text):
    """Rows whose name, units or comment contain every word typed."""
    rows = variable_rows()
    if isinstance(text, str) and text.strip():
        words = text.lower().split()[:10]
        rows = [
            row for row in rows if all(word in " ".join(row.values()).lower() for word in words)
        ]
    return _table(rows, COLUMNS), _("{count} variables").format(count=len(rows))


dash.register_page(
    __name__,
    path="/model",
    name=N_("Model"),
    order=4,
    title="Digital Flywheel: model",
    layout=layout,
)
