"""Write every country's projected share of people aged 15-64 (UN WPP 2022) as tidy CSV.

Usage::

    python tools/build_working_age.py WPP2022EXTRA_CHECKOUT

``WPP2022EXTRA_CHECKOUT`` is a checkout (or an exported tree) of the public R data package
``PPgp/wpp2022extra``; its ``data-raw/percagegrpBprojMed.txt`` holds the UN World Population
Prospects 2022 medium-variant percentages by age group, keyed by UN M49 numeric codes. The
codes are turned into ISO 3166 alpha-3 codes with the Unicode CLDR tables that Babel ships
(numeric -> alpha-2 -> alpha-3); regional aggregates have no such code and are dropped.
Writes ``calibration/data/all_countries_working_age_share.csv`` (iso3, year, value, source)
for 2022-2050.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from babel.core import get_global

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "calibration" / "data" / "all_countries_working_age_share.csv"
SOURCE = "data-raw/percagegrpBprojMed.txt"
POPULATION = ROOT / "calibration" / "data" / "all_countries_population.csv"
YEARS = range(2022, 2051)


def alpha3_by_numeric() -> dict[str, str]:
    """ISO numeric (M49) code -> ISO alpha-3 code, from CLDR's territory aliases.

    CLDR also lists retired alpha-3 codes (FXX, ZAR, TMP); where an alpha-2 code has more
    than one, the one the bundled World Bank population file uses wins.
    """
    aliases = get_global("territory_aliases")
    with open(POPULATION, encoding="utf-8") as handle:
        known = {row["iso3"] for row in csv.DictReader(handle)}
    alpha3: dict[str, str] = {}
    for code, targets in aliases.items():
        if len(code) == 3 and code.isalpha() and code.isupper() and len(targets) == 1:
            if targets[0] not in alpha3 or code in known:
                alpha3[targets[0]] = code
    return {
        code: alpha3[targets[0]]
        for code, targets in aliases.items()
        if code.isdigit() and len(targets) == 1 and targets[0] in alpha3
    }


def main(checkout: str) -> int:
    """Read the UN file in ``checkout``; write the tidy CSV; 0 on success."""
    path = Path(checkout) / SOURCE
    codes = alpha3_by_numeric()
    rows = []
    with open(path, encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        for row in reader:
            if row["age"] != "15-64":
                continue
            iso3 = codes.get(row["country_code"].zfill(3))
            if iso3 is None:
                continue  # a region or income group, not a country
            for year in YEARS:
                rows.append((iso3, year, float(row[str(year)]), "un_wpp2022"))
    rows.sort()
    with open(TARGET, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["iso3", "year", "value", "source"])
        writer.writerows(rows)
    print(f"{len({r[0] for r in rows})} countries written to {TARGET}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
