"""Small layout helpers shared by the pages."""

from dash import Input, Output, callback, dcc, html

from dashboard import state
from flywheel import FlywheelError
from flywheel.baselines import load_baseline

#: Names shown in the region selector (others show their ISO code).
REGION_LABELS = {"china": "China (national)", "deu": "Germany"}


def graph(
    graph_id: str, height: int, class_name: str = "graph", figure: dict | None = None
) -> dcc.Graph:
    """A responsive plotly chart of the given height (presentation mode enlarges ``.graph``)."""
    return dcc.Graph(
        id=graph_id,
        figure=figure or {},
        config={"displaylogo": False},
        responsive=True,
        className=class_name,
        style={"height": f"{height}px"},
    )


def region_label(name: str) -> str:
    """A region's name for people: a known label, its baseline's title, or its code."""
    if name in REGION_LABELS:
        return REGION_LABELS[name]
    try:
        title = load_baseline(name).info.get("title")
    except FlywheelError:
        title = None
    return str(title) if isinstance(title, str) and title.strip() else name.upper()


def region_selector(query: dict, page: str) -> html.Div:
    """The region dropdown of a page (id ``<page>-region``), set from the link's ``?region=``.

    The choice is kept in the app's session store, and the navigation links carry it to
    the other pages (``/flywheel?region=deu``), so a region chosen once stays chosen.
    """
    return html.Div(
        className="region-row",
        children=[
            html.Label("Region", htmlFor=f"{page}-region", className="region-label"),
            dcc.Dropdown(
                id=f"{page}-region",
                options=[{"label": region_label(name), "value": name} for name in state.regions()],
                value=state.clean_region(query.get("region")),
                clearable=False,
                className="region-select",
            ),
        ],
    )


def remember_region(page: str) -> None:
    """Register the callback that copies a page's region choice into the session store."""
    callback(
        Output("region", "data", allow_duplicate=True),
        Input(f"{page}-region", "value"),
        prevent_initial_call="initial_duplicate",
    )(state.clean_region)


def publish_levers(page: str) -> None:
    """Register the callback that makes a page's scenario (``<page>-levers``) the session's.

    The navigation links are built from the session's scenario, so the levers opened from
    a link on this page travel on to the other pages.
    """
    callback(
        Output("current-levers", "data", allow_duplicate=True),
        Input(f"{page}-levers", "data"),
        prevent_initial_call="initial_duplicate",
    )(_published)


def _published(levers):
    clean, _ = state.clean_lever_dict(levers)
    return clean
