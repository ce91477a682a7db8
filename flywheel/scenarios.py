"""Scenarios: named sets of lever values, stored as JSON presets in ``models/scenarios/``.

A scenario file looks like::

    {
      "title": "Government-led",
      "description": "...",
      "levers": {"public_investment": 6, "policy_dividend": 1.5}
    }

Levers not named keep their default (historical) values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flywheel.errors import InputError
from flywheel.jsontext import parse_json
from flywheel.levers import LeverTable, load_levers
from flywheel.paths import SCENARIOS_DIR

MAX_SCENARIO_BYTES = 100_000
FIELDS = ("name", "title", "description", "levers")


@dataclass(frozen=True)
class Scenario:
    """A named set of validated lever values (lever key -> value)."""

    name: str = "baseline"
    levers: Mapping[str, float] = field(default_factory=dict)
    title: str = ""
    description: str = ""

    @classmethod
    def from_levers(
        cls, levers: Mapping[str, object], name: str = "custom", table: LeverTable | None = None
    ) -> Scenario:
        """Build a scenario from lever names (key or model name) and values, validating each.

        Examples
        --------
        >>> Scenario.from_levers({"Public digital investment": "6"}).levers
        {'public_investment': 6.0}
        """
        table = table or load_levers()
        values = {}
        for name_, value in levers.items():
            lever = table.get(name_)
            values[lever.key] = lever.validate(value)
        return cls(name=name, levers=values, title=name)

    def with_levers(self, levers: Mapping[str, object]) -> Scenario:
        """A copy with some levers changed (validated)."""
        updated = Scenario.from_levers({**self.levers, **levers}, name=self.name)
        return Scenario(self.name, updated.levers, self.title, self.description)

    def to_dict(self) -> dict:
        """The scenario as the JSON structure of a scenario file."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "levers": dict(self.levers),
        }


def preset_names() -> list[str]:
    """Names of the shipped scenario presets."""
    return sorted(path.stem for path in SCENARIOS_DIR.glob("*.json"))


def _line_of(text: str, key: str) -> int:
    match = re.search(r'"' + re.escape(key) + r'"\s*:', text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def parse_scenario(
    text: str, source: str, name: str = "custom", table: LeverTable | None = None
) -> Scenario:
    """Parse the JSON text of a scenario file, naming ``source`` and the line of any problem.

    Raises
    ------
    InputError
        Malformed JSON, unknown fields or levers, values that are not numbers or are
        out of range.
    """
    table = table or load_levers()
    if len(text.encode("utf-8")) > MAX_SCENARIO_BYTES:
        raise InputError(f"{source}: file is larger than {MAX_SCENARIO_BYTES // 1000} kB")
    data = parse_json(text, source)
    if not isinstance(data, dict):
        raise InputError(
            f"{source}, line 1: a scenario must be a JSON object with a 'levers' object"
        )
    unknown = [key for key in data if key not in FIELDS]
    if unknown:
        raise InputError(
            f"{source}, line {_line_of(text, unknown[0])}: unknown field '{unknown[0]}'; "
            f"allowed fields: {', '.join(FIELDS)}"
        )
    levers = data.get("levers", {})
    if not isinstance(levers, dict):
        raise InputError(
            f"{source}, line {_line_of(text, 'levers')}: 'levers' must be an object of lever: value"
        )
    for key in ("name", "title", "description"):
        if not isinstance(data.get(key, ""), str):
            raise InputError(f"{source}, line {_line_of(text, key)}: '{key}' must be text")
    values = {}
    for key, value in levers.items():
        where = f"{source}, line {_line_of(text, key)}: "
        lever = table.get(key, where)
        values[lever.key] = lever.validate(value, where)
    return Scenario(
        name=data.get("name") or name,
        levers=values,
        title=data.get("title") or name,
        description=data.get("description", ""),
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a preset by name, or a scenario JSON file by path.

    Examples
    --------
    >>> load_scenario("government-led").levers["public_investment"]
    6.0
    """
    text = str(name_or_path)
    preset = SCENARIOS_DIR / f"{text}.json"
    path = preset if text in preset_names() else Path(text)
    if not path.is_file():
        raise InputError(
            f"no scenario '{text}': not a preset ({', '.join(preset_names())}) and no such file"
        )
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    return parse_scenario(content, str(path), name=path.stem)
