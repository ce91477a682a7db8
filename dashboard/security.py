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

from flask import abort, request

_INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", re.S
)
UPDATE_PATH = "/_dash-update-component"


def content_security_policy(html_body: bytes) -> str:
    """CSP allowing only the app's own assets and, by hash, the page's own inline scripts."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html_body)
    )
    return (
        "default-src 'self'; "
        f"script-src 'self' {hashes}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def add_security_headers(response):
    """Add security headers to every response (Flask ``after_request`` hook)."""
    if response.mimetype == "text/html" and not response.direct_passthrough:
        response.headers["Content-Security-Policy"] = content_security_policy(response.get_data())
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


def _matches(declared: list[dict], sent) -> bool:
    if not isinstance(sent, list) or len(sent) != len(declared):
        return False
    for spec, item in zip(declared, sent, strict=True):
        if _is_wildcard(spec["id"]):
            if not isinstance(item, list) or not all(_valid_item(x) for x in item):
                return False
            if any(not isinstance(x["id"], dict) for x in item):
                return False
        elif not _valid_item(item) or item.get("property") != spec["property"]:
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
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, UnicodeDecodeError):
        abort(400, "request body is not JSON")
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
    outputs = body.get("outputs")
    if not isinstance(outputs, (list, dict)):
        abort(400, "outputs missing")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(x, str) for x in changed):
        abort(400, "changedPropIds must be a list of strings")
