"""The Dash app: factory, shared layout (navigation, presentation mode), security headers.

Pages live in ``dashboard/pages`` and register themselves with ``dash.register_page``.
User state lives in the browser (``dcc.Store`` and the URL), never in module globals.
"""

from __future__ import annotations

import errno
import importlib
import os
import socket
import sys
from functools import lru_cache
from urllib.parse import parse_qsl

import dash
import flask
import plotly.io.json
from dash import Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate
from gunicorn.app.base import BaseApplication

from dashboard import i18n, security, state
from dashboard.i18n import _
from flywheel.errors import InputError

PAGES = (
    "dashboard.pages.explore",
    "dashboard.pages.flywheel",
    "dashboard.pages.matters",
    "dashboard.pages.calibration",
    "dashboard.pages.model",
)
#: Request threads per gunicorn worker process.
THREADS = 32
#: Seconds an idle connection is kept open: above the 1-3 s a workshop participant thinks
#: between moves (gunicorn's default of 2 s closed connections mid-thought).
KEEPALIVE_SECONDS = 30
#: Largest request body the server accepts (an uploaded scenario is at most 100 kB).
MAX_REQUEST_BYTES = 512 * 1024


def _nav_pages() -> dict[str, str]:
    """Navigation link id (``nav-<module>``) -> path, in the pages' order."""
    pages = [page for page in dash.page_registry.values() if page.get("order") is not None]
    return {
        f"nav-{page['module'].split('.')[-1]}": page["relative_path"]
        for page in sorted(pages, key=lambda page: page["order"])
    }


def _nav_names() -> list[str]:
    """The navigation links' words, in the pages' order, in the current language."""
    names = {page["relative_path"]: page["name"] for page in dash.page_registry.values()}
    return [_(names[path]) for path in _nav_pages().values()]


def _layout():
    nav = [
        dcc.Link(name, href=path, className="nav-link", id=link)
        for name, (link, path) in zip(_nav_names(), _nav_pages().items(), strict=True)
    ]
    return html.Div(
        id="app-root",
        className="app",
        children=[
            dcc.Store(id="presentation", storage_type="session", data=False),
            dcc.Store(id="presentation-relay"),
            dcc.Store(id="lang-relay"),
            dcc.Store(id="saved-scenarios", storage_type="local", data={}),
            dcc.Store(id="current-levers", storage_type="session", data={}),
            dcc.Store(id="current-charts", storage_type="session", data=None),
            dcc.Store(id="region", storage_type="session", data=state.DEFAULT_REGION),
            html.Header(
                className="topbar",
                children=[
                    html.Div(_("Digital Flywheel"), id="brand", className="brand"),
                    html.Nav(nav, className="nav"),
                    # a link, not a callback: the page reloads in the other language
                    html.A(
                        i18n.LANGUAGES["zh"],
                        id="lang-toggle",
                        href="?lang=zh",
                        lang=i18n.HTML_LANG["zh"],
                        className="button ghost lang-toggle",
                    ),
                    html.Button(
                        _("Presentation mode"),
                        id="presentation-toggle",
                        className="button ghost",
                        title=_("Large type and four charts for a room (for workshops)"),
                    ),
                ],
            ),
            dash.page_container,
        ],
    )


def _register_nav_links() -> None:
    """Navigation carries the scenario, region and language to every page.

    The language link carries them too, to the same page in the other language.
    """
    paths = _nav_pages()

    def nav_links(region, levers, picks, search, pathname):
        clean, _problems = state.clean_lever_dict(levers)
        region, lang = state.clean_region(region), language_of(search)
        query = state.to_query(clean, region, picks, lang)
        other = "en" if lang == "zh" else "zh"
        here = pathname if isinstance(pathname, str) and pathname in paths.values() else "/"
        toggle = f"{here}{state.to_query(clean, region, picks, other) or '?lang=en'}"
        return [f"{path}{query}" for path in paths.values()] + [
            toggle,
            i18n.LANGUAGES[other],
            i18n.HTML_LANG[other],
        ]

    callback(
        [Output(link, "href") for link in paths],
        Output("lang-toggle", "href"),
        Output("lang-toggle", "children"),
        Output("lang-toggle", "lang"),
        Input("region", "data"),
        Input("current-levers", "data"),
        Input("current-charts", "data"),
        Input("_pages_location", "search"),
        State("_pages_location", "pathname"),
    )(nav_links)

    def nav_words(search):
        with i18n.language(language_of(search)):
            return [*_nav_names(), _("Digital Flywheel")]

    callback(
        [Output(link, "children") for link in paths],
        Output("brand", "children"),
        Input("_pages_location", "search"),
    )(nav_words)


