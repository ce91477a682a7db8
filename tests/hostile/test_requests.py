"""Hostile requests to the running dashboard: deep nesting, mis-shaped outputs, big bodies,
crafted URLs, injected scripts. None may get a 5xx."""

import base64
import json

import pytest
import requests

from dashboard import security, state
from dashboard.app import MAX_REQUEST_BYTES, create_app
from flywheel.errors import InputError

UPDATE = "/_dash-update-component"
JSON = {"Content-Type": "application/json"}


def post(server_url, data):
    return requests.post(server_url + UPDATE, data=data, headers=JSON, timeout=60)


@pytest.fixture(scope="module")
def callbacks(server_url):
    requests.get(server_url + "/", timeout=10)
    return requests.get(server_url + "/_dash-dependencies", timeout=10).json()


def search_body(value_json: str) -> str:
    return (
        '{"output": "..model-table.children...model-count.children..", '
        '"outputs": [{"id": "model-table", "property": "children"}, '
        '{"id": "model-count", "property": "children"}], '
        '"inputs": [{"id": "model-search", "property": "value", "value": ' + value_json + "}], "
        '"state": [{"id": "page-lang", "property": "data", "value": "en"}], '
        '"changedPropIds": ["model-search.value"]}'
    )


def test_the_search_request_used_below_is_answered(server_url):
    assert post(server_url, search_body('"capital"')).status_code == 200


@pytest.mark.parametrize("depth", [100, 1_000, 100_000])
def test_a_deeply_nested_body_is_refused_with_400(server_url, depth):
    response = post(server_url, "[" * depth + "]" * depth)
    assert response.status_code == 400
    assert "nested" in response.text


@pytest.mark.parametrize("depth", [65, 5_000, 50_000])
def test_a_deeply_nested_value_is_refused_with_400(server_url, depth):
    response = post(server_url, search_body("[" * depth + "]" * depth))
    assert response.status_code == 400


def test_nesting_inside_strings_is_only_text(server_url):
    response = post(server_url, search_body(json.dumps("[" * 10_000)))
    assert response.status_code == 200


def test_a_deeply_nested_scenario_upload_gets_a_message(server_url):
    text = '{"levers": ' + "[" * 5_000 + "]" * 5_000 + "}"
    contents = "data:application/json;base64," + base64.b64encode(text.encode()).decode()
    with pytest.raises(InputError, match=r"deep\.json: nested 5001 levels deep; at most 64"):
        state.from_upload(contents, "deep.json")


def test_wrong_number_of_outputs_is_refused_with_400(server_url, callbacks):
    multi = [
        dep
        for dep in callbacks
        if dep["output"].startswith("..") and not dep.get("clientside_function")
    ]
    assert multi
    for dep in multi:
        parts = dep["output"][2:-2].split("...")
        for outputs in ([], [{"id": "x", "property": "y"}], "text", {"id": "a", "property": "b"}):
            body = {
                "output": dep["output"],
                "outputs": outputs,
                "inputs": [],
                "state": [],
                "changedPropIds": [],
            }
            # inputs are shaped right so that only the outputs are wrong
            body["inputs"] = [
                {
                    "id": json.loads(s["id"]) if s["id"].startswith("{") else s["id"],
                    "property": s["property"],
                    "value": None,
                }
                if not s["id"].startswith("{")
                else []
                for s in dep["inputs"]
            ]
            body["state"] = [
                {"id": s["id"], "property": s["property"], "value": None}
                if not s["id"].startswith("{")
                else []
                for s in dep["state"]
            ]
            response = post(server_url, json.dumps(body))
            assert response.status_code == 400, (dep["output"], outputs, response.text[:200])
            assert len(parts) > 1


def test_one_output_sent_as_a_list_is_refused(server_url):
    body = json.loads(search_body('"x"'))
    body["outputs"] = body["outputs"][:1]
    assert post(server_url, json.dumps(body)).status_code == 400
    body["outputs"] = body["outputs"] * 3
    assert post(server_url, json.dumps(body)).status_code == 400


def test_a_chunked_body_over_the_limit_gets_413(server_url):
    def chunks():
        for _ in range(200):
            yield b" " * 10_000  # 2 MB with no Content-Length: sent chunked

    response = requests.post(server_url + UPDATE, data=chunks(), headers=JSON, timeout=60)
    assert response.status_code == 413


def test_a_chunked_body_under_the_limit_is_read_whole(server_url):
    body = search_body('"capital"').encode()

    def chunks():
        for start in range(0, len(body), 50):
            yield body[start : start + 50]

    response = requests.post(server_url + UPDATE, data=chunks(), headers=JSON, timeout=60)
    assert response.status_code == 200
    assert len(body) < MAX_REQUEST_BYTES


@pytest.mark.parametrize(
    "query",
    [
        "public_investment=" + "[" * 5_000,
        "public_investment=%5B" * 2_000,
        "a" * 7_000,
        "public_investment=1e308&rd_intensity=-1e308&links=nan",
        "public_investment=%00%ff%fe",
        "preset=../../etc/passwd",
        "%E4%BD%A0%E5%A5%BD=%E4%BD%A0",
    ],
)
def test_crafted_links_load_without_error(server_url, query):
    page = requests.get(f"{server_url}/?{query}", timeout=10)
    assert page.status_code in (200, 414)
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/"},
            {"id": "_pages_location", "property": "search", "value": "?" + query},
        ],
        "state": [],
        "changedPropIds": ["_pages_location.pathname"],
    }
    assert post(server_url, json.dumps(body)).status_code in (200, 204, 400)


