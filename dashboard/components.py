"""Small layout helpers shared by the pages."""

from dash import Input, Output, callback, dcc, html

from dashboard import i18n, state
from dashboard.i18n import N_, _
from flywheel import FlywheelError
from flywheel.baselines import load_baseline

#: Names shown in the region selector (others show their ISO code).
REGION_LABELS = {"china": N_("China (national)"), "deu": N_("Germany")}


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
    """A region's name for people, in the page's language where one is known.

    A known label, a country's name (a baseline named by its ISO code), the baseline's
    title, or its code.
    """
    if name in REGION_LABELS:
        return _(REGION_LABELS[name])
    country = i18n.country_name(name) if i18n.current() != i18n.DEFAULT else None
    if country:
        return country
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
            html.Label(_("Region"), htmlFor=f"{page}-region", className="region-label"),
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
    clean, _problems = state.clean_lever_dict(levers)
    return clean
