"""Pure figure builders: results in, plotly figure dicts out (no callbacks, no state).

Figures are plain dicts rather than ``plotly.graph_objects`` (validation there costs
more than the model run); every number passes through :func:`_values`, which turns
anything non-finite into a gap, so no NaN ever reaches the browser.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
from dash import Patch

from dashboard.i18n import N_, _, in_money
from flywheel import RunResult

BASE_STYLE = {"color": "#8a8a8a", "dash": "dash", "width": 2}
SCENARIO_STYLE = {"color": "#1f5fbf", "width": 3}
COMPARE_COLOURS = ("#d9730d", "#2e9e4f", "#a23fbf", "#c22f2f")
STAGE_BANDS = (
    (N_("primary stage"), "#f4efe6"),
    (N_("growth stage"), "#e7f1e8"),
    (N_("transformation stage"), "#e3ecf7"),
)

#: (model variable, title, unit shown, scale) of the explore page's trajectory charts.
TRAJECTORIES = (
    (
        "Digital economy value added nominal",
        "Digital economy value added",
        "trillion yuan, current prices",
        1,
    ),
    ("Digital economy share of GDP", "Digital economy, share of GDP", "%", 100),
    (
        "Digital Government Capability",
        "Digital government capability",
        "index 0-1",
        1,
    ),
    ("Digital Society Adoption", "Digital society adoption", "% of people online", 100),
    (
        "Industrial Digitalization",
        "Industrial digitalization",
        "% of industry transformed",
        100,
    ),
    ("GDP per capita", "GDP per person", "thousand yuan, current prices", 1),
    ("Regional development index", "Regional development index and stage", "index 0-1", 1),
)


#: The charts Explore opens with: the three main lines and the development stage.
DEFAULT_CHARTS = (
    "Digital economy value added nominal",
    "Digital Government Capability",
    "Digital Society Adoption",
    "Regional development index",
)
#: Model units in words a policymaker uses (money units get the region's currency later).
PLAIN_UNITS = {
    "Dmnl": "index (no unit)",
    "1/Year": "per year",
    "percent": "%",
    "Year": "year",
    "projects/Year": "projects a year",
    "USD/person": "US dollars a person",
}


def plain_unit(units: object) -> str:
    """A model unit in plain words ("trillion yuan/Year" -> "trillion yuan a year").

    A variable without units gives "" (pysd reads them as the text "nan", or NaN).

    >>> plain_unit("trillion yuan/Year"), plain_unit("Dmnl"), plain_unit("thousand yuan/person")
    ('trillion yuan a year', 'index (no unit)', 'thousand yuan a person')
    >>> plain_unit("nan"), plain_unit(float("nan")), plain_unit(None)
    ('', '', '')
    """
    text = units.strip() if isinstance(units, str) else ""
    if text in ("", "nan"):
        return ""
    if text in PLAIN_UNITS:
        return PLAIN_UNITS[text]
    return text.replace("/Year", " a year").replace("/person", " a person")


@lru_cache(maxsize=1)
def chart_menu() -> dict[str, tuple[str, str, str, float]]:
    """Every model output a chart can show: python name -> (variable, title, unit, scale).

    The curated charts (:data:`TRAJECTORIES`) come first with their own titles and units;
    then every other time-varying model output that has a unit, by name.
    """
    from flywheel.simulate import engine

    variables = engine().variables
    menu = {variables[v].py_name: (v, title, unit, scale) for v, title, unit, scale in TRAJECTORIES}
    others = sorted(
        (
            variable
            for variable in variables.values()
            if variable.kind in ("Auxiliary", "Stateful")
            and variable.subtype not in ("Initial", "SampleIfTrue")
            and not variable.subscripts
            and plain_unit(variable.units)
            and variable.py_name not in menu
        ),
        key=lambda variable: variable.name.lower(),
    )
    for variable in others:
        menu[variable.py_name] = (variable.name, variable.name, plain_unit(variable.units), 1)
    return menu


def default_picks() -> tuple[str, ...]:
    """The python names of :data:`DEFAULT_CHARTS`."""
    from flywheel.simulate import engine

    return tuple(engine().variables[name].py_name for name in DEFAULT_CHARTS)


def _values(series, scale: float = 1) -> list:
    return [float(v) * scale if v is not None and math.isfinite(float(v)) else None for v in series]


def _layout(title: str, unit: str) -> dict:
    return {
        "title": {"text": title, "font": {"size": 16}, "x": 0.02},
        "yaxis": {"title": {"text": unit}, "rangemode": "tozero", "automargin": True},
        # the year labels a little below the axis, clear of the lowest value label ("0")
        "xaxis": {"range": [2004.5, 2050.5], "dtick": 5, "ticklabelstandoff": 6},
        "margin": {"l": 60, "r": 16, "t": 48, "b": 36},
        "font": {"size": 13},
        "legend": {"orientation": "h", "y": -0.18},
        "hovermode": "x unified",
        "modebar": {"orientation": "v"},  # on the right edge, never over the title
        "template": "plotly_white",
    }


def _start_line(start: float) -> dict:
    return {
        "type": "line",
        "x0": start,
        "x1": start,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"color": "#444", "width": 1, "dash": "dot"},
    }


def trajectory_figure(
    variable: str,
    title: str,
    unit: str,
    scale: float,
    result: RunResult,
    base: RunResult,
    compares: list[tuple[str, RunResult]] = (),
    observed=None,
    bands: dict | None = None,
) -> dict:
    """One main line over 2005-2050: baseline (grey, dashed), scenario, saved scenarios.

    ``bands`` (optional) maps "Baseline" and "This scenario" to tables of the 5 % and
    95 % quantiles over the uncertainty ensemble; each is drawn as a shaded band.

    Examples
    --------
    >>> from dashboard.runs import baseline
    >>> fig = trajectory_figure("GDP", "GDP", "tn", 1, baseline(), baseline())
    >>> [trace["name"] for trace in fig["data"]]
    ['Baseline', 'This scenario']
    """
    years = [int(year) for year in result.frame.index]
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Baseline"),
            "x": years,
            "y": _values(base.frame[variable], scale),
            "line": BASE_STYLE,
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("This scenario"),
            "x": years,
            "y": _values(result.frame[variable], scale),
            "line": SCENARIO_STYLE,
        },
    ]
    for index, (name, other) in enumerate(compares[: len(COMPARE_COLOURS)]):
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name[:40],
                "x": years,
                "y": _values(other.frame[variable], scale),
                "line": {"color": COMPARE_COLOURS[index], "width": 2, "dash": "dot"},
            }
        )
    for name, band in (bands or {}).items():  # after the lines: trace 0 and 1 stay the lines
        data += _band_traces(name, band, scale, BAND_COLOURS.get(name, "rgba(0,0,0,0.1)"))
    if observed is not None and len(observed):
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("Observed"),
                "x": [int(year) for year in observed.index],
                "y": _values(observed),
                "marker": {"color": "#c22f2f", "size": 7, "symbol": "circle"},
            }
        )
    layout = _layout(title, unit)
    start = float(result.frame["Policy start year"].iloc[0])
    layout["shapes"] = [_start_line(start)]
    layout["annotations"] = [
        {
            "x": start,
            "yref": "paper",
            "y": 1.0,
            "name": "policy-start",
            "text": _("policy start"),
            "showarrow": False,
            "xanchor": "left",
            "font": {"size": 11},
        }
    ]
    if variable == "Regional development index":
        _stage_bands(layout, result)
    return {"data": data, "layout": layout}


#: Type sizes (px) of a chart shown to a room (presentation mode): 18 and up.
PRESENTATION_FONTS = {"font": 18, "title": 22}


def for_presentation(figure: dict) -> dict:
    """The same chart with type a room can read from the back (every text >= 18 px)."""
    layout = figure["layout"]
    layout["font"] = {**layout.get("font", {}), "size": PRESENTATION_FONTS["font"]}
    layout["title"] = {
        **layout.get("title", {}),
        "font": {**layout.get("title", {}).get("font", {}), "size": PRESENTATION_FONTS["title"]},
    }
    # no legend on a projector: one key line above the charts says what the lines are
    layout["showlegend"] = False
    layout["margin"] = {"l": 64, "r": 12, "t": 40, "b": 34}
    layout["xaxis"] = {**layout.get("xaxis", {}), "dtick": 10, "tickangle": 0}
    yaxis = layout.get("yaxis", {})
    unit = str(yaxis.get("title", {}).get("text", ""))
    # "trillion yuan, current prices" -> "trillion yuan" ("万亿元，现价" -> "万亿元")
    short = re.split(r",|，| \(|（", unit)[0]
    layout["yaxis"] = {**yaxis, "title": {**yaxis.get("title", {}), "text": short}}
    for annotation in layout.get("annotations", []):
        annotation["font"] = {**annotation.get("font", {}), "size": PRESENTATION_FONTS["font"]}
        if annotation.get("name") == "policy-start":  # at the foot, clear of titles and stages
            annotation.update(y=0.0, yanchor="bottom")
    return figure


def scenario_patch(figure: dict, first_band: int | None, with_band: bool) -> Patch:
    """What changes on a chart when only the levers move: the scenario's line and band.

    ``figure`` is the chart as :func:`trajectory_figure` draws it; ``first_band`` is the
    index of the scenario band's lower edge on screen (None: no bands shown). The band is
    replaced when ``with_band``, else hidden (it would show older lever values).
    """
    patch = Patch()
    patch["data"][1]["y"] = figure["data"][1]["y"]
    patch["layout"]["shapes"] = figure["layout"]["shapes"]
    patch["layout"]["annotations"] = figure["layout"]["annotations"]
    if first_band is not None:
        scenario = [t for t in figure["data"] if t.get("legendgroup") == "This scenario"]
        for offset in (0, 1):
            if with_band and len(scenario) == 2:
                patch["data"][first_band + offset]["y"] = scenario[offset]["y"]
            patch["data"][first_band + offset]["visible"] = bool(with_band and scenario)
    return patch


#: Fill of the 5-95 % bands: the scenario's blue and the baseline's grey, see-through.
BAND_COLOURS = {"Baseline": "rgba(120,120,120,0.18)", "This scenario": "rgba(31,95,175,0.18)"}


def _band_traces(name: str, band, scale: float, colour: str) -> list[dict]:
    """A shaded 5-95 % band: the lower edge, then the upper edge filled down to it."""
    years = [int(year) for year in band.index]
    common = {
        "type": "scatter",
        "mode": "lines",
        "x": years,
        "line": {"width": 0},
        "hoverinfo": "skip",
        "legendgroup": name,
    }
    shown = _(name)
    lower = {**common, "name": f"{shown}: 5 %", "y": _values(band[0.05], scale)}
    lower["showlegend"] = False
    upper = {
        **common,
        "name": _("{line}: 5-95 % range").format(line=shown),
        "y": _values(band[0.95], scale),
    }
    upper.update(fill="tonexty", fillcolor=colour)
    return [lower, upper]


def waterfall_figure(shares: dict[str, float], total: float, title: str, unit: str) -> dict:
    """Each lever's share of a headline change, as a waterfall ending in the total change.

    Examples
    --------
    >>> fig = waterfall_figure({"Public digital investment": 2.0, "Policy dividend": -0.5},
    ...                        1.5, "GDP per person, 2050", "thousand yuan")
    >>> fig["data"][0]["measure"]
    ['relative', 'relative', 'total']
    """
    labels = list(shares) + [_("Total change")]
    values = [float(v) for v in shares.values()] + [float(total)]
    return {
        "data": [
            {
                "type": "waterfall",
                "orientation": "h",
                "y": labels,
                "x": values,
                "measure": ["relative"] * len(shares) + ["total"],
                "text": [f"{v:+.3g}" for v in values],
                "textposition": "outside",
                "cliponaxis": False,
                "increasing": {"marker": {"color": "#1f5faf"}},
                "decreasing": {"marker": {"color": "#c22f2f"}},
                "totals": {"marker": {"color": "#444"}},
                "connector": {"line": {"color": "#bbb", "width": 1}},
                "hovertemplate": "%{y}: %{x:+.3g}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": title, "font": {"size": 15}, "x": 0.02},
            "xaxis": {
                "title": {"text": _("change against the baseline ({unit})").format(unit=unit)},
                "zeroline": True,
            },
            "yaxis": {"autorange": "reversed", "automargin": True},
            "margin": {"l": 10, "r": 40, "t": 44, "b": 44},
            "font": {"size": 13},
            "template": "plotly_white",
            "showlegend": False,
        },
    }


def tornado_figure(table, title: str, unit: str, scale: float = 1.0, top: int = 12) -> dict:
    """One-at-a-time swings as a tornado: a bar per factor from its low to its high setting.

    ``table`` is :func:`flywheel.sensitivity.swings`' result (largest swing first).
    """
    rows = table.head(top).iloc[::-1]
    labels = [
        (_("{factor} (lever)") if kind == "policy lever" else _("{factor} (uncertain)")).format(
            factor=_(factor)
        )
        for factor, kind in zip(rows["factor"], rows["kind"], strict=True)
    ]
    low = [float(v) * scale for v in rows["at low"]]
    high = [float(v) * scale for v in rows["at high"]]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": _("factor at its low setting"),
                "y": labels,
                "x": low,
                "marker": {"color": "#c98a2b"},
                "hovertemplate": "%{y}<br>" + _("low setting") + ": %{x:+.3g}<extra></extra>",
            },
            {
                "type": "bar",
                "orientation": "h",
                "name": _("factor at its high setting"),
                "y": labels,
                "x": high,
                "marker": {"color": "#1f5faf"},
                "hovertemplate": "%{y}<br>" + _("high setting") + ": %{x:+.3g}<extra></extra>",
            },
        ],
        "layout": {
            "title": {"text": title, "font": {"size": 16}, "x": 0.02},
            "barmode": "overlay",
            "xaxis": {
                "title": {"text": _("change from the scenario's value ({unit})").format(unit=unit)}
            },
            "yaxis": {"automargin": True},
            "margin": {"l": 10, "r": 20, "t": 48, "b": 100},
            "font": {"size": 13},
            # below the axis title, whatever the width (the title may wrap on a phone)
            "legend": {"orientation": "h", "y": -0.22, "yanchor": "top"},
            "template": "plotly_white",
        },
    }


def _stage_bands(layout: dict, result: RunResult) -> None:
    growth = float(result.frame["Growth stage threshold"].iloc[0])
    transformation = float(result.frame["Transformation stage threshold"].iloc[0])
    edges = (0, growth, transformation, 1)
    for (label, colour), low, high in zip(STAGE_BANDS, edges, edges[1:], strict=False):
        layout["shapes"].insert(
            0,
            {
                "type": "rect",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": low,
                "y1": high,
                "fillcolor": colour,
                "line": {"width": 0},
                "layer": "below",
            },
        )
        layout["annotations"].append(
            {
                "xref": "paper",
                "x": 0.01,
                "y": (low + high) / 2,
                "text": _(label),
                "showarrow": False,
                "xanchor": "left",
                "font": {"size": 11, "color": "#666"},
            }
        )
    layout["yaxis"]["range"] = [0, 1]


def cost_figure(result: RunResult, year: int, curves) -> dict:
    """The paper's two cost curves with the region's operating point in ``year``.

    ``curves`` is one row of the model's curve variables (``name[point]`` -> value).
    """
    row = result.frame.loc[year]
    digital_x = _values(curves.filter(like="Digital scale grid["))
    traditional_x = _values(curves.filter(like="Traditional scale grid["))
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Digital average unit cost"),
            "x": digital_x,
            "y": _values(curves.filter(like="Digital unit cost curve[")),
            "line": {"color": "#1f5fbf", "width": 3},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Digital marginal cost"),
            "x": digital_x,
            "y": _values(curves.filter(like="Digital marginal cost curve[")),
            "line": {"color": "#1f5fbf", "dash": "dash"},
        },
        {
            "type": "scatter",
            "mode": "markers+text",
            "name": _("Region in {year} (digital)").format(year=year),
            "x": _values([row["Digital scale"]]),
            "y": _values([row["Digital unit cost"]]),
            "text": [str(year)],
            "textposition": "top right",
            "marker": {"size": 14, "color": "#c22f2f"},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Traditional marginal cost"),
            "x": traditional_x,
            "y": _values(curves.filter(like="Traditional marginal cost curve[")),
            "line": {"color": "#d9730d", "width": 3},
            "xaxis": "x2",
            "yaxis": "y2",
        },
        {
            "type": "scatter",
            "mode": "markers+text",
            "name": _("Region in {year} (traditional)").format(year=year),
            "x": _values([row["Traditional scale ratio"]]),
            "y": _values([row["Traditional marginal cost"]]),
            "text": [str(year)],
            "textposition": "top right",
            "xaxis": "x2",
            "yaxis": "y2",
            "marker": {"size": 14, "color": "#c22f2f"},
        },
    ]
    layout = _layout(
        _("Cost structure: digital vs traditional production"), _("cost per unit of output")
    )
    layout.update(
        {
            "xaxis": {
                "domain": [0, 0.45],
                "type": "log",
                # full numbers at each power of ten, not plotly's bare "2 5" between them
                "dtick": 1,
                "tickformat": "~g",
                "title": {"text": _("digital output (log)")},
            },
            "xaxis2": {
                "domain": [0.55, 1],
                "title": {"text": _("traditional scale")},
            },
            "yaxis": {
                "title": {"text": in_money("cost per yuan of output", result.currency)},
                "rangemode": "tozero",
            },
            "yaxis2": {
                "anchor": "x2",
                "rangemode": "tozero",
                "title": {"text": _("marginal cost (index)")},
            },
            "hovermode": "closest",
            # the legend below the axis titles, not on them
            "legend": {"orientation": "h", "y": -0.4, "yanchor": "top"},
            "margin": {"l": 60, "r": 16, "t": 48, "b": 130},
        }
    )
    return {"data": data, "layout": layout}


#: Node positions of the causal-loop diagram.
NODES = {"economy": (0.0, 1.0), "government": (-1.0, -0.6), "society": (1.0, -0.6)}
NODE_LABELS = {
    "economy": N_("Digital economy"),
    "government": N_("Digital government"),
    "society": N_("Digital society"),
}
#: (source, target) -> label with the loops each cross-line link carries.
LINK_LABELS = {
    ("economy", "government"): ("R1", N_("fiscal revenue")),
    ("government", "economy"): ("R1", N_("policy dividend")),
    ("economy", "society"): ("R2 R4", N_("affordable access")),
    ("society", "economy"): ("R2", N_("digital market")),
    ("government", "society"): ("R3", N_("e-services")),
    ("society", "government"): ("R3", N_("demand for e-gov")),
}
SELF_LOOPS = {"economy": "R4 R5 R6 | B3 B5", "government": "R7 | B3 B6", "society": "B1"}


#: Node positions of the compact diagram (a phone): taller than wide.
COMPACT_NODES = {"economy": (0.0, 1.25), "government": (-0.62, -0.75), "society": (0.62, -0.75)}


def flywheel_diagram(
    strengths: dict[tuple[str, str], float], highlight: str | None = None, compact: bool = False
) -> dict:
    """Causal-loop diagram of the three main lines; cut links drawn red and dashed.

    ``compact``: for a narrow screen, smaller type, link labels by loop code only (the
    words in their hover text and in the link switches below) and a taller layout.
    """
    data, annotations = [], []
    nodes = COMPACT_NODES if compact else NODES
    for (source, target), (codes, words) in LINK_LABELS.items():
        label = f"{codes} {_(words)}"
        shown = codes if compact else label
        (x0, y0), (x1, y1) = nodes[source], nodes[target]
        dx, dy = x1 - x0, y1 - y0
        length = math.hypot(dx, dy)
        nx, ny = -dy / length * 0.08, dx / length * 0.08  # offset the two directions
        sx, sy = x0 + dx * 0.2 + nx, y0 + dy * 0.2 + ny
        ex, ey = x0 + dx * 0.8 + nx, y0 + dy * 0.8 + ny
        strength = strengths.get((source, target), 1.0)
        lit = highlight is not None and highlight in codes.split()
        colour = "#c22f2f" if strength == 0 else ("#e09b00" if lit else "#1f5fbf")
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [sx, ex],
                "y": [sy, ey],
                "hoverinfo": "text",
                "text": [label, label],
                "showlegend": False,
                "line": {
                    "color": colour,
                    "width": 2 + 3 * strength + (3 if lit else 0),
                    "dash": "dash" if strength < 1 else "solid",
                },
            }
        )
        annotations.append(
            {
                "x": ex,
                "y": ey,
                "ax": sx,
                "ay": sy,
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "showarrow": True,
                "arrowhead": 3,
                "arrowsize": 1.4,
                "arrowcolor": colour,
                "text": "",
            }
        )
        # the label runs along its arrow, on the side away from the other direction's
        # arrow (the axes keep one scale, so the angle on screen is the angle here)
        angle = -math.degrees(math.atan2(dy, dx))
        angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
        annotations.append(
            {
                "name": "link-label",
                "x": (sx + ex) / 2 + nx * 2.1,
                "y": (sy + ey) / 2 + ny * 2.1,
                "textangle": angle,
                "text": _("{link} (cut)").format(link=shown) if strength == 0 else shown,
                "hovertext": label,
                "showarrow": False,
                "font": {"size": 11 if compact else 12, "color": colour},
            }
        )
    for node, (x, y) in nodes.items():
        annotations.append(
            {
                "name": "node",
                "x": x,
                "y": y,
                "text": f"<b>{_(NODE_LABELS[node])}</b><br>"
                f"<span style='font-size:{10 if compact else 11}px'>{SELF_LOOPS[node]}</span>",
                "showarrow": False,
                "bgcolor": "#ffffff",
                "bordercolor": "#333",
                "borderwidth": 2,
                "borderpad": 4 if compact else 8,
                "font": {"size": 12 if compact else 15},
            }
        )
    annotations.append(
        {
            "name": "centre",
            "x": 0,
            "y": -0.05,
            "text": _("Regional development").replace(" ", "<br>", 1),
            "showarrow": False,
            "font": {"size": 11 if compact else 13, "color": "#555"},
        }
    )
    axis = {"visible": False, "range": [-1.0, 1.0] if compact else [-1.6, 1.6]}
    layout = {
        "annotations": annotations,
        "xaxis": axis,
        # one scale on both axes: the labels' angles match their arrows at any width
        "yaxis": {
            **axis,
            "range": [-1.05, 1.5] if compact else [-1.1, 1.35],
            "scaleanchor": "x",
            "scaleratio": 1,
        },
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "template": "plotly_white",
        "dragmode": False,
    }
    return {"data": data, "layout": layout}


#: The loops the strip colours (the strongest, and the one highlighted): colour-blind-safe
#: colours (Okabe & Ito), each with its own hatching, so no two differ by hue alone.
STRIP_STYLES = (
    ("#0072B2", ""),
    ("#E69F00", "/"),
    ("#009E73", "."),
    ("#CC79A7", "x"),
    ("#56B4E9", "-"),
    ("#D55E00", "|"),
)
#: Every other loop: grey, named in its hover text.
STRIP_OTHERS = "#c9c9c9"


#: Roughly how much of the strip a label takes on a 1,000-1,300 px wide screen: years per
#: character across, and the height of one line in score units.
LABEL_YEARS_PER_CHAR, LABEL_HEIGHT = 0.3, 0.13


def _label_left(x: float, text: str, anchor: str) -> float:
    """Where a strip label starts on the year axis (it ends there when right-anchored)."""
    return x if anchor == "left" else x - len(text) * LABEL_YEARS_PER_CHAR * 2


def _free_spot(
    placed: list[dict], x: float, y: float, text: str, anchor: str
) -> tuple[float, float]:
    """Where a strip label can go near (x, y) without sitting on a label already placed."""
    left = _label_left(x, text, anchor)

    def clash(cy: float) -> bool:
        return any(
            abs(left - _label_left(other["x"], other["text"], other["xanchor"]))
            < (len(text) + len(other["text"])) * LABEL_YEARS_PER_CHAR
            and abs(cy - other["y"]) < LABEL_HEIGHT
            for other in placed
        )

    for step in (0, -1, 1, -2, 2, -3, 3, -4, 4):
        candidate = y + step * LABEL_HEIGHT
        if -1.0 <= candidate <= 1.0 and not clash(candidate):
            return x, candidate
    return x, y


def dominance_strip(scores, highlight: str | None = None, names: dict | None = None) -> dict:
    """Stacked relative loop scores over time: reinforcing loops above zero, balancing below.

    ``scores``: one column per named loop code (e.g. from ``Dominance.by_code()``);
    ``names``: loop code -> name. The two strongest reinforcing and four strongest
    balancing loops (by their largest share; and the one highlighted) get a colour, a hatching and a
    label on the chart itself; the others are grey. There is no legend: the labels sit on the areas they name.
    """
    names = names or {}
    yearly = scores.loc[[t for t in scores.index if abs(t - round(t)) < 1e-9] or scores.index]
    years = [float(t) for t in yearly.index]
    share = yearly.abs().max().sort_values(ascending=False)  # a loop that leads at any time
    reinforcing = [code for code in share.index if code.startswith("R")]
    balancing = [code for code in share.index if not code.startswith("R")]
    strongest = reinforcing[:2] + balancing[: len(STRIP_STYLES) - len(reinforcing[:2])]
    if highlight in yearly.columns and highlight not in strongest:
        strongest = strongest[:-1] + [highlight]
    styles = dict(zip(strongest, STRIP_STYLES, strict=False))
    order = sorted(yearly.columns, key=lambda code: (code[0] != "R", code))
    data, annotations, stacked = [], [], {"R": None, "B": None}
    for code in order:
        kind = "R" if code.startswith("R") else "B"
        colour, hatch = styles.get(code, (STRIP_OTHERS, ""))
        values = _values(yearly[code])
        label = f"{code} {_(names[code])}" if code in names else code
        trace = {
            "type": "scatter",
            "mode": "lines",
            "name": code,
            "x": years,
            "y": values,
            "stackgroup": "reinforcing" if kind == "R" else "balancing",
            "fillcolor": colour,
            "line": {"width": 3 if code == highlight else 0.5, "color": "#ffffff"},
            "customdata": [code] * len(years),
            "hovertemplate": f"{label}: %{{y:.2f}}<extra></extra>",
        }
        if hatch:
            trace["fillpattern"] = {
                "shape": hatch,
                "fgcolor": "rgba(255,255,255,0.75)",
                "bgcolor": colour,
                "size": 7,
                "solidity": 0.25,
            }
        if code == highlight:
            trace["line"]["color"] = "#222222"
        data.append(trace)
        below = stacked[kind] if stacked[kind] is not None else [0.0] * len(values)
        top = [b + (v or 0.0) for b, v in zip(below, values, strict=True)]
        stacked[kind] = top
        if code in styles:
            # at the loop's largest share after the first years' start-up transients
            settled = [i for i, year in enumerate(years) if year >= years[0] + 3] or [0]
            at = max(settled, key=lambda i: abs(values[i] or 0.0))
            anchor = "left" if years[at] < 2030 else "right"
            x, y = _free_spot(annotations, years[at], (below[at] + top[at]) / 2, label, anchor)
            annotations.append(
                {
                    "x": x,
                    "y": y,
                    "text": label,
                    "showarrow": False,
                    "xanchor": anchor,
                    "font": {"size": 12, "color": "#111111"},
                    "bgcolor": "rgba(255,255,255,0.85)",
                    "bordercolor": colour,
                    "borderwidth": 2,
                    "borderpad": 2,
                }
            )
    layout = {
        "title": {"text": _("Which loops carry the behaviour (relative loop scores)"), "x": 0.02},
        "template": "plotly_white",
        "margin": {"l": 56, "r": 10, "t": 44, "b": 30},
        "yaxis": {
            "range": [-1.1, 1.1],
            "tickvals": [-1, -0.5, 0, 0.5, 1],
            "title": {"text": _("reinforcing (+) / balancing (-)")},
        },
        # the year labels a little below the axis, clear of the lowest value label ("0")
        "xaxis": {"range": [2004.5, 2050.5], "dtick": 5, "ticklabelstandoff": 6},
        "showlegend": False,
        "annotations": annotations,
        "hovermode": "x unified",
    }
    return {"data": data, "layout": layout}


def small_multiples(result: RunResult, base: RunResult) -> dict:
    """The three main lines, baseline vs scenario, stacked (flywheel page)."""
    lines = TRAJECTORIES[0], TRAJECTORIES[2], TRAJECTORIES[3]
    data, layout = (
        [],
        {
            "template": "plotly_white",
            "margin": {"l": 56, "r": 10, "t": 30, "b": 30},
            "showlegend": True,
            "legend": {"orientation": "h", "y": -0.08},
            "annotations": [],
        },
    )
    years = [int(year) for year in result.frame.index]
    for index, (variable, title, unit, scale) in enumerate(lines, start=1):
        axis = "" if index == 1 else str(index)
        for name, run_, style in (
            (_("Baseline"), base, BASE_STYLE),
            (_("With these links"), result, SCENARIO_STYLE),
        ):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": name,
                    "x": years,
                    "y": _values(run_.frame[variable], scale),
                    "line": style,
                    "xaxis": f"x{axis}",
                    "yaxis": f"y{axis}",
                    "showlegend": index == 1,
                    "legendgroup": name,
                }
            )
        top = 1 - (index - 1) / 3
        layout[f"yaxis{axis}"] = {"domain": [top - 0.27, top - 0.04], "rangemode": "tozero"}
        layout[f"xaxis{axis}"] = {
            "anchor": f"y{axis}",
            "range": [2004.5, 2050.5],
            "showticklabels": index == 3,
        }
        layout["annotations"].append(
            {
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": top,
                "text": f"<b>{_(title)}</b> ({in_money(unit, result.currency)})",
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
            }
        )
    return {"data": data, "layout": layout}


def significant(values: np.ndarray, digits: int = 7) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits, as numbers that print short.

    A fan travels as JSON: seven digits tell every slider step apart and keep it small.
    Dividing a whole number by an exact power of ten gives the double nearest the
    decimal, whose shortest form is that decimal.

    >>> significant(np.array([1234.56789, -0.000123456789, 98765432.1, 0.0])).tolist()
    [1234.568, -0.0001234568, 98765430.0, 0.0]
    """
    values = np.asarray(values, dtype=float)
    out = values.copy()
    finite = np.isfinite(values) & (values != 0)
    shift = digits - 1 - np.floor(np.log10(np.abs(values[finite])))
    part = values[finite]
    up = shift >= 0
    scale = 10.0 ** np.abs(shift)
    part = np.where(up, np.round(part * scale) / scale, np.round(part / scale) * scale)
    out[finite] = part
    return out
