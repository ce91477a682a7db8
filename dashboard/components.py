"""Small layout helpers shared by the pages."""

from dash import dcc


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
