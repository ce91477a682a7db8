"""The guided story a facilitator clicks through on Explore (``models/story.json``).

Each step sets the levers (the rest at their defaults) and the four charts, and says
what to look at. The steps are data: a facilitator can reorder or rewrite them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flywheel import InputError, load_levers
from flywheel.jsontext import parse_json
from flywheel.paths import MODELS_DIR

STORY_FILE = MODELS_DIR / "story.json"


@dataclass(frozen=True)
class Step:
    """One step: its title, what it says, what to look at, its levers and charts."""

    title: str
    text: str
    look_at: str
    levers: dict[str, float]
    charts: tuple[str, ...]


@lru_cache(maxsize=1)
def load_story() -> tuple[Step, ...]:
    """The story's steps, checked: known levers within their ranges, known charts.

    >>> [step.title for step in load_story()][:2]
    ['Three main lines', 'The flywheel and its links']
    """
    from dashboard.figures import chart_menu

    data = parse_json(STORY_FILE.read_text(encoding="utf-8"), str(STORY_FILE))
    table, menu, steps = load_levers(), chart_menu(), []
    for number, raw in enumerate(data.get("steps", []), start=1):
        where = f"{STORY_FILE}, step {number}"
        levers = {}
        for key, value in raw.get("levers", {}).items():
            lever = table.get(key)
            if not lever.min <= float(value) <= lever.max:
                raise InputError(
                    f"{where}: {key} = {value} is outside {lever.min:g} to {lever.max:g}"
                )
            levers[key] = float(value)
        charts = tuple(raw.get("charts", ()))
        unknown = [chart for chart in charts if chart not in menu]
        if unknown or len(charts) != 4:
            raise InputError(f"{where}: needs four known charts (unknown: {', '.join(unknown)})")
        steps.append(Step(raw["title"], raw["text"], raw["look_at"], levers, charts))
    return tuple(steps)
