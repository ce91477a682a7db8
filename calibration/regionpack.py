"""A region of your own: a folder of observed series packaged as a Frictionless data package.

A region folder holds one CSV per series (columns ``year,value`` and an optional
``source``) and a ``datapackage.json`` that describes them the way open statistical
data is published (Frictionless Data Package, a Table Schema per file): each resource
names its file, its ``unit`` and its ``sources``; the package's ``title`` names the
region and its ``region`` object names the currency. ``flywheel region template DIR``
writes the folder with empty files; ``flywheel calibrate --data DIR --name NAME`` fits it.

The data are checked by the ``frictionless`` library against the schemas below (the
user's descriptor supplies the units, sources and region facts, never the rules), and
every problem comes back as one line naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import frictionless
import pandas as pd

from calibration.country import CURRENCIES, RegionData, bundled_series
from calibration.loader import HORIZON, DataError, cell_number, read_utf8
from flywheel.errors import InputError
from flywheel.files import slug, write_text
from flywheel.jsontext import parse_json

DESCRIPTOR = "datapackage.json"
COLUMNS = ("year", "value", "source")
_MONEY = {"": 1.0, "thousand ": 1e3, "million ": 1e6, "hundred million ": 1e8}
_MONEY |= {"billion ": 1e9, "trillion ": 1e12}


@dataclass(frozen=True)
class Spec:
    """One series a region folder may hold: its file, meaning, units and rules."""

    name: str
    file: str
    title: str
    description: str
    units: dict[str, float]  # unit -> factor to the model's unit
    required: bool
    minimum: float | None = 0.0
    maximum: float | None = None  # in the model's unit
    needs_2005: bool = False


SPECS = (
    Spec(
        "population",
        "population.csv",
        "Population",
        "People living in the region (mid-year or year-end), every year you have.",
        {"people": 1.0, "thousand people": 1e3, "ten thousand people": 1e4, "million people": 1e6},
        required=True,
        needs_2005=True,
    ),
    Spec(
        "gdp_local",
        "gdp_local_currency.csv",
        "GDP at current prices, in the region's own currency",
        "Gross domestic (or regional) product at current prices, in the currency named in "
        "the package's region.currency.",
        {f"{scale}currency units": factor for scale, factor in _MONEY.items()},
        required=True,
        needs_2005=True,
    ),
    Spec(
        "gdp_usd",
        "gdp_usd.csv",
        "GDP at current prices, in US dollars",
        "Optional: the same GDP in current US dollars. Leave it empty and set "
        "region.currency_country to use that country's exchange rate instead.",
        {f"{scale}US dollars": factor for scale, factor in _MONEY.items()},
        required=False,
        needs_2005=True,
    ),
    Spec(
        "gdp_deflator",
        "gdp_deflator_inflation.csv",
        "GDP deflator, annual change",
        "Optional: the yearly change of the GDP deflator in percent. Without it, the "
        "currency country's deflator is used, or the growth of prices is fitted.",
        {"percent per year": 1.0},
        required=False,
        minimum=-100.0,
    ),
    Spec(
        "egov",
        "e_government.csv",
        "E-government index",
        "The UN E-Government Development Index or a regional e-government index.",
        {"index 0-1": 1.0, "index 0-100": 0.01},
        required=True,
        maximum=1.0,
    ),
    Spec(
        "internet",
        "internet_users.csv",
        "Internet users",
        "Share of the region's people using the internet.",
        {"percent of population": 1.0, "share 0-1": 100.0},
        required=True,
        maximum=100.0,
    ),
    Spec(
        "digital_share",
        "digital_economy_share.csv",
        "Digital economy, share of GDP",
        "Optional: value added of the digital economy as a percent of GDP.",
        {"percent of GDP": 1.0, "share 0-1": 100.0},
        required=False,
        maximum=100.0,
    ),
)
SPEC = {spec.name: spec for spec in SPECS}


def _schema(spec: Spec, unit: str, columns: tuple[str, ...]) -> dict:
    factor = spec.units[unit]
    value = {"minimum": spec.minimum} if spec.minimum is not None else {}
    if spec.maximum is not None:
        value["maximum"] = round(spec.maximum / factor, 12)
    fields = [
        {
            "name": "year",
            "type": "integer",
            "description": "Calendar year",
            "constraints": {"required": True, "minimum": HORIZON[0], "maximum": HORIZON[1]},
        },
        {
            "name": "value",
            "type": "number",
            "description": f"{spec.title}, in {unit}",
            "constraints": {"required": True, **value},
        },
        {"name": "source", "type": "string", "description": "Where the number comes from"},
    ]
    return {"fields": [f for f in fields if f["name"] in columns], "primaryKey": ["year"]}


def template_descriptor(title: str = "", currency: str = "", currency_country: str = "") -> dict:
    """The ``datapackage.json`` a new region folder starts with (every series, empty)."""
    return {
        "name": slug(title) or "my-region",
        "title": title or "My region",
        "description": "Observed series of one region for the Digital Flywheel model "
        "(flywheel calibrate --data THIS_FOLDER --name NAME).",
        "region": {
            "currency": currency,
            "currency_country": currency_country,
            "help": "currency: what the region's money is called (e.g. yuan). "
            "currency_country: the ISO3 code of the country whose currency it is (e.g. CHN): "
            "its exchange rate and deflator are used where this folder has none.",
        },
        "resources": [
            {
                "name": spec.name,
                "path": spec.file,
                "title": spec.title,
                "description": spec.description,
                "format": "csv",
                "encoding": "utf-8",
                "required": spec.required,
                "unit": next(iter(spec.units)),
                "allowed_units": list(spec.units),
                "sources": [{"title": "", "path": ""}],
                "schema": _schema(spec, next(iter(spec.units)), COLUMNS),
            }
            for spec in SPECS
        ],
    }


def write_template(
    folder: str | Path, title: str = "", currency: str = "", country: str = ""
) -> list[Path]:
    """Write an empty region folder: ``datapackage.json`` and one CSV per series.

    Existing files are never overwritten.
    """
    folder = Path(folder)
    targets = [folder / DESCRIPTOR] + [folder / spec.file for spec in SPECS]
    taken = [str(path) for path in targets if path.exists()]
    if taken:
        raise DataError(f"{taken[0]}: already exists (the template never overwrites a file)")
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = template_descriptor(title, currency, country)
    write_text(folder / DESCRIPTOR, json.dumps(descriptor, indent=1, ensure_ascii=False) + "\n")
    for spec in SPECS:
        write_text(folder / spec.file, ",".join(COLUMNS) + "\n")
    return targets


def _descriptor(folder: Path) -> dict:
    path = folder / DESCRIPTOR
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    if not path.is_file():
        raise DataError(
            f"{path}: no such file (a region folder is described by one; write a new folder "
            f"with: flywheel region template DIR)"
        )
    text = read_utf8(path)
    try:
        data = parse_json(text, str(path))
    except InputError as error:
        raise DataError(str(error)) from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: a data package is a JSON object with a 'resources' list")
    if not isinstance(data.get("resources"), list):
        raise DataError(f"{path}: 'resources' must be a list of the region's files")
    return data


def _resource_units(path: Path, data: dict) -> dict[str, str]:
    """Each named resource's unit, its file and name checked against the known series."""
    found = {}
    for number, resource in enumerate(data["resources"], start=1):
        where = f"{path}, resource {number}"
        if not isinstance(resource, dict):
            raise DataError(f"{where}: each resource must be an object")
        name = resource.get("name")
        if name not in SPEC:
            raise DataError(
                f"{where}: name {str(name)[:40]!r} is not a series of the model; "
                f"expected one of: {', '.join(SPEC)}"
            )
        spec = SPEC[name]
        where = f"{path}, resource '{name}'"
        if name in found:
            raise DataError(f"{where}: listed twice")
        file = resource.get("path", spec.file)
        if file != spec.file:
            raise DataError(
                f"{where}: path must be {spec.file!r} (a file in this folder), not {str(file)[:60]!r}"
            )
        unit = resource.get("unit", next(iter(spec.units)))
        if unit not in spec.units:
            raise DataError(
                f"{where}: unit {str(unit)[:40]!r} is not one of: {', '.join(spec.units)}"
            )
        found[name] = unit
    return found


