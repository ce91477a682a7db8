"""Recalibrate the model for another country from the all-country files.

The series available for every country are the UN EGDI (digital government) and ITU
internet use (digital society); for the 20 countries of the World Bank GDP file, GDP
growth too (local currency, compared as growth from the first year, since the model's
money is yuan). The country's initial adoption and government capability and its
adoption, government and growth parameters are fitted; everything else keeps China's
calibrated values.
"""

from __future__ import annotations

import re

from calibration.loader import DataError, read_observations
from calibration.series import DATA_DIR, Param, Series, load_params
from flywheel.errors import InputError

COUNTRY_PARAMS = (
    "Adoption innovation rate",
    "Adoption imitation rate",
    "Structural digital exclusion",
    "Government building rate",
    "Initial digital government",
    "Catch up rate",
    "Initial relative technology",
)


#: Bounds wider than China's for constants that differ most between countries.
WIDER = {
    "Initial digital government": Param(
        "Initial digital government",
        0.05,
        0.95,
        0.42,
        "E-government capability in 2005 ranges from near 0 to near 1 worldwide.",
    ),
    "Government building rate": Param(
        "Government building rate",
        0.01,
        0.6,
        0.09,
        "How fast spending turns into e-government capability differs by country.",
    ),
    "Structural digital exclusion": Param(
        "Structural digital exclusion",
        0.02,
        0.95,
        0.6,
        "Share kept offline by cost and skills in 2005: small in rich countries.",
    ),
    "GDP deflator growth": Param(
        "GDP deflator growth",
        0.0,
        0.15,
        0.031,
        "Average inflation of GDP prices differs widely between countries.",
    ),
}


def country_series(iso3: str) -> list[Series]:
    """The observed series for ``iso3`` (EGDI, internet use, GDP growth when available)."""
    iso3 = check_iso3(iso3)
    series = [
        Series(
            "egdi",
            f"Digital government: UN EGDI, {iso3}",
            "Digital Government Capability",
            1.0,
            1.0,
            read_observations(DATA_DIR / "all_countries_egdi.csv", (0, 1), iso3, "egdi"),
        ),
        Series(
            "internet_users",
            f"Digital society: internet users (%), {iso3}",
            "Digital Society Adoption",
            100.0,
            1.0,
            read_observations(
                DATA_DIR / "all_countries_internet_users.csv", (0, 100), iso3, "internet_users"
            ),
        ),
    ]
    try:
        gdp = read_observations(
            DATA_DIR / "selected_countries_gdp_lcu.csv", (0, None), iso3, "gdp_growth"
        )
    except DataError:
        return series  # no GDP for this country: fit the two digital lines only
    series.append(
        Series(
            "gdp_growth",
            f"GDP growth, current local currency, {iso3}",
            "Nominal GDP",
            1.0,
            1.0,
            gdp,
            relative=True,
        )
    )
    return series


def country_params(series: list[Series]) -> list[Param]:
    """China's parameter specs for the country-relevant constants, plus initial adoption."""
    params = [WIDER.get(p.name, p) for p in load_params() if p.name in COUNTRY_PARAMS]
    internet = next(s for s in series if s.name == "internet_users").observations.values
    start = float(internet.iloc[0]) / 100 if internet.index[0] == 2005 else 0.05
    start = min(max(start, 0.002), 0.95)
    params.insert(
        0,
        Param(
            "Initial digital society",
            0.001,
            0.97,
            start,
            "Share of people online in 2005 (from the data when 2005 is observed).",
        ),
    )
    if any(s.name == "gdp_growth" for s in series):
        params.append(WIDER["GDP deflator growth"])
        params.append(
            Param(
                "Gross investment rate",
                0.1,
                0.5,
                0.4,
                "Investment share of GDP differs most between economies and sets their growth.",
            )
        )
    else:
        params = [
            p for p in params if p.name not in ("Catch up rate", "Initial relative technology")
        ]
    return params


def check_iso3(text: str) -> str:
    """An upper-case ISO 3166 alpha-3 code, or ``InputError``."""
    code = str(text).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InputError(f"--country {text!r}: expected a three-letter ISO code such as DEU or BRA")
    return code
