"""Calibration page: how the baseline follows the observed data, series by series."""

from __future__ import annotations

import math

import dash
from dash import html

from calibration.series import load_series
from calibration.stats import fit_statistics
from dashboard import runs
from dashboard.components import graph
from flywheel.baselines import load_baseline

EXPLAIN = (
    "R² (1 = perfect) and MAPE (mean absolute percentage error) say how close the baseline is "
    "to the data. Theil's statistics split the remaining squared error into bias (UM), unequal "
    "variation (US) and unsystematic error (UC); a good fit has most of its error in UC."
)


def _fmt(value, digits=3):
    return (
        "n/a"
        if value is None or (isinstance(value, float) and not math.isfinite(value))
        else f"{value:.{digits}g}"
    )


def fit_rows() -> list[dict]:
    """Per observed series: model vs data at observed years, and the fit statistics."""
    frame = runs.baseline().frame
    rows = []
    for series in load_series():
        observed = series.observations.values
        model = series.model_values(frame)
        rows.append(
            {
                "series": series,
                "observed": observed,
                "model": model,
                "stats": fit_statistics(model.loc[observed.index], observed),
            }
        )
    return rows


def _chart(row):
    series, observed, model = row["series"], row["observed"], row["model"]
    history = model.loc[: int(observed.index[-1]) + 2]
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Baseline (model)",
                "x": [int(y) for y in history.index],
                "y": history.tolist(),
                "line": {"color": "#1f5fbf", "width": 3},
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"Observed ({series.observations.unit})",
                "x": [int(y) for y in observed.index],
                "y": observed.tolist(),
                "marker": {"color": "#c22f2f", "size": 9},
            },
        ],
        "layout": {
            "title": {"text": series.label, "x": 0.02},
            "template": "plotly_white",
            "margin": {"l": 50, "r": 10, "t": 48, "b": 36},
            "legend": {"orientation": "h", "y": -0.2},
        },
    }
    return graph(f"calibration-{series.name}", 320, figure=figure)


def layout(**_query):
    """Calibration page layout."""
    baseline = load_baseline(None)
    rows = fit_rows()
    table = html.Table(
        className="doc-table",
        id="calibration-table",
        children=[
            html.Thead(
                html.Tr(
                    [html.Th(h) for h in ("series", "n", "R²", "MAPE %", "RMSE", "UM", "US", "UC")]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [html.Td(row["series"].label), html.Td(row["stats"]["n"])]
                        + [
                            html.Td(_fmt(row["stats"][k]))
                            for k in ("R2", "MAPE", "RMSE", "UM", "US", "UC")
                        ]
                    )
                    for row in rows
                ]
            ),
        ],
    )
    errors = baseline.info.get("std_errors", {})
    params = html.Table(
        className="doc-table",
        children=[
            html.Thead(
                html.Tr([html.Th(h) for h in ("parameter", "calibrated value", "standard error")])
            ),
            html.Tbody(
                [
                    html.Tr(
                        [html.Td(name), html.Td(f"{value:.4g}"), html.Td(_fmt(errors.get(name)))]
                    )
                    for name, value in baseline.params.items()
                ]
            ),
        ],
    )
    warnings = baseline.info.get("warnings", [])
    return html.Div(
        className="model",
        children=[
            html.H2(f"Calibration: baseline '{baseline.name}' against the observed data"),
            html.P(
                f"Fitted on {baseline.info.get('created', 'n/a')} with the {baseline.info.get('method', 'n/a')} "
                "method (flywheel calibrate). " + EXPLAIN
            ),
            table,
            html.Div([_chart(row) for row in rows], className="charts"),
            html.H3("Calibrated parameters"),
            params,
            html.H3("Warnings from the fit"),
            html.Ul([html.Li(w) for w in warnings] or [html.Li("none")]),
        ],
    )


dash.register_page(
    __name__,
    path="/calibration",
    name="Calibration",
    order=3,
    title="Digital Flywheel: calibration",
    layout=layout,
)