def _header(path: Path) -> tuple[str, ...] | None:
    """The CSV's columns (``None`` for a file with no data rows: a series not given)."""
    rows = list(csv.reader(io.StringIO(read_utf8(path))))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise DataError(f"{path}, line 1: no header; expected columns year,value,source")
    header = tuple(cell.strip() for cell in rows[0])
    if header not in (COLUMNS, COLUMNS[:2]):
        raise DataError(
            f"{path}, line 1: header is {','.join(header)[:80]}; expected year,value,source "
            "(source may be left out)"
        )
    if not any(any(cell.strip() for cell in row) for row in rows[1:]):
        return None
    return header


def _message(path: Path, error, spec: Spec, unit: str) -> str:
    """One line for a frictionless error: file, line, column, what to do."""
    line = getattr(error, "row_number", None)
    where = f"{path}, line {line}" if line else str(path)
    column = getattr(error, "field_name", None)
    cell = str(getattr(error, "cell", ""))
    kind = error.type
    if kind == "type-error" and column == "value":
        cell_number(cell, where, column)  # raises the loader's own explanation, if it has one
        return f"{where}, column 'value': {cell[:40]!r} is not a number"
    if kind == "type-error":
        return f"{where}, column '{column}': {cell[:40]!r} is not a whole year"
    if kind == "constraint-error":
        if "required" in error.note:
            return f"{where}, column '{column}': empty cell (remove the row: nothing is filled in)"
        if column == "year":
            return (
                f"{where}, column 'year': {cell} is outside the model's years "
                f"{HORIZON[0]}-{HORIZON[1]} (remove the row)"
            )
        schema = _schema(spec, unit, COLUMNS)["fields"][1]["constraints"]
        low, high = schema.get("minimum"), schema.get("maximum")
        return (
            f"{where}, column 'value': {cell} is outside the allowed range "
            f"{'-inf' if low is None else f'{low:g}'} to {'inf' if high is None else f'{high:g}'} "
            f"({unit})"
        )
    if kind == "primary-key":
        return f"{where}, column 'year': this year appears twice"
    if kind in ("missing-cell", "extra-cell"):
        return (
            f"{where}: {'a missing' if kind == 'missing-cell' else 'an extra'} cell (each line "
            "has year,value,source; a comma inside a number? quote text that contains commas)"
        )
    if kind == "blank-row":
        return f"{where}: empty line (remove it)"
    return f"{where}: {error.message}"


