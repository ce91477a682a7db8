"""Read a user's observation CSV into a clean year -> value table, or say exactly what is wrong.

Expected layout (``unit``, ``source`` and, for multi-country files, ``iso3`` optional)::

    year,value,unit,source
    2010,0.47,index 0-1,un_egdi

Every problem raises :class:`DataError` naming the file, the line and the column. Nothing
is silently dropped, filled or interpolated: a year without an observation is simply
absent from the file.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from flywheel.errors import InputError

MAX_BYTES = 5_000_000
REQUIRED = ("year", "value")
OPTIONAL = ("unit", "source", "iso3", "note")
HORIZON = (2005, 2050)
_MISSING = {"na", "n/a", "nan", "null", "none", "-", "--", "..", "missing"}


class DataError(InputError):
    """A problem in an observation file, located by file, line and column."""


@dataclass(frozen=True)
class Observations:
    """One observed series: year -> value (float), with where it came from."""

    name: str
    values: pd.Series
    unit: str
    path: str


def cell_number(text: str, where: str, column: str) -> float:
    """The number in one CSV cell, or a ``DataError`` that says how to write it."""
    raw = text.strip()
    lowered = raw.lower()
    if raw == "":
        raise DataError(
            f"{where}, column '{column}': empty cell (remove the row: nothing is filled in)"
        )
    if lowered in _MISSING:
        raise DataError(
            f"{where}, column '{column}': missing value {raw!r} (remove the row instead)"
        )
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", raw):
        raise DataError(
            f"{where}, column '{column}': {raw!r} has a thousands separator; write {raw.replace(',', '')}"
        )
    if re.fullmatch(r"[+-]?\d+,\d+", raw):
        raise DataError(
            f"{where}, column '{column}': {raw!r} has a decimal comma; write {raw.replace(',', '.')}"
        )
    try:
        number = float(raw)
    except ValueError:
        raise DataError(f"{where}, column '{column}': {raw[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise DataError(f"{where}, column '{column}': {raw!r} is not a finite number")
    return number


def read_utf8(path: Path) -> str:
    """A user's text file (at most ``MAX_BYTES``), or a ``DataError`` naming the bad line."""
    if path.stat().st_size > MAX_BYTES:
        raise DataError(f"{path}: the file is larger than {MAX_BYTES // 1_000_000} MB")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: not UTF-8 text (save the file as UTF-8)") from None


def read_observations(
    path: str | Path,
    value_range: tuple[float | None, float | None] = (None, None),
    iso3: str | None = None,
    name: str | None = None,
) -> Observations:
    """Validate and read an observation CSV.

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8, with or without BOM).
    value_range : (low, high)
        Allowed values (None: unbounded on that side).
    iso3 : str, optional
        For multi-country files (with an ``iso3`` column): the country to keep.
    name : str, optional
        Name of the series (the file's stem if omitted).

    Returns
    -------
    Observations
        Years sorted ascending, one float per year.

    Raises
    ------
    DataError
        Naming the file, line and column of the first problem.

    Examples
    --------
    >>> from calibration.series import DATA_DIR
    >>> obs = read_observations(DATA_DIR / "china_egdi.csv", (0, 1))
    >>> int(obs.values.index[0]), float(obs.values.iloc[0])
    (2010, 0.46998)
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise DataError(f"{label}: no such file")
    if path.stat().st_size == 0:
        raise DataError(f"{label}: the file is empty")
    text = read_utf8(path)
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise DataError(f"{label}, line 1: no header; expected columns year,value")
    header = [cell.strip().lower() for cell in header]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise DataError(
            f"{label}, line 1: missing column(s) {', '.join(missing)}; header is {','.join(header)}"
        )
    extra = [column for column in header if column not in REQUIRED + OPTIONAL]
    if extra:
        raise DataError(
            f"{label}, line 1: unexpected column(s) {', '.join(extra)}; "
            f"allowed: {', '.join(REQUIRED + OPTIONAL)}"
        )
    if len(set(header)) != len(header):
        raise DataError(f"{label}, line 1: a column name appears twice")
    if iso3 is not None and "iso3" not in header:
        raise DataError(f"{label}, line 1: no iso3 column to select country {iso3}")
    low, high = value_range
    years: dict[int, int] = {}
    values, units = [], set()
    previous = None
    for row in reader:
        line = reader.line_num
        where = f"{label}, line {line}"
        if not any(cell.strip() for cell in row):
            raise DataError(f"{where}: empty line")
        if len(row) != len(header):
            raise DataError(
                f"{where}: {len(row)} cells for {len(header)} columns "
                "(a comma inside a number? quote text that contains commas)"
            )
        record = dict(zip(header, row, strict=True))
        if iso3 is not None and record["iso3"].strip().upper() != iso3.upper():
            continue
        year_number = cell_number(record["year"], where, "year")
        if not year_number.is_integer():
            raise DataError(f"{where}, column 'year': {record['year']!r} is not a whole year")
        year = int(year_number)
        if not HORIZON[0] <= year <= HORIZON[1]:
            raise DataError(
                f"{where}, column 'year': {year} is outside the model's years {HORIZON[0]}-{HORIZON[1]}"
            )
        if year in years:
            raise DataError(
                f"{where}, column 'year': {year} appears twice (also line {years[year]})"
            )
        if previous is not None and year < previous:
            raise DataError(
                f"{where}, column 'year': {year} comes after {previous}; sort the rows by year"
            )
        value = cell_number(record["value"], where, "value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise DataError(
                f"{where}, column 'value': {value:g} is outside the allowed range "
                f"{'-inf' if low is None else f'{low:g}'} to {'inf' if high is None else f'{high:g}'}"
            )
        years[year] = line
        previous = year
        values.append(value)
        units.add(record.get("unit", "").strip())
    if not values:
        what = f" for {iso3}" if iso3 else ""
        raise DataError(f"{label}: no observations{what}")
    if len(units) > 1:
        raise DataError(f"{label}: the unit changes within the file ({', '.join(sorted(units))})")
    series = pd.Series(values, index=pd.Index(list(years), name="year"), dtype=float)
    return Observations(name or path.stem, series, units.pop(), label)