def language_of(search: object) -> str:
    """The language named by ``?lang=`` in an address's query string (English if none).

    >>> language_of("?region=deu&lang=zh"), language_of("?lang=xx"), language_of(None)
    ('zh', 'en', 'en')
    """
    if not isinstance(search, str) or len(search) > state.MAX_QUERY_LENGTH:
        return i18n.DEFAULT
    return i18n.clean_lang(dict(parse_qsl(search.lstrip("?"))).get("lang"))


@callback(
    Output("presentation", "data"),
    Input("presentation-toggle", "n_clicks"),
    State("presentation", "data"),
    prevent_initial_call=True,
)
def toggle_presentation(_clicks, current):
    """Switch presentation mode on or off."""
    if not _clicks:
        raise PreventUpdate
    return not bool(current is True)


@callback(
    Output("app-root", "className"),
    Output("presentation-toggle", "children"),
    Output("presentation-toggle", "title"),
    Input("presentation", "data"),
    Input("_pages_location", "search"),
)
def presentation_class(on, search):
    """Presentation mode is a CSS class on the whole app; its button says how to leave it."""
    with i18n.language(language_of(search)):
        title = _("Large type and four charts for a room (for workshops)")
        if on is True:
            return "app presentation", _("Leave presentation"), title
        return "app", _("Presentation mode"), title


# the document's language follows the address (screen readers, fonts, translation tools)
clientside_callback(
    """function(search) {
      var lang = new URLSearchParams(search || '').get('lang');
      document.documentElement.lang = (lang || '').toLowerCase() === 'zh' ? 'zh-Hans' : 'en';
      return window.dash_clientside.no_update;
    }""",
    Output("lang-relay", "data"),
    Input("_pages_location", "search"),
)


# a page that draws for the room listens to its own store (explore-presenting): a page
# callback with the shell's store as Input would fire on pages that lack its components
clientside_callback(
    """function(on) {
      if (document.getElementById('explore-drawn')) {  // the Explore page is open (a Store has no element)
        window.dash_clientside.set_props('explore-presenting', {data: {on: on === true}});
      }
      return window.dash_clientside.no_update;
    }""",
    Output("presentation-relay", "data"),
    Input("presentation", "data"),
)


def _with_language(interpolate):
    """Dash's index page with ``<html lang>`` set from the request's ``?lang=``."""

    def interpolate_index(**kwargs):
        page = interpolate(**kwargs)
        lang = (
            i18n.clean_lang(flask.request.args.get("lang")) if flask.has_request_context() else "en"
        )
        return page.replace("{%html_lang%}", i18n.HTML_LANG[lang], 1)

    return interpolate_index


def _render_index(app: dash.Dash, path: str) -> str:
    """A page as the server sends it (the first request also completes Dash's set-up)."""
    return app.server.test_client().get(path).get_data(as_text=True)