def test_csp_allows_only_the_renderers_own_scripts():
    app = create_app()
    known = app.server.config["CSP_SCRIPT_HASHES"]
    # Dash's browser check, the clientside callbacks and the renderer start-up
    assert security.script_hash(b"var renderer = new DashRenderer();") in known
    injected = b"<html><script>alert(document.cookie)</script></html>"
    with app.server.test_request_context("/"):
        response = app.server.make_response((injected, 200, {"Content-Type": "text/html"}))
        response = security.add_security_headers(response)
    policy = response.headers["Content-Security-Policy"]
    assert security.script_hash(b"alert(document.cookie)") not in policy
    assert all(hash_ in policy for hash_ in known)


def test_served_pages_carry_the_start_up_hashes(server_url):
    known = create_app().server.config["CSP_SCRIPT_HASHES"]
    for path in ("/", "/flywheel", "/calibration", "/model"):
        response = requests.get(server_url + path, timeout=10)
        scripts = security._INLINE_SCRIPT.findall(response.content)
        assert {security.script_hash(s) for s in scripts} <= set(known)
        assert response.headers["Content-Security-Policy"].count("'sha256-") == len(known)


def wildcard_items(spec_id, prop, ids):
    pattern = json.loads(spec_id)
    return [{"id": {**pattern, **i}, "property": prop, "value": None} for i in ids]


def test_wildcards_naming_different_components_get_400_not_500(server_url, callbacks):
    """A callback answers one value per component in its state; the outputs must agree."""
    from flywheel import load_levers

    keys = [{"key": key} for key in load_levers().keys()]
    dep = next(d for d in callbacks if d["output"].startswith('..{"key":["ALL"]'))
    checked = 0
    for n_out, n_state in [(1, len(keys)), (len(keys), 1), (0, 3), (len(keys), len(keys))]:
        outputs = [
            [{"id": {"type": "explore-lever", **k}, "property": "value"} for k in keys[:n_out]],
            {"id": "explore-apply-message", "property": "children"},
            {"id": "explore-preset", "property": "value"},
        ]
        inputs = [
            {"id": s["id"], "property": s["property"], "value": 1 if "reset" in s["id"] else None}
            for s in dep["inputs"]
        ]
        state = [
            wildcard_items(s["id"], s["property"], keys[:n_state])
            if s["id"].startswith("{")
            else {"id": s["id"], "property": s["property"], "value": None}
            for s in dep["state"]
        ]
        for item in state[1]:  # the ids the callback answers for
            item["value"] = item["id"]
        body = {
            "output": dep["output"],
            "outputs": outputs,
            "inputs": inputs,
            "state": state,
            "changedPropIds": ["explore-reset.n_clicks"],
        }
        response = post(server_url, json.dumps(body))
        expected = 200 if n_out == n_state else 400
        assert response.status_code == expected, (n_out, n_state, response.text[:200])
        checked += 1
    assert checked == 4


def test_mutated_callback_requests_never_get_a_5xx():
    """Well-formed requests of every callback, mutated at random (items dropped, repeated,
    shuffled, replaced by odd values), 1,500 times with a fixed seed."""
    import copy
    import random

    from tests.dashboard.test_server import payload

    client = create_app().server.test_client()
    callbacks = json.loads(client.get("/_dash-dependencies").data)
    servable = [dep for dep in callbacks if not dep.get("clientside_function")]
    rng = random.Random(12)
    odd = [None, "x", 1e308, -1, [], {}, [1], {"a": 1}, True, "nan", 0, "/", "?a=1"]

    def mutate(value):
        if isinstance(value, dict) and value:
            value = dict(value)
            key = rng.choice(list(value))
            roll = rng.random()
            if roll < 0.2:
                del value[key]
            elif roll < 0.5:
                value[key] = rng.choice(odd)
            else:
                value[key] = mutate(value[key])
            return value
        if isinstance(value, list) and value:
            value = list(value)
            roll = rng.random()
            if roll < 0.2:
                value.pop(rng.randrange(len(value)))
            elif roll < 0.4:
                value.append(copy.deepcopy(rng.choice(value)))
            elif roll < 0.5:
                rng.shuffle(value)
            else:
                index = rng.randrange(len(value))
                value[index] = mutate(value[index])
            return value
        return rng.choice(odd) if rng.random() < 0.5 else value

    statuses = {}
    for _ in range(1_500):
        dep = rng.choice(servable)
        body = payload(dep, [None] * (len(dep["inputs"]) + len(dep["state"])))
        for _ in range(rng.randint(1, 3)):
            body = mutate(body)
        response = client.post(UPDATE, json=body)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, json.dumps(body)[:500]
    assert statuses.get(400, 0) > 100 and statuses.get(200, 0) + statuses.get(204, 0) > 100
