"""JSON text from users, parsed safely: size and nesting are checked before parsing.

Python's JSON decoder recurses once per nesting level, so a body such as ``[[[[…]]]]``
100,000 levels deep ends in ``RecursionError`` deep inside the decoder (and anything
that walks the parsed value recurses again). Nothing this project reads nests deeper
than a handful of levels, so depth is measured first, without recursion, and text
nested deeper than :data:`MAX_DEPTH` is refused with a message naming the source.
"""

from __future__ import annotations

import json
import re

import numpy as np

from flywheel.errors import InputError

#: Deepest nesting accepted in any JSON a user or a browser sends (a scenario file nests
#: 2 levels, a dashboard callback request about 6).
MAX_DEPTH = 64

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_STEP = np.zeros(256, dtype=np.int64)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1


def nesting_depth(text: str | bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON text, strings ignored (no recursion).

    Examples
    --------
    >>> nesting_depth('{"a": [1, [2]], "b": "[[[["}')
    3
    >>> nesting_depth(b"[" * 100_000)
    100000
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if not data:
        return 0
    stripped = _STRING.sub(b'""', data)
    steps = _STEP[np.frombuffer(stripped, dtype=np.uint8)]
    return int(max(np.cumsum(steps).max(), 0))


def parse_json(text: str | bytes, source: str, max_depth: int = MAX_DEPTH):
    """Parse JSON text, or raise ``InputError`` naming ``source`` and where the problem is.

    Raises
    ------
    InputError
        Text that is not JSON (with line and column), or that nests deeper than
        ``max_depth`` levels.

    Examples
    --------
    >>> parse_json('{"levers": {}}', "scenario.json")
    {'levers': {}}
    >>> parse_json("[" * 100 + "]" * 100, "body")
    Traceback (most recent call last):
    ...
    flywheel.errors.InputError: body: nested 100 levels deep; at most 64 are allowed
    """
    depth = nesting_depth(text)
    if depth > max_depth:
        raise InputError(f"{source}: nested {depth} levels deep; at most {max_depth} are allowed")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{source}, line {error.lineno}, column {error.colno}: not valid JSON ({error.msg})"
        ) from None
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text") from None
    except RecursionError:  # cannot happen below MAX_DEPTH; kept as the last line of defence
        raise InputError(f"{source}: nested too deeply") from None
