"""gunicorn under workshop conditions: idle keep-alive, two servers for one user."""

import http.client
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from dashboard.app import KEEPALIVE_SECONDS

from .conftest import ROOT


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(port, home):
    env = {**os.environ, "HOME": str(home)}
    env.pop("XDG_RUNTIME_DIR", None)  # gunicorn's control socket would go there first
    process = subprocess.Popen(
        [sys.executable, "-m", "flywheel.cli", "serve", "--production", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            return process
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(process.stdout.read().decode()[-2000:]) from None
            time.sleep(0.3)


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    process.stdout.close()


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    ports = [free_port(), free_port()]
    servers = []
    try:
        for port in ports:
            servers.append(start(port, home))
        yield home, ports, servers
    finally:
        for server in servers:
            stop(server)


def test_a_connection_is_reused_after_five_idle_seconds(two_servers):
    _, ports, _ = two_servers
    assert KEEPALIVE_SECONDS > 5
    connection = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=10)
    connection.request("GET", "/_dash-layout")
    first = connection.getresponse()
    first.read()
    assert first.status == 200 and first.getheader("Connection", "").lower() != "close"
    socket_before = connection.sock
    time.sleep(5.5)  # a participant thinking
    connection.request("GET", "/_dash-dependencies")
    second = connection.getresponse()  # RemoteDisconnected if the server closed it
    second.read()
    assert second.status == 200
    assert connection.sock is socket_before  # the same TCP connection, not a new one
    connection.close()


def search_request():
    return json.dumps(
        {
            "output": "..model-table.children...model-count.children..",
            "outputs": [
                {"id": "model-table", "property": "children"},
                {"id": "model-count", "property": "children"},
            ],
            "inputs": [{"id": "model-search", "property": "value", "value": "capital"}],
            "state": [{"id": "page-lang", "property": "data", "value": "en"}],
            "changedPropIds": ["model-search.value"],
        }
    )


def test_two_servers_give_byte_identical_answers(two_servers):
    _, ports, _ = two_servers
    answers = [
        requests.post(
            f"http://127.0.0.1:{port}/_dash-update-component",
            data=search_request(),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        for port in ports
    ]
    assert all(answer.status_code == 200 for answer in answers)
    assert answers[0].content == answers[1].content and b"Digital Capital" in answers[0].content


def test_gunicorn_refuses_big_chunked_and_deep_bodies(two_servers):
    _, ports, _ = two_servers
    url = f"http://127.0.0.1:{ports[1]}/_dash-update-component"
    headers = {"Content-Type": "application/json"}

    def chunks():
        for _ in range(200):
            yield b" " * 10_000

    assert requests.post(url, data=chunks(), headers=headers, timeout=60).status_code == 413
    deep = "[" * 100_000 + "]" * 100_000
    assert requests.post(url, data=deep, headers=headers, timeout=60).status_code == 400


def test_two_servers_give_byte_identical_model_answers(two_servers):
    """Stateless workers behind a load balancer: the same slider move, the same bytes."""
    from benchmarks.workshop_requests import attribution_body, update_body
    from flywheel import load_levers

    _, ports, _ = two_servers
    levers = {**load_levers().defaults(), "public_investment": 7.3, "rd_intensity": 5.1}
    answers = []
    for port in ports:
        url = f"http://127.0.0.1:{port}"
        dependencies = requests.get(url + "/_dash-dependencies", timeout=10).json()
        answers.append(
            requests.post(
                url + "/_dash-update-component",
                data=json.dumps(update_body(dependencies, levers, bands=True)),
                headers={"Content-Type": "application/json"},
                timeout=60,
            )
        )
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].content == answers[1].content
    assert b"5-95 % range" in answers[0].content
    # the lever waterfall the page asks for next: its split ran in the picture's batch
    # on both servers, so it is the same bytes too
    waterfalls = [
        requests.post(
            f"http://127.0.0.1:{port}/_dash-update-component",
            data=json.dumps(attribution_body(dependencies, levers)),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        for port in ports
    ]
    assert [w.status_code for w in waterfalls] == [200, 200]
    assert waterfalls[0].content == waterfalls[1].content
    assert b'"type":"waterfall"' in waterfalls[0].content
    assert b"Public digital investment" in waterfalls[0].content


def test_stopping_one_server_leaves_the_other_running(two_servers):
    # last in this file: it stops the first server
    home, ports, servers = two_servers
    assert not (home / ".gunicorn" / "gunicorn.ctl").exists()  # no shared control socket
    stop(servers[0])
    time.sleep(1)
    assert requests.get(f"http://127.0.0.1:{ports[1]}/", timeout=10).status_code == 200
    assert servers[1].poll() is None