def _validated(folder: Path, spec: Spec, unit: str, columns: tuple[str, ...]) -> pd.Series:
    """The series of one file, checked by frictionless against its Table Schema."""
    path = folder / spec.file
    descriptor = {
        "name": spec.name,
        "path": spec.file,
        "format": "csv",
        "encoding": "utf-8",
        "schema": _schema(spec, unit, columns),
    }
    try:
        report = frictionless.validate(frictionless.Resource(descriptor, basepath=str(folder)))
        errors = [error for task in report.tasks for error in task.errors] + list(report.errors)
        if errors:
            first = _message(path, errors[0], spec, unit)
            more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
            raise DataError(first + (more if len(errors) > 1 else ""))
        rows = []
        with frictionless.Resource(descriptor, basepath=str(folder)) as table:
            for row in table.row_stream:
                value = float(row["value"])
                if not math.isfinite(value):  # the schema lets NaN and Infinity through
                    cell_number(str(row.cells[1]), f"{path}, line {row.row_number}", "value")
                rows.append((row["year"], value))
    except frictionless.FrictionlessException as error:
        raise DataError(f"{path}: {error.error.message}") from None
    years = [year for year, _ in rows]
    if years != sorted(years):
        raise DataError(f"{path}: sort the rows by year")
    values = pd.Series(
        [value for _, value in rows], index=pd.Index(years, name="year"), dtype=float
    )
    return values * spec.units[unit]


