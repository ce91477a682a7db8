"""Server-side protection: security headers and a shape check of callback requests.

Callbacks validate the *values* the browser sends; this module refuses requests whose
*shape* is not that of a Dash callback of this app (unknown output, missing or
mis-shaped inputs), with 400 instead of an exception deep inside Dash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from flask import abort, current_app, request

from flywheel.errors import InputError
from flywheel.jsontext import parse_json

_INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", re.S
)
UPDATE_PATH = "/_dash-update-component"


def script_hash(script: bytes) -> str:
    """The CSP source expression allowing one inline script by its SHA-256."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"


def known_script_hashes(pages: list[str], render) -> tuple[str, ...]:
    """Hashes of the inline scripts the app's own renderer writes into its pages.

    Computed once at start-up (``render(path)`` gives a page's HTML), so a script that
    reaches a response any other way is not allowed to run.
    """
    scripts = {
        script for path in pages for script in _INLINE_SCRIPT.findall(render(path).encode("utf-8"))
    }
    return tuple(sorted(script_hash(script) for script in scripts))


def content_security_policy(script_hashes: tuple[str, ...]) -> str:
    """CSP allowing only the app's own assets and, by hash, the renderer's inline scripts."""
    return (
        "default-src 'self'; "
        f"script-src 'self' {' '.join(script_hashes)}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def add_security_headers(response):
    """Add security headers to every response (Flask ``after_request`` hook)."""
    if response.mimetype == "text/html":
        hashes = current_app.config.get("CSP_SCRIPT_HASHES", ())
        response.headers["Content-Security-Policy"] = content_security_policy(hashes)
    else:
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
        )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _is_wildcard(component_id: str) -> bool:
    return component_id.startswith("{") and '["ALL"]' in component_id


def _valid_item(item) -> bool:
    return isinstance(item, dict) and "id" in item and isinstance(item.get("property"), str)


def _fits_pattern(component_id, pattern: dict) -> bool:
    """A component id matches a wildcard id: same keys, same values except wildcards."""
    return (
        isinstance(component_id, dict)
        and component_id.keys() == pattern.keys()
        and all(
            isinstance(wanted, list) or component_id[key] == wanted
            for key, wanted in pattern.items()
        )
    )


def _matches(declared: list[dict], sent, property_of=lambda name: name) -> bool:
    """``sent`` has one well-shaped item per declared one, with its id and property.

    ``property_of`` normalises a sent property name before the comparison (outputs of
    ``allow_duplicate`` callbacks carry an ``@hash`` suffix).
    """
    if not isinstance(sent, list) or len(sent) != len(declared):
        return False
    for spec, item in zip(declared, sent, strict=True):
        if _is_wildcard(spec["id"]):
            pattern = json.loads(spec["id"])
            if not isinstance(item, list) or not all(
                _valid_item(x)
                and _fits_pattern(x["id"], pattern)
                and property_of(x["property"]) == spec["property"]
                for x in item
            ):
                return False
        elif (
            not _valid_item(item)
            or item["id"] != spec["id"]
            or property_of(item["property"]) != spec["property"]
        ):
            return False
    return True


def _declared_outputs(output: str) -> list[dict]:
    """The outputs a callback key declares: ``..a.b...c.d..`` is two, ``a.b`` is one."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    declared = []
    for part in parts:
        component, _, prop = part.rpartition(".")
        declared.append({"id": component, "property": prop.split("@")[0]})
    return declared


def _outputs_match(output: str, sent) -> bool:
    """Dash indexes ``outputs`` by the declaration; a different count or shape is refused."""
    sent = sent if output.startswith("..") else [sent]
    return _matches(_declared_outputs(output), sent, lambda name: name.split("@")[0])


def _same_components_everywhere(body: dict, spec: dict) -> bool:
    """Every ``ALL`` wildcard names the same components in outputs, inputs and state.

    The browser sends each pattern's matching components (those on the page) wherever
    the pattern appears; a callback answers one value per component of its state, and
    Dash fails with an exception if that count differs from the outputs sent.
    """
    outputs = body["outputs"] if body["output"].startswith("..") else [body["outputs"]]
    groups = (
        (_declared_outputs(body["output"]), outputs),
        (spec.get("inputs", []), body["inputs"]),
        (spec.get("state", []), body.get("state", [])),
    )
    seen: dict[str, list[str]] = {}
    for declared, sent in groups:
        for item_spec, item in zip(declared, sent, strict=True):
            if _is_wildcard(item_spec["id"]):
                ids = [json.dumps(x["id"], sort_keys=True) for x in item]
                if seen.setdefault(item_spec["id"], ids) != ids:
                    return False
    return True


def _valid_location(item: dict) -> bool:
    """Dash's own page router needs a path (``/...``) and a text query string."""
    value = item.get("value")
    if item["property"] == "pathname":
        return isinstance(value, str) and value.startswith("/") and len(value) < 2000
    return value is None or (isinstance(value, str) and len(value) < 8000)


def check_callback_request(callback_map: dict) -> None:
    """Abort with 400 unless the request names a known callback with well-shaped inputs.

    A Flask ``before_request`` hook; values are left to the callbacks to validate.
    """
    if request.path != UPDATE_PATH or request.method != "POST":
        return
    data = request.get_data(cache=True)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is None and limit and len(data) >= limit:
        abort(413)  # a chunked body: Werkzeug stops reading at the limit without an error
    try:
        body = parse_json(data or b"null", "request body")
    except InputError as error:
        abort(400, str(error))
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        abort(400, "not a callback request")
    spec = callback_map.get(body["output"])
    if spec is None or not callable(spec.get("callback")):
        abort(400, "unknown callback")  # or a clientside one, which the server never runs
    if not _matches(spec.get("inputs", []), body.get("inputs")):
        abort(400, "inputs do not match the callback")
    if not _matches(spec.get("state", []), body.get("state", [])):
        abort(400, "state does not match the callback")
    for item in body["inputs"]:
        location = isinstance(item, dict) and item.get("id") == "_pages_location"
        if location and not _valid_location(item):
            abort(400, "page location must be a path")
    if not _outputs_match(body["output"], body.get("outputs")):
        abort(400, "outputs do not match the callback")
    if not _same_components_everywhere(body, spec):
        abort(400, "a wildcard names different components in outputs, inputs and state")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(x, str) for x in changed):
        abort(400, "changedPropIds must be a list of strings")
