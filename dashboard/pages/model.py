"""Model page: the model's own documentation, generated from the .mdl, searchable."""

from __future__ import annotations

from functools import lru_cache

import dash
from dash import Input, Output, callback, dcc, html

from calibration.series import load_params
from flywheel import Scenario, load_levers
from flywheel.evidence import evidence_for, load_evidence, measure_links
from flywheel.simulate import engine, model_params

KINDS = {"Stateful": "stock / memory", "Constant": "constant", "Auxiliary": "auxiliary"}


def _range(limits) -> str:
    low, high = limits
    if low is None and high is None:
        return ""
    return f"[{'' if low is None else f'{low:g}'}, {'?' if high is None else f'{high:g}'}]"


def _basis(variable, levers: set[str], priors: dict[str, str]) -> str:
    """What a constant rests on: evidence rows, a calibration prior, a lever, or an assumption."""
    evidence = evidence_for(variable.name)
    if evidence:
        return "; ".join(
            f"{row.channel} (value used {row.value:g}): {row.study}" for row in evidence
        )
    if variable.name in priors:
        return f"calibrated; prior: {priors[variable.name]}"
    if variable.name in levers:
        return "policy lever (set by the user)"
    return "assumption (see comment)" if variable.is_constant else ""


def variable_rows() -> list[dict]:
    """One row per model variable: name, kind, units, range, comment, evidence."""
    model = engine()
    levers = {lever.name for lever in load_levers()}
    priors = {param.name: param.source for param in load_params() if param.has_prior}
    rows = []
    for variable in sorted(model.variables.values(), key=lambda v: v.name.lower()):
        kind = "stock" if variable.is_stock else KINDS.get(variable.kind, variable.kind.lower())
        rows.append(
            {
                "name": variable.name,
                "kind": kind,
                "units": variable.units,
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
    head = html.Thead(html.Tr([html.Th(column.capitalize()) for column in columns]))
    body = html.Tbody([html.Tr([html.Td(row[column]) for column in columns]) for row in rows])
    return (
        html.Table([head, body], id=table_id, className="doc-table")
        if table_id
        else html.Table([head, body], className="doc-table")
    )


def layout(**_query):
    """Model page layout."""
    levers = [
        {
            "lever": lever.key,
            "label": lever.label,
            "unit": lever.unit,
            "range": f"{lever.min:g} to {lever.max:g}",
            "default": f"{lever.default:g}",
            "group": lever.group,
            "help": lever.help,
        }
        for lever in load_levers()
    ]
    rows = variable_rows()
    return html.Div(
        className="model",
        children=[
            html.H2(f"The model: {len(rows)} variables from {engine().mdl_path.name}"),
            html.P("Every equation lives in the model file; this page is generated from it."),
            dcc.Input(
                id="model-search",
                type="search",
                debounce=False,
                className="input wide",
                placeholder="Search names, units and comments...",
            ),
            html.Div(id="model-count", className="message"),
            html.Div(id="model-table", children=_table(rows, COLUMNS)),
            html.H2("What the links rest on"),
            html.P(
                "Each link between the three lines, the constant that sets it, how strong it is in "
                "the model (measured, all else equal, in 2023) and the published evidence it must "
                "stay within (models/evidence.csv)."
            ),
            _table(evidence := evidence_rows(), list(evidence[0]), "model-evidence"),
            html.H2("Levers"),
            _table(levers, list(levers[0])),
        ],
    )


@callback(
    Output("model-table", "children"),
    Output("model-count", "children"),
    Input("model-search", "value"),
)
def search(text):
    """Rows whose name, units or comment contain every word typed."""
    rows = variable_rows()
    if isinstance(text, str) and text.strip():
        words = text.lower().split()[:10]
        rows = [
            row for row in rows if all(word in " ".join(row.values()).lower() for word in words)
        ]
    return _table(rows, COLUMNS), f"{len(rows)} variables"


dash.register_page(
    __name__, path="/model", name="Model", order=4, title="Digital Flywheel: model", layout=layout
)
