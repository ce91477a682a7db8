"""`flywheel serve --production`: gunicorn, one worker per core, debug off."""

import os
import socket
import subprocess
import sys
import time

import requests

from dashboard.app import ProductionServer


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_production_config():
    server = ProductionServer("127.0.0.1", 8123)
    assert server.cfg.bind == ["127.0.0.1:8123"]
    assert server.cfg.workers == (os.cpu_count() or 1)
    assert server.cfg.worker_class_str == "gthread"
    assert server.load().debug is False


def test_gunicorn_serves_the_dashboard_with_security_headers():
    """A real gunicorn master with its workers (it forks, so it runs as its own process)."""
    port = free_port()
    code = (
        "from flywheel.cli import main; import sys; "
        f"sys.exit(main(['serve', '--production', '--port', '{port}']))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read().decode()[-2000:]
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        assert response.status_code == 200
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "gunicorn" in response.headers.get("Server", "")
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