def read_region(folder: str | Path, name: str | None = None) -> RegionData:
    """Read and check a region folder; its series in the model's units.

    Raises
    ------
    DataError
        The first problem, naming the file (and the line and column where there is one).
    """
    folder = Path(folder)
    descriptor = _descriptor(folder)
    path = folder / DESCRIPTOR
    units = _resource_units(path, descriptor)
    region = descriptor.get("region") if isinstance(descriptor.get("region"), dict) else {}
    title = name or str(descriptor.get("title") or "").strip() or folder.resolve().name
    code = slug(title)
    if not code:
        raise DataError(f"--name {title!r}: needs letters or digits")
    if code in ("china", "model"):
        raise DataError(f"--name {title!r}: '{code}' is a built-in baseline; choose another name")
    series: dict[str, pd.Series] = {}
    for spec in SPECS:
        file = folder / spec.file
        unit = units.get(spec.name)
        if unit is None or not file.is_file():
            if spec.required:
                why = "not listed in datapackage.json" if file.exists() else "no such file"
                raise DataError(f"{file}: {why} ({spec.title}, required)")
            continue
        columns = _header(file)
        if columns is None:
            if spec.required:
                raise DataError(f"{file}: no observations ({spec.title} is required)")
            continue
        values = _validated(folder, spec, unit, columns)
        if spec.needs_2005 and 2005 not in values.index:
            raise DataError(
                f"{file}: no value for 2005 (the model starts in 2005 and takes the region's "
                "levels from that year)"
            )
        series[spec.name] = values
    currency = str(region.get("currency") or "").strip()
    if not currency:
        raise DataError(
            f"{path}: region.currency is empty; write what the region's money is called (e.g. yuan)"
        )
    notes = []
    country = str(region.get("currency_country") or "").strip().upper()
    if country and country not in CURRENCIES:
        raise DataError(
            f"{path}: region.currency_country {country[:10]!r} is not one of the countries "
            f"whose currency is bundled: {', '.join(sorted(CURRENCIES))}"
        )
    usd = series.get("gdp_usd")
    fit_usd = usd is not None
    if usd is None:
        if not country:
            raise DataError(
                f"{folder / SPEC['gdp_usd'].file}: empty, and region.currency_country is not "
                "set; give one of them so money can be shown in US dollars too"
            )
        ratio = _dollars_per_unit(country)
        usd = (series["gdp_local"] * ratio).dropna()
        if 2005 not in usd.index:
            raise DataError(f"{path}: no {country} exchange rate for 2005 in the bundled data")
        notes.append(
            f"US-dollar GDP at {country}'s exchange rate (World Bank GDP in dollars / in "
            "local currency, year by year)"
        )
    deflator = series.get("gdp_deflator")
    if deflator is None and country:
        deflator = bundled_series("all_countries_gdp_deflator_inflation.csv", country, (-100, None))
        notes.append(f"GDP deflator borrowed from {country} (no deflator in the folder)")
    return RegionData(
        code=code,
        title=title,
        population=series["population"],
        gdp_usd=usd,
        egov=series["egov"],
        internet=series["internet"],
        gdp_local=series["gdp_local"],
        deflator=deflator,
        digital_share=series.get("digital_share"),
        currency=currency,
        fit_usd=fit_usd,
        paths={
            "egdi": str(folder / SPEC["egov"].file),
            "internet_users": str(folder / SPEC["internet"].file),
            "population": str(folder / SPEC["population"].file),
            "gdp_per_person_usd": f"{folder / SPEC['gdp_usd'].file} / population.csv",
            "gdp_per_person_local": f"{folder / SPEC['gdp_local'].file} / population.csv",
            "digital_economy_share": str(folder / SPEC["digital_share"].file),
        },
        notes=notes,
    )


def _dollars_per_unit(iso3: str) -> pd.Series:
    """US dollars per unit of a country's currency, year by year (GDP in USD / in LCU)."""
    usd = bundled_series("all_countries_gdp_usd.csv", iso3)
    lcu = bundled_series("selected_countries_gdp_lcu.csv", iso3)
    if usd is None or lcu is None:
        raise DataError(f"{iso3}: no bundled GDP in US dollars and in local currency")
    return (usd / lcu).dropna()
