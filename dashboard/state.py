"""What the browser sends, made safe: lever values, URL query strings, uploaded scenarios.

Dash passes on whatever a browser posts (strings, NaN, 1e308, lists, nulls), so every
value is checked here before it reaches the model. Invalid values fall back to the
lever's default, out-of-range values are clamped, off-step values snap to the step;
each correction comes back as a message the page shows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from dashboard.i18n import _, clean_lang
from flywheel import InputError, Lever, LeverTable, load_levers
from flywheel.baselines import CALIBRATED_DIR, DEFAULT_BASELINE, baseline_names
from flywheel.levers import parse_number
from flywheel.paths import MODEL_FILE
from flywheel.scenarios import MAX_SCENARIO_BYTES, parse_scenario

MAX_QUERY_LENGTH = 4000


def clean_value(lever: Lever, value: object) -> tuple[float, str | None]:
    """Return a usable value for ``lever`` and a message if ``value`` had to be corrected.

    Examples
    --------
    >>> lever = load_levers().get("public_investment")
    >>> clean_value(lever, "abc")
    (2.0, "Public digital investment: 'abc' is not a number; reset to 2")
    >>> clean_value(lever, 1e308)
    (15.0, 'Public digital investment: 1e+308 is above 15; set to 15')
    """
    try:
        number = parse_number(value)
    except ValueError:
        shown = repr(value) if not isinstance(value, float) else f"{value}"
        return lever.default, _("{lever}: {value} is not a number; reset to {default}").format(
            lever=_(lever.label), value=shown[:40], default=f"{lever.default:g}"
        )
    if number < lever.min:
        return lever.min, _("{lever}: {value} is below {limit}; set to {limit}").format(
            lever=_(lever.label), value=f"{number:g}", limit=f"{lever.min:g}"
        )
    if number > lever.max:
        return lever.max, _("{lever}: {value} is above {limit}; set to {limit}").format(
            lever=_(lever.label), value=f"{number:g}", limit=f"{lever.max:g}"
        )
    steps = (number - lever.min) / lever.step
    if lever.kind in ("integer", "switch") and not number.is_integer():
        snapped = float(round(number))
        return snapped, _("{lever}: {value} must be a whole number; set to {snapped}").format(
            lever=_(lever.label), value=f"{number:g}", snapped=f"{snapped:g}"
        )
    if not math.isclose(steps, round(steps), abs_tol=1e-6):
        snapped = min(round(lever.min + round(steps) * lever.step, 10), lever.max)
        return snapped, _("{lever}: {value} is off the slider's step; set to {snapped}").format(
            lever=_(lever.label), value=f"{number:g}", snapped=f"{snapped:g}"
        )
    return number, None


def typed_value(lever: Lever, text: object, current: float) -> tuple[float, str | None]:
    """A value typed for ``lever``: ``(value, None)``, or ``(current, why not)``.

    Unlike :func:`clean_value`, nothing is clamped: an entry outside the range is refused
    and the lever keeps ``current``; an entry between steps snaps to the nearest step.

    Examples
    --------
    >>> lever = load_levers().get("public_investment")
    >>> typed_value(lever, "99", 9.0)
    (9.0, 'Public digital investment: 99 is outside 0 to 15 % of fiscal revenue; kept 9')
    >>> typed_value(lever, " 12 ", 9.0)
    (12.0, None)
    """
    bounds = {"low": f"{lever.min:g}", "high": f"{lever.max:g}"}
    allowed = (
        _("{low} to {high} {unit}").format(**bounds, unit=_(lever.unit))
        if lever.unit
        else _("{low} to {high}").format(**bounds)
    )
    raw = str(text).strip()[:24] if isinstance(text, (str, int, float)) else ""
    try:
        number = parse_number(raw)
    except ValueError:
        shown = repr(raw) if raw else _("an empty box")
        return current, _("{lever}: {value} is not a number; type {allowed}; kept {kept}").format(
            lever=_(lever.label), value=shown, allowed=allowed, kept=f"{current:g}"
        )
    if not lever.min <= number <= lever.max:
        return current, _("{lever}: {value} is outside {allowed}; kept {kept}").format(
            lever=_(lever.label), value=f"{number:g}", allowed=allowed, kept=f"{current:g}"
        )
    value, _unused = clean_value(lever, number)  # a whole number or the nearest step
    return value, None


def clean_levers(
    ids: object, values: object, table: LeverTable | None = None
) -> tuple[dict[str, float], list[str]]:
    """Lever key -> value for every lever, from pattern-matching slider ids and values.

    Unknown ids are ignored (with a message); levers missing from the input keep their
    default. ``ids`` and ``values`` may be anything a browser can post.
    """
    table = table or load_levers()
    if not isinstance(ids, list) or not isinstance(values, list) or len(ids) != len(values):
        return table.defaults(), [_("The page sent malformed slider values; showing the defaults.")]
    pairs = [
        (item.get("key") if isinstance(item, dict) else None, value)
        for item, value in zip(ids, values, strict=True)
    ]
    return _clean_pairs(
        pairs,
        table,
        lambda key: _("Ignored an unknown slider {key}.").format(key=repr(str(key)[:40])),
    )


def clean_lever_dict(
    data: object, table: LeverTable | None = None
) -> tuple[dict[str, float], list[str]]:
    """Levers from a stored ``{lever: value}`` dict (a browser store); anything else: the defaults."""
    table = table or load_levers()
    if not isinstance(data, dict):
        return table.defaults(), []
    return _clean_pairs(
        data.items(),
        table,
        lambda key: _("Ignored an unknown lever {key}.").format(key=repr(str(key)[:40])),
    )


def _clean_pairs(pairs, table: LeverTable, unknown) -> tuple[dict[str, float], list[str]]:
    """All levers (defaults where not given) and messages, from (lever name, value) pairs."""
    levers, messages = table.defaults(), []
    for key, value in pairs:
        try:
            lever = table.get(str(key))
        except InputError:
            messages.append(unknown(key))
            continue
        levers[lever.key], message = clean_value(lever, value)
        if message:
            messages.append(message)
    return levers, messages


def changed_levers(levers: dict[str, float], table: LeverTable | None = None) -> dict[str, float]:
    """Only the levers that differ from their defaults."""
    table = table or load_levers()
    return {key: value for key, value in levers.items() if value != table.get(key).default}


#: The region a page shows when the address names none (the default baseline).
DEFAULT_REGION = DEFAULT_BASELINE


def regions() -> list[str]:
    """Regions the dashboard can show: the calibrated baselines shipped or saved."""
    return baseline_names() or [DEFAULT_REGION]


def clean_region(value: object) -> str:
    """A known region name (lower case), or the default one for anything else.

    Examples
    --------
    >>> clean_region("DEU"), clean_region("../etc"), clean_region(None)
    ('deu', 'china', 'china')
    """
    if isinstance(value, str) and value.strip().lower() in regions():
        return value.strip().lower()
    return DEFAULT_REGION


def region_from_query(search: object) -> str:
    """The region named by ``?region=...`` in a URL query string (the default if none)."""
    if not isinstance(search, str) or len(search) > MAX_QUERY_LENGTH:
        return DEFAULT_REGION
    for key, value in parse_qsl(search.lstrip("?")):
        if key == "region":
            return clean_region(value)
    return DEFAULT_REGION


#: Query keys that are not levers: the region, the model version, the charts picked.
NOT_LEVERS = ("region", "v", "charts", "lang")
#: Charts on the Explore page.
CHART_COUNT = 4


@lru_cache(maxsize=1)
def model_version() -> str:
    """A short hash of the model file and its default calibration (China's baseline).

    A shared link carries it (``v=``), so a link opened under another version can say
    that its numbers may differ.
    """
    digest = hashlib.sha256(MODEL_FILE.read_bytes())
    default = CALIBRATED_DIR / f"{DEFAULT_REGION}.json"
    if default.is_file():
        digest.update(default.read_bytes())
    return digest.hexdigest()[:8]


def clean_picks(picks: object) -> list[str]:
    """The Explore charts' variables (python names), any junk replaced by the default.

    >>> from dashboard.figures import default_picks
    >>> clean_picks(["no such output", None]) == list(default_picks())
    True
    """
    from dashboard.figures import chart_menu, default_picks

    menu, default = chart_menu(), default_picks()
    given = picks if isinstance(picks, (list, tuple)) else []
    return [
        given[i]
        if i < len(given) and isinstance(given[i], str) and given[i] in menu
        else default[i]
        for i in range(CHART_COUNT)
    ]


def picks_from_query(search: object) -> tuple[list[str], list[str]]:
    """The charts named by ``?charts=a,b,c,d`` (default ones where absent) and messages."""
    from dashboard.figures import chart_menu

    text = search.get("charts") if isinstance(search, dict) else None
    if isinstance(search, str) and len(search) <= MAX_QUERY_LENGTH:
        text = dict(parse_qsl(search.lstrip("?"))).get("charts")
    if not isinstance(text, str) or not text:
        return clean_picks(None), []
    names = text.split(",")[:CHART_COUNT]
    unknown = [name[:40] for name in names if name not in chart_menu()]
    messages = (
        [
            _("The link names unknown charts ({names}); default ones shown.").format(
                names=", ".join(unknown)
            )
        ]
        if unknown
        else []
    )
    return clean_picks(names), messages


def to_query(
    levers: dict[str, float],
    region: str = DEFAULT_REGION,
    picks: object = None,
    lang: object = None,
) -> str:
    """URL query string of a scenario: region, levers, charts, version, language.

    The region, charts and language appear unless they are the default ones; the levers
    appear when they differ from their defaults.

    Examples
    --------
    >>> to_query({**load_levers().defaults(), "public_investment": 6.0}).startswith(
    ...     "?public_investment=6&v=")
    True
    >>> to_query(load_levers().defaults(), "deu") == f"?region=deu&v={model_version()}"
    True
    >>> to_query(load_levers().defaults())
    ''
    >>> to_query(load_levers().defaults(), lang="zh")
    '?lang=zh'
    """
    pairs = {} if region == DEFAULT_REGION else {"region": region}
    pairs.update({key: f"{value:g}" for key, value in changed_levers(levers).items()})
    if picks is not None:
        from dashboard.figures import default_picks

        chosen = clean_picks(picks)
        if tuple(chosen) != default_picks():
            pairs["charts"] = ",".join(chosen)
    if pairs:
        pairs["v"] = model_version()
    if clean_lang(lang) != "en":
        pairs["lang"] = clean_lang(lang)
    return "?" + urlencode(pairs) if pairs else ""


def version_message(search: object) -> str | None:
    """What to say when a link was made with another model version (else None)."""
    if not isinstance(search, str) or len(search) > MAX_QUERY_LENGTH:
        return None
    for key, value in parse_qsl(search.lstrip("?")):
        if key == "v" and value != model_version():
            return _(
                "This link was made with another version of the model ({theirs}; this is "
                "{ours}): the levers are the same, the numbers may differ."
            ).format(theirs=value[:12], ours=model_version())
    return None


def from_query(search: object) -> tuple[dict[str, float], list[str]]:
    """Levers (all of them) and messages from a URL query string such as ``?rd_intensity=5``."""
    table = load_levers()
    levers = table.defaults()
    if not isinstance(search, str) or not search.strip("?"):
        return levers, []
    if len(search) > MAX_QUERY_LENGTH:
        return levers, [_("The link is too long to be a scenario; showing the defaults.")]
    pairs = [
        (key, value)
        for key, value in parse_qsl(search.lstrip("?"), keep_blank_values=True)
        if key not in NOT_LEVERS  # the region selector reads the region
    ]
    levers, messages = _clean_pairs(
        pairs,
        table,
        lambda key: _("The link names an unknown lever {key}; ignored.").format(key=repr(key[:40])),
    )
    version = version_message(search)
    return levers, messages + ([version] if version else [])


def from_page_query(query: dict) -> tuple[dict[str, float], list[str]]:
    """Levers and messages from the query a page's layout receives (``?a=1`` as ``a="1"``)."""
    pairs = [(str(k), v) for k, v in query.items() if isinstance(v, str)] if query else []
    return from_query("?" + urlencode(pairs)) if pairs else from_query("")


def from_upload(contents: object, filename: object) -> dict[str, float]:
    """Levers from an uploaded scenario JSON (a ``data:`` URL as dcc.Upload gives it).

    Raises
    ------
    InputError
        With a message naming the file, line and field.
    """
    name = str(filename or "scenario.json")[:80]
    if not isinstance(contents, str) or "," not in contents:
        raise InputError(_("{file}: could not read the file").format(file=name))
    encoded = contents.split(",", 1)[1]
    if len(encoded) > MAX_SCENARIO_BYTES * 4 // 3 + 4:
        raise InputError(
            _("{file}: file is larger than {size} kB").format(
                file=name, size=MAX_SCENARIO_BYTES // 1000
            )
        )
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8-sig")
    except (binascii.Error, ValueError):
        raise InputError(_("{file}: not a UTF-8 text file").format(file=name)) from None
    scenario = parse_scenario(text, name)
    return {**load_levers().defaults(), **scenario.levers}
