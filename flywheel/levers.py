"""The lever table: slider metadata keyed by model variable, and validation of lever values.

One table (``models/levers.csv``) drives the command line's ``--set``, the scenario files,
the behaviour-check matrix and the dashboard sliders.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flywheel.batch import Gate
from flywheel.errors import InputError, ModelError
from flywheel.model import engine
from flywheel.paths import LEVERS_FILE

COLUMNS = ("key", "name", "label", "unit", "min", "max", "default", "step", "kind", "group", "help")
KINDS = ("number", "integer", "switch")


def parse_number(value: object) -> float:
    """Turn a user's value into a finite float, or raise ``ValueError``.

    Accepts ints, floats and numeric strings; refuses booleans, NaN, infinities,
    lists and anything else.

    Examples
    --------
    >>> parse_number("2.5")
    2.5
    >>> parse_number(True)
    Traceback (most recent call last):
    ...
    ValueError: not a number
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("not a number")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError("not a number") from None
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _fmt(number: float) -> str:
    return f"{number:g}"


@dataclass(frozen=True)
class Lever:
    """One slider: a model constant with its label, unit, range, default and step."""

    key: str
    name: str
    label: str
    unit: str
    min: float
    max: float
    default: float
    step: float
    kind: str
    group: str
    help: str

    @property
    def range_text(self) -> str:
        """The allowed values, as a user reads them."""
        if self.kind == "switch":
            return "0 (off) or 1 (on)"
        whole = " (whole numbers)" if self.kind == "integer" else ""
        return f"{_fmt(self.min)} to {_fmt(self.max)} {self.unit}{whole}"

    def validate(self, value: object, where: str = "") -> float:
        """Return ``value`` as a float inside the lever's range, or raise ``InputError``.

        Parameters
        ----------
        value : object
            What the user gave (number or text).
        where : str
            Prefix naming the file and line, e.g. ``"plan.json, line 4: "``.

        Examples
        --------
        >>> lever = load_levers().get("public_investment")
        >>> lever.validate("4")
        4.0
        """
        try:
            number = parse_number(value)
        except ValueError as error:
            raise InputError(
                f"{where}lever '{self.key}' ({self.label}): {value!r} is {error}; "
                f"allowed: {self.range_text}"
            ) from None
        if not self.min <= number <= self.max:
            raise InputError(
                f"{where}lever '{self.key}' ({self.label}): {_fmt(number)} is out of range; "
                f"allowed: {self.range_text}"
            )
        if self.kind in ("integer", "switch") and not number.is_integer():
            raise InputError(
                f"{where}lever '{self.key}' ({self.label}): {_fmt(number)} is not a whole number; "
                f"allowed: {self.range_text}"
            )
        return number


