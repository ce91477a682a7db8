"""Calibration page: how the baseline follows the observed data, series by series."""

from __future__ import annotations

import math

import dash
from dash import Input, Output, State, callback, dcc, html

from calibration.report import load_holdout
from calibration.stats import fit_statistics
from dashboard import i18n, runs, state
from dashboard.components import graph, region_label, region_selector, remember_region
from dashboard.i18n import N_, _
from flywheel.baselines import load_baseline

EXPLAIN = N_(
    "R² (1 = perfect) and MAPE (mean absolute percentage error) say how close the baseline is "
    "to the data. Theil's statistics split the remaining squared error into bias (UM), unequal "
    "variation (US) and unsystematic error (UC); a good fit has most of its error in UC."
)


#: The fit's methods (``flywheel calibrate --method``) in words.
METHODS = {"local": N_("local (least squares)"), "global": N_("global (differential evolution)")}


def series_label(label: str) -> str:
    """A series' label in the page's language ("..., DEU": the country code kept as it is)."""
    head, code = i18n.split_country(label)
    return f"{_(head)}, {code}" if code else _(head)


def _fmt(value, digits=3):
    return (
        _("n/a")
        if value is None or (isinstance(value, float) and not math.isfinite(value))
        else f"{value:.{digits}g}"
    )


def fit_rows(region: str = state.DEFAULT_REGION) -> list[dict]:
    """Per observed series: model vs data at observed years, and the fit statistics."""
    frame = runs.baseline(region).frame
    rows = []
    for series in runs.observed_series(region):
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
                "name": _("Baseline (model)"),
                "x": [int(y) for y in history.index],
                "y": history.tolist(),
                "line": {"color": "#1f5fbf", "width": 3},
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("Observed ({unit})").format(unit=_(series.observations.unit))
                if series.observations.unit
                else _("Observed"),
                "x": [int(y) for y in observed.index],
                "y": observed.tolist(),
                "marker": {"color": "#c22f2f", "size": 9},
            },
        ],
        "layout": {
            "title": {"text": series_label(series.label), "x": 0.02},
            "template": "plotly_white",
            "margin": {"l": 50, "r": 10, "t": 48, "b": 36},
            "legend": {"orientation": "h", "y": -0.2},
            "modebar": {"orientation": "v"},  # on the right edge, never over the title
        },
    }
    return graph(f"calibration-{series.name}", 320, figure=figure)


