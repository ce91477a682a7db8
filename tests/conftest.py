import threading

import pytest

from flywheel import simulate


@pytest.fixture(scope="session")
def baseline():
    return simulate()


@pytest.fixture(scope="session")
def server_url():
    """The dashboard served by a real threaded HTTP server on a free loopback port."""
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    server = make_server("127.0.0.1", 0, create_app().server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
