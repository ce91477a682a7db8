"""Results of one run: a year x variable table with units, and what users ask of it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from flywheel.errors import InputError
from flywheel.files import write_text

if TYPE_CHECKING:
    from flywheel.scenarios import Scenario

#: The main lines shown in summaries: (model variable, label, scale, display unit).
MAIN_LINES = (
    ("Digital economy share of GDP", "Digital economy, share of GDP", 100, "%"),
    ("Digital economy value added nominal", "Digital economy value added", 1, "tn yuan"),
    ("Industrial Digitalization", "Industrial digitalization", 100, "%"),
    ("Digital Government Capability", "Digital government capability", 1, "index 0-1"),
    ("Digital Society Adoption", "Digital society adoption", 100, "% of people"),
    ("GDP per capita", "GDP per capita", 1, "thousand yuan"),
    ("GDP per person in US dollars", "GDP per capita in US dollars", 1, "US dollars"),
    ("Regional development index", "Regional development index", 1, "index 0-1"),
)
STAGES = {1: "primary", 2: "growth", 3: "transformation"}


def in_currency(unit: str, currency: str) -> str:
    """A unit of the model file (money in yuan) with the region's currency instead.

    Examples
    --------
    >>> in_currency("trillion yuan/Year", "euros")
    'trillion euros/Year'
    """
    return unit.replace("yuan", currency)


@dataclass
class RunResult:
    """One simulation: ``frame`` (index: year, columns: model variables), units, scenario."""

    frame: pd.DataFrame
    units: dict[str, str]
    scenario: Scenario
    baseline: str = ""
    #: The region's currency: money is in it ("yuan" for China), US dollars beside.
    currency: str = "yuan"

    def unit(self, column: str) -> str:
        """Unit of a column (subscripted columns share their variable's unit)."""
        return self.units.get(column.split("[")[0], "")

    def stage_years(self) -> dict[str, int | None]:
        """First year each development stage is reached (None: not by the final year).

        Examples
        --------
        >>> from flywheel import simulate
        >>> simulate().stage_years()["primary"]
        2005
        """
        stage = self.frame["Development stage"]
        years = {}
        for number, label in STAGES.items():
            reached = stage.index[stage >= number]
            years[label] = int(reached[0]) if len(reached) else None
        return years

    def final_stage(self) -> str:
        """Development stage in the final year."""
        return STAGES[int(self.frame["Development stage"].iloc[-1])]

    def tidy(self) -> pd.DataFrame:
        """Long table: one row per year and variable, with its unit."""
        long = self.frame.reset_index().melt(
            id_vars="year", var_name="variable", value_name="value"
        )
        long["unit"] = long["variable"].map(self.unit)
        return long

    def summary(self, years=(2025, 2035, 2050), baseline: RunResult | None = None) -> pd.DataFrame:
        """Main lines at ``years`` (display units) and % change against ``baseline`` at the end."""
        rows = []
        for variable, label, scale, unit in MAIN_LINES:
            if variable not in self.frame:
                continue
            row = {"main line": label, "unit": in_currency(unit, self.currency)}
            for year in years:
                row[str(year)] = self.frame.loc[year, variable] * scale
            if baseline is not None:
                base = baseline.frame.loc[years[-1], variable]
                mine = self.frame.loc[years[-1], variable]
                row[f"vs baseline {years[-1]}"] = (mine / base - 1) * 100 if base else math.nan
            rows.append(row)
        return pd.DataFrame(rows).set_index("main line")

    def write(self, path: str | Path) -> Path:
        """Write the results to ``.csv`` (wide, one row per year) or ``.json``.

        Raises
        ------
        InputError
            For any other file ending.
        """
        path = Path(path)
        if path.suffix.lower() == ".csv":
            write_text(path, self.frame.to_csv())
        elif path.suffix.lower() == ".json":
            payload = {
                "scenario": self.scenario.to_dict(),
                "baseline": self.baseline,
                "years": [int(year) for year in self.frame.index],
                "variables": {
                    column: {"unit": self.unit(column), "values": self.frame[column].tolist()}
                    for column in self.frame.columns
                },
            }
            write_text(path, json.dumps(payload, indent=1))
        else:
            raise InputError(f"--out {path}: the file must end in .csv or .json")
        return path