def holdout_section(region: str) -> list:
    """The saved out-of-sample test of ``region`` beside its naive rival (empty without one)."""
    record = load_holdout(region)
    if not record:
        return []
    year = record.get("holdout")
    rows = []
    for name, item in record["series"].items():
        try:
            model, naive, years = item["model"], item["naive"], item["years"]
            verdict = _("beats the line") if item["beats_naive"] else _("worse than the line")
            if not item["unbiased"]:
                verdict += _("; errors one-sided")
            cells = [
                series_label(item.get("label", name)),
                f"{years[0]}-{years[-1]}",
                _fmt(model["MAPE"]),
                f"{model['signed']:+.1f}",
                _fmt(naive["MAPE"]),
                verdict,
            ]
        except (KeyError, IndexError, TypeError, ValueError):
            continue  # a damaged row is left out, never shown half
        rows.append(html.Tr([html.Td(cell) for cell in cells]))
    if not rows:
        return []
    head = (
        _("series"),
        _("years"),
        _("model MAPE %"),
        _("signed error %"),
        _("straight line MAPE %"),
        _("verdict"),
    )
    return [
        html.H3(_("Out of sample: forecasts against a straight line")),
        html.P(
            _(
                "Fitted only to the years up to {year}, the model forecast the years after "
                "it. The rival is a straight line through the last four observations up to "
                "{year}. A forecast counts where it beats the line and, when its error is "
                "above 3 %, its errors are not all on one side (flywheel calibrate "
                "--holdout {year}, saved {date})."
            ).format(year=year, date=record.get("created", _("n/a")))
        ),
        html.Table(
            className="doc-table",
            id="calibration-holdout",
            children=[html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
        ),
    ]


def body(region: str) -> list:
    """The page's content for one region: fit table, charts, parameters, warnings."""
    baseline = load_baseline(region)
    rows = fit_rows(region)
    name = region_label(region)
    if not rows:
        return [
            html.H2(_("Calibration: {region}").format(region=name)),
            html.P(
                _(
                    "This baseline does not carry the observations it was fitted to: fit it "
                    "again with flywheel calibrate to see them here."
                )
            ),
        ]
    table = html.Table(
        className="doc-table",
        id="calibration-table",
        children=[
            html.Thead(
                html.Tr(
                    [
                        html.Th(h)
                        for h in (_("series"), "n", "R²", "MAPE %", "RMSE", "UM", "US", "UC")
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [html.Td(series_label(row["series"].label)), html.Td(row["stats"]["n"])]
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
        id="calibration-params",
        children=[
            html.Thead(
                html.Tr(
                    [
                        html.Th(h)
                        for h in (_("parameter"), _("calibrated value"), _("standard error"))
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [html.Td(_(key)), html.Td(f"{value:.4g}"), html.Td(_fmt(errors.get(key)))]
                    )
                    for key, value in baseline.params.items()
                    if region == state.DEFAULT_REGION or key in errors
                ]
            ),
        ],
    )
    warnings = baseline.info.get("warnings", [])
    borrowed = baseline.info.get("borrowed") or []
    notes = baseline.info.get("notes") or []
    extra = []
    if notes or borrowed:
        extra = [
            html.H3(_("Where the levels come from")),
            html.Ul(
                [
                    html.Li(
                        [
                            _("From {region}'s own data: ").format(region=name),
                            html.Span(note, lang="en"),  # the fit's record, as written
                        ]
                    )
                    for note in notes
                ]
                + (
                    [
                        html.Li(
                            [
                                _("Borrowed from China (no data for them here): "),
                                html.Span(", ".join(borrowed), lang="en"),
                            ]
                        )
                    ]
                    if borrowed
                    else []
                )
            ),
        ]
    return [
        html.H2(_("Calibration: {region} against its observed data").format(region=name)),
        html.P(
            _(
                "Fitted on {date} with the {method} method (flywheel calibrate). Money in "
                "{currency}. "
            ).format(
                date=baseline.info.get("created", _("n/a")),
                method=_(METHODS.get(baseline.info.get("method"), "n/a")),
                currency=_(baseline.currency),
            )
            + _(EXPLAIN)
        ),
        table,
        *holdout_section(region),
        html.Div([_chart(row) for row in rows], className="charts"),
        html.H3(_("Calibrated parameters")),
        params,
        *extra,
        html.H3(_("Warnings from the fit")),
        # the fit's own records, kept as the calibration wrote them (English)
        html.Ul([html.Li(w, lang="en") for w in warnings] or [html.Li(_("none"))]),
    ]


@i18n.with_query_language
def layout(**query):
    """Calibration page layout: the region chosen in the link (``?region=deu``)."""
    region = state.clean_region(query.get("region"))
    return html.Div(
        className="model",
        children=[
            dcc.Store(id="page-lang", data=i18n.current()),
            region_selector(query, "calibration"),
            html.Div(id="calibration-body", children=body(region)),
        ],
    )


@callback(
    Output("calibration-body", "children"),
    Input("calibration-region", "value"),
    State("page-lang", "data"),
)
@i18n.localized
def show_region(region):
    """Redraw the page for the region chosen in its selector."""
    return body(state.clean_region(region))


remember_region("calibration")


dash.register_page(
    __name__,
    path="/calibration",
    name=N_("Calibration"),
    order=3,
    title="Digital Flywheel: calibration",
    layout=layout,
)