class LeverTable:
    """All levers, looked up by key, model name or pysd name (case-insensitive)."""

    def __init__(self, levers: list[Lever]):
        self.levers = tuple(levers)
        self._lookup: dict[str, Lever] = {}
        for lever in self.levers:
            for alias in (lever.key, lever.name, lever.name.replace(" ", "_")):
                self._lookup[alias.lower()] = lever

    def __iter__(self) -> Iterator[Lever]:
        return iter(self.levers)

    def __len__(self) -> int:
        return len(self.levers)

    def keys(self) -> list[str]:
        """Lever keys in table order."""
        return [lever.key for lever in self.levers]

    def get(self, name: str, where: str = "") -> Lever:
        """Find a lever by key or model name, or raise ``InputError`` listing the known keys."""
        lever = self._lookup.get(str(name).strip().lower())
        if lever is None:
            raise InputError(
                f"{where}unknown lever '{name}'; known levers: {', '.join(self.keys())}"
            )
        return lever

    def defaults(self) -> dict[str, float]:
        """Lever key -> default value."""
        return {lever.key: lever.default for lever in self.levers}

    def model_params(self, values: Mapping[str, float]) -> dict[str, float]:
        """Model constant name -> value for every lever: ``values`` over the defaults."""
        params = {lever.name: lever.default for lever in self.levers}
        for key, value in values.items():
            lever = self.get(key)
            params[lever.name] = lever.validate(value)
        return params

    def check_against_model(self, variables: Mapping, defaults: Mapping[str, float]) -> None:
        """Raise ``ModelError`` unless every lever fits the model.

        Each lever must be a constant of the model, its range must lie inside the
        model's own ``[min,max]`` and its default must equal the model's value.
        """
        problems = []
        for lever in self.levers:
            variable = variables.get(lever.name)
            if variable is None:
                problems.append(f"lever '{lever.key}': the model has no variable '{lever.name}'")
                continue
            if not variable.is_constant:
                problems.append(f"lever '{lever.key}': '{lever.name}' is not a constant")
                continue
            low, high = variable.limits
            if low is None or high is None or lever.min < low or lever.max > high:
                problems.append(
                    f"lever '{lever.key}': range {_fmt(lever.min)}..{_fmt(lever.max)} is not "
                    f"inside the model's [{low},{high}]"
                )
            if defaults[lever.name] != lever.default:
                problems.append(
                    f"lever '{lever.key}': default {_fmt(lever.default)} differs from the "
                    f"model's value {_fmt(defaults[lever.name])}"
                )
        if problems:
            raise ModelError("lever table disagrees with the model: " + "; ".join(problems))


def read_lever_table(path: Path) -> LeverTable:
    """Read and validate a lever table CSV (each problem names its line)."""
    levers = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ModelError(f"{path}, line 1: columns must be {', '.join(COLUMNS)}")
        for row in reader:
            where = f"{path}, line {reader.line_num}"
            try:
                numbers = {
                    field: parse_number(row[field]) for field in ("min", "max", "default", "step")
                }
            except ValueError as error:
                raise ModelError(
                    f"{where}: min, max, default and step must be numbers ({error})"
                ) from None
            if row["kind"] not in KINDS:
                raise ModelError(f"{where}: kind must be one of {', '.join(KINDS)}")
            lever = Lever(**{**row, **numbers})
            if not lever.min <= lever.default <= lever.max or lever.step <= 0:
                raise ModelError(f"{where}: default must lie in [min,max] and step be positive")
            levers.append(lever)
    keys = [lever.key for lever in levers]
    if len(set(keys)) != len(keys):
        raise ModelError(f"{path}: lever keys must be unique")
    return LeverTable(levers)


@cache
def load_levers(path: Path = LEVERS_FILE) -> LeverTable:
    """The project's lever table, checked against the model on first use.

    Examples
    --------
    >>> table = load_levers()
    >>> table.get("Public digital investment").key
    'public_investment'
    """
    table = read_lever_table(path)
    model = engine()
    table.check_against_model(model.variables, model.defaults)
    return table


#: Lever groups that are not policy: when levers act, facilitator experiments, what-ifs.
NOT_POLICY = ("Timing", "Links", "Shock")


def policy_levers() -> list[Lever]:
    """Levers a policymaker sets (not timing, links or the shock).

    Examples
    --------
    >>> "policy_start_year" in [lever.key for lever in policy_levers()]
    False
    """
    return [lever for lever in load_levers() if lever.group not in NOT_POLICY]


#: The constant before whose value no lever acts: every lever goes through the policy
#: phase, which is 0 until the policy start year (the future shock is never earlier).
START_CONSTANT = "Policy start year"


@cache
def lever_gate() -> Gate:
    """The levers as a batch engine ``Gate``: they change nothing before the start year.

    Every batch run with it integrates the stretch before its earliest start year once
    per set of other constants and reuses it (``tests/flywheel/test_batch.py`` checks
    that each lever, at each end of its range, leaves every variable before the start
    year exactly as it was).

    Examples
    --------
    >>> gate = lever_gate()
    >>> gate.time, "Public digital investment" in gate.constants
    ('Policy start year', True)
    """
    return Gate(frozenset(lever.name for lever in load_levers()), START_CONSTANT)