@lru_cache(maxsize=1)
def create_app() -> dash.Dash:
    """Build the dashboard (once per process: pages register global callbacks).

    Examples
    --------
    >>> app = create_app()
    >>> sorted(page["path"] for page in dash.page_registry.values())
    ['/', '/calibration', '/flywheel', '/matters', '/model']
    """
    # answers are encoded by orjson: a lever's fan (half a megabyte of numbers) in 0.5 ms
    # instead of 11 ms with the standard library's encoder, time the worker's batcher
    # otherwise waits for (the encoder holds the interpreter lock)
    plotly.io.json.config.default_engine = "orjson"
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",  # pages are imported below under their package names
        title="Digital Flywheel",
        suppress_callback_exceptions=True,
        update_title=None,
        # phones lay the page out at their own width, not a 980 px desktop
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    # the page says its language (screen readers, translation tools): ?lang=zh or English
    app.index_string = app.index_string.replace("<html>", '<html lang="{%html_lang%}">', 1)
    app.interpolate_index = _with_language(app.interpolate_index)
    for page in PAGES:
        importlib.import_module(page)
    _register_nav_links()  # the links are known once the pages are registered
    app.layout = _layout
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.server.before_request(lambda: security.check_callback_request(app.callback_map))
    app.server.after_request(security.add_security_headers)
    app.server.config["CSP_SCRIPT_HASHES"] = security.known_script_hashes(
        [page["relative_path"] for page in dash.page_registry.values()],
        lambda path: _render_index(app, path),
    )
    return app


def warm() -> None:
    """Compute Explore's first picture now (see ``explore.warm``), if it can be computed.

    Warming only saves the first participants a wait: should it fail (a region's files
    damaged, say), the server still starts, says so in one line, and the first request
    reports the problem as it would have without the warm-up.
    """
    try:
        importlib.import_module("dashboard.pages.explore").warm()
    except Exception as error:  # noqa: BLE001 - an optimisation must not stop the server
        print(f"flywheel: the first picture was not computed ahead ({error})", file=sys.stderr)


class ProductionServer(BaseApplication):
    """Gunicorn serving the dashboard: one worker process per core, ``THREADS`` threads each."""

    def __init__(self, host: str, port: int, workers: int | None = None):
        self.bind = f"{host}:{port}"
        self.workers = workers or os.cpu_count() or 1
        super().__init__()

    def load_config(self):
        """Gunicorn settings (no config file is read)."""
        self.cfg.set("bind", self.bind)
        self.cfg.set("workers", self.workers)
        self.cfg.set("worker_class", "gthread")
        # enough threads that users moving sliders together wait in one batch (the model
        # work itself is batched by dashboard.batching, so threads mostly wait)
        self.cfg.set("threads", THREADS)
        self.cfg.set("limit_request_line", 8190)
        self.cfg.set("limit_request_fields", 100)
        self.cfg.set("keepalive", KEEPALIVE_SECONDS)
        # the control socket is shared by every gunicorn of a user ($HOME/.gunicorn):
        # stopping one server would remove another's; this server has no use for it
        self.cfg.set("control_socket_disable", True)

    def load(self):
        """The WSGI application: Flask under Dash, debug off, its first picture ready.

        Gunicorn calls this in each worker before the worker takes requests.
        """
        app = create_app()
        app.server.debug = False
        warm()
        return app.server


def check_port(host: str, port: int) -> None:
    """Raise ``InputError`` with a plain sentence unless ``host:port`` can be listened on.

    Binds and releases the address the way the servers will (``SO_REUSEADDR``), so a
    port in use or a privileged one is reported before a server prints its own text.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise InputError(
            f"--host {host}: cannot listen on this address ({error.strerror})"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise InputError(
                    f"port {port} is in use (try --port {port + 1 if port < 65535 else 8050})"
                ) from None
            if error.errno in (errno.EACCES, errno.EPERM):
                raise InputError(
                    f"port {port} needs administrator rights (ports below 1024 are "
                    "privileged; try --port 8050)"
                ) from None
            if error.errno == errno.EADDRNOTAVAIL:
                raise InputError(f"--host {host}: not an address of this machine") from None
            raise InputError(f"cannot listen on {host}:{port} ({error.strerror})") from None


def serve(host: str = "127.0.0.1", port: int = 8050, production: bool = False) -> None:
    """Run the dashboard: Flask's threaded server, or gunicorn with one worker per core.

    Raises
    ------
    InputError
        If the port is in use or needs rights this user does not have.
    """
    check_port(host, port)
    if production:
        ProductionServer(host, port).run()
    else:
        app = create_app()
        warm()
        app.run(host=host, port=port, debug=False, threaded=True)
