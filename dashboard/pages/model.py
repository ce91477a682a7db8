"""Model page: the model's own documentation, generated from the .mdl, searchable."""

from __future__ import annotations

import dash
from dash import Input, Output, callback, dash_table, dcc, html

from flywheel import load_levers
from flywheel.simulate import engine

KINDS = {"Stateful": "stock / memory", "Constant": "constant", "Auxiliary": "auxiliary"}


def _range(limits) -> str:
    low, high = limits
    if low is None and high is None:
        return ""
    return f"[{'' if low is None else f'{low:g}'}, {'?' if high is None else f'{high:g}'}]"


def variable_rows() -> list[dict]:
    """One row per model variable: name, kind, units, range, comment."""
    model = engine()
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
            }
        )
    return rows


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
        }
        for lever in load_levers()
    ]
    rows = variable_rows()
    return html.Div(
        className="model",
        children=[
            html.H2(f"The model: {len(rows)} variables from {engine().mdl_path.name}"),
            dcc.Input(
                id="model-search",
                type="search",
                placeholder="Search names, units and comments...",
                debounce=False,
                className="input wide",
            ),
            dash_table.DataTable(
                id="model-table",
                data=rows,
                columns=[
                    {"name": c.capitalize(), "id": c}
                    for c in ("name", "kind", "units", "range", "comment")
                ],
                page_size=25,
                sort_action="native",
                style_cell={
                    "textAlign": "left",
                    "whiteSpace": "normal",
                    "height": "auto",
                    "fontSize": 13,
                },
                style_cell_conditional=[{"if": {"column_id": "comment"}, "width": "55%"}],
            ),
            html.H2("Levers"),
            dash_table.DataTable(
                data=levers,
                columns=[{"name": c.capitalize(), "id": c} for c in levers[0]],
                style_cell={"textAlign": "left", "fontSize": 13},
            ),
        ],
    )


@callback(Output("model-table", "data"), Input("model-search", "value"))
def search(text):
    """Rows whose name, units or comment contain every word typed."""
    rows = variable_rows()
    if not isinstance(text, str) or not text.strip():
        return rows
    words = text.lower().split()[:10]
    return [row for row in rows if all(word in " ".join(row.values()).lower() for word in words)]


dash.register_page(
    __name__, path="/model", name="Model", order=2, title="Digital Flywheel: model", layout=layout
)
