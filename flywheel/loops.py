"""The named feedback loops of the model (``models/loops.csv``) and their link structure."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flywheel.paths import LOOPS_FILE


@dataclass(frozen=True)
class Loop:
    """A named loop: its code (R1..B5), polarity and the variables it passes through.

    ``paths`` holds one or more closed chains of model variables (B3 groups three
    obsolescence loops); each chain starts and ends with the same variable.
    """

    code: str
    name: str
    polarity: str
    paths: tuple[tuple[str, ...], ...]
    story: str

    @property
    def variables(self) -> list[str]:
        """Every variable on the loop, once, in path order."""
        seen: list[str] = []
        for path in self.paths:
            seen += [name for name in path if name not in seen]
        return seen


@cache
def load_loops(path: Path = LOOPS_FILE) -> tuple[Loop, ...]:
    """The named loops of the model.

    Examples
    --------
    >>> [loop.code for loop in load_loops()][:3]
    ['R1', 'R2', 'R3']
    """
    loops = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            paths = tuple(
                tuple(name.strip() for name in chain.split(">")) for chain in row["path"].split("|")
            )
            loops.append(Loop(row["code"], row["name"], row["polarity"], paths, row["story"]))
    return tuple(loops)


def direct_inputs(dependencies: dict, py_name: str) -> set[str]:
    """Python names a variable's equation uses directly (a stock: its flows)."""
    inputs: set[str] = set()
    for dependency in dependencies.get(py_name, {}):
        if dependency.startswith("_"):  # a stateful object: what drives its change
            inputs.update(dependencies[dependency].get("step", {}))
        elif dependency != "time":
            inputs.add(dependency)
    return inputs
