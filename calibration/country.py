"""A country (or any region) as a region of its own: its levels from its own data, then a fit.

Levels come from the country's World Bank series, not from China (2005 unless noted):

* **population**: ``Reference population`` is its 2005 population; the population curve's
  peak, peak year and widths are fitted to its own 2005-2024 history;
* **money**: its own currency when its GDP in local currency is bundled (20 countries),
  else US dollars. The 2005 exchange rate (GDP in US dollars / GDP in local currency) and
  the average drift of the rate to the latest year convert to US dollars; the GDP deflator
  growth is the mean of its own deflator inflation (2006 to the latest year);
* **size**: every amount of money in the model (initial output, capital and efficient
  scale, the digital fixed cost, the reference spending on R&D and e-government, the
  reference digital capacity) is China's 2005 value scaled by the country's 2005 GDP (the
  ratios are borrowed from China, and the report says so);
* **goalposts** of the development index and the income at which infrastructure coverage
  saturates: the same in 2005 US dollars everywhere (China's 2 and 200 thousand yuan at the
  2005 rate: 244 and 24,408 dollars a person), converted to the country's currency, so
  stages compare across regions.

Then the country's e-government, internet adoption, population and GDP per person in US
dollars are fitted: adoption and government constants, the population curve, technology
catch-up and, for countries measured in US dollars, the growth of prices in dollars.
Everything else keeps China's calibrated value and is listed as borrowed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from calibration.loader import DataError, Observations, read_observations
from calibration.series import DATA_DIR, Param, Series, load_params
from flywheel.baselines import load_baseline
from flywheel.errors import InputError
from flywheel.simulate import engine, simulate

COUNTRY_PARAMS = (
    "Capital elasticity",
    "Gross investment rate",
    "Adoption innovation rate",
    "Adoption imitation rate",
    "Structural digital exclusion",
    "Government building rate",
    "Initial digital government",
    "Catch up rate",
    "Initial relative technology",
)
#: Currencies of the countries whose GDP in local currency is bundled (ISO 4217 names).
CURRENCIES = {
    "AUS": "Australian dollars",
    "BRA": "reais",
    "CAN": "Canadian dollars",
    "CHN": "yuan",
    "DEU": "euros",
    "DNK": "Danish kroner",
    "EST": "euros",
    "FRA": "euros",
    "GBR": "pounds",
    "IDN": "rupiah",
    "IND": "rupees",
    "JPN": "yen",
    "KOR": "won",
    "MEX": "Mexican pesos",
    "RUS": "roubles",
    "SGP": "Singapore dollars",
    "TUR": "lira",
    "USA": "US dollars",
    "VNM": "dong",
    "ZAF": "rand",
}
#: China's constants scaled by the country's 2005 GDP (their ratios are China's).
SCALED = (
    "Initial traditional output",
    "Initial traditional capital",
    "Initial digital capital",
    "Initial efficient scale",
    "Digital fixed cost",
    "Reference digital capacity",
    "Reference R and D spending",
    "Reference e government spending",
)
#: Per-person amounts that mean the same in 2005 US dollars everywhere (China's values at
#: the 2005 rate), converted to the country's currency.
PER_PERSON = ("Income floor", "Income ceiling", "Coverage reference")
#: Fastest 10-year population decline of any country, World Bank SP.POP.TOTL 2005-2024
#: (calibration/data/all_countries_population.csv): Saint Martin (MAF), 3.6 %/yr.
FASTEST_DECLINE = 0.036
#: The after-peak width that keeps the curve's decline (2(t - peak)/width^2 a year) within
#: FASTEST_DECLINE from a peak as early as 2005 to the model's end in 2050.
MIN_DECLINE_WIDTH = math.ceil(math.sqrt(2 * (2050 - 2005) / FASTEST_DECLINE))
#: UN WPP 2022 projections of the share aged 15-64 (tools/build_working_age.py).
WORKING_AGE_FILE = "all_countries_working_age_share.csv"
#: The projections' first year: a region's labour follows its age structure from then on.
FIRST_PROJECTED = 2022
#: Constants fitted when a region brings its digital economy's share of GDP.
SHARE_PARAMS = ("Initial industrial digitalization", "Digitalization imitation rate")
#: At least this many observations of each digital series to fit a country.
MIN_EGDI, MIN_INTERNET = 5, 10

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
        0.02,
        0.6,
        0.17,
        "How fast spending turns into e-government capability differs by country.",
    ),
    "Structural digital exclusion": Param(
        "Structural digital exclusion",
        0.02,
        0.95,
        0.6,
        "Share kept offline by cost and skills in 2005: small in rich countries.",
    ),
    "Gross investment rate": Param(
        "Gross investment rate",
        0.1,
        0.5,
        0.25,
        "Investment share of GDP: 40-44 % in China (the model file's comment); in most "
        "economies lower.",
        prior=0.25,
        prior_sd=0.07,
        source="assumption: a typical investment share of 25 % +- 7 % (range 11-39 % at two "
        "standard deviations); the series that would source it, World Bank NE.GDI.TOTL.ZS "
        "(gross capital formation, % of GDP), is not among the bundled data",
    ),
    "Catch up rate": Param(
        "Catch up rate",
        0.0,
        0.08,
        0.02,
        "Convergence speed differs between economies (about 2 %/yr on average: Barro and "
        "Sala-i-Martin 1992).",
    ),
    "Initial relative technology": Param(
        "Initial relative technology",
        0.05,
        1.0,
        0.5,
        "Technology relative to the frontier in 2005: from far behind to at the frontier.",
    ),
}


def check_iso3(text: str) -> str:
    """An upper-case ISO 3166 alpha-3 code, or ``InputError``."""
    code = str(text).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InputError(f"--region {text!r}: expected a three-letter ISO code such as DEU or BRA")
    return code


def bundled_series(
    file: str, iso3: str, value_range=(0, None), name: str | None = None
) -> pd.Series | None:
    """One country's series from a bundled all-country file (None when it has none)."""
    try:
        return read_observations(DATA_DIR / file, value_range, iso3, name).values
    except DataError:
        return None


@dataclass
class Region:
    """What a region's fit needs: its series, the constants to fit, the fixed levels."""

    iso3: str
    currency: str
    series: list[Series]
    params: list[Param]
    fixed: dict[str, float]
    borrowed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    title: str = ""


@dataclass
class RegionData:
    """A region's observed series, each a year-indexed ``pd.Series`` (or ``None``).

    ``population`` in people; ``gdp_usd`` and ``gdp_local`` at current prices in US dollars
    and in the region's own currency; ``deflator`` the GDP deflator's annual change in
    percent; ``egov`` an e-government index on 0-1; ``internet`` the percent of people
    online; ``digital_share`` the digital economy's percent of GDP. ``paths`` names the
    file each came from; ``notes`` say what was taken from elsewhere and why.
    """

    code: str
    title: str
    population: pd.Series
    gdp_usd: pd.Series | None
    egov: pd.Series
    internet: pd.Series
    gdp_local: pd.Series | None = None
    deflator: pd.Series | None = None
    digital_share: pd.Series | None = None
    currency: str = "US dollars"
    #: Fit GDP per person in US dollars (the region's own dollar series); else in its currency.
    fit_usd: bool = True
    paths: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def bundled_data(iso3: str) -> RegionData:
    """A country's series from the bundled all-country files.

    Raises
    ------
    InputError
        When the country lacks the data for its levels (2005 population and GDP) or has
        fewer than 5 EGDI surveys or 10 years of internet use.
    """
    iso3 = check_iso3(iso3)
    egdi = bundled_series("all_countries_egdi.csv", iso3, (0, 1), "egdi")
    internet = bundled_series("all_countries_internet_users.csv", iso3, (0, 100), "internet_users")
    population = bundled_series("all_countries_population.csv", iso3, name="population")
    usd = bundled_series("all_countries_gdp_usd.csv", iso3, name="gdp_usd")
    if egdi is None and internet is None and population is None:
        raise InputError(
            f"--region {iso3}: no country with this code in the bundled data "
            "(see 'flywheel regions --all')"
        )
    missing = [
        what
        for what, found, least in (
            ("EGDI surveys", egdi, MIN_EGDI),
            ("years of internet use", internet, MIN_INTERNET),
        )
        if found is None or len(found) < least
    ]
    if missing:
        raise InputError(
            f"--region {iso3}: too few observations to fit ({', '.join(missing)}; needs at "
            f"least {MIN_EGDI} EGDI surveys and {MIN_INTERNET} years of internet use)"
        )
    if population is None or 2005 not in population.index or usd is None or 2005 not in usd.index:
        raise InputError(f"--region {iso3}: no World Bank population and GDP for 2005")
    lcu = bundled_series("selected_countries_gdp_lcu.csv", iso3, name="gdp_lcu")
    if lcu is not None and 2005 not in lcu.index:
        lcu = None
    # the deflator converts money in the country's own currency: without it, not needed
    deflator = (
        bundled_series("all_countries_gdp_deflator_inflation.csv", iso3, (-100, None), "deflator")
        if lcu is not None
        else None
    )
    paths = {
        "egdi": "all_countries_egdi.csv",
        "internet_users": "all_countries_internet_users.csv",
        "population": "all_countries_population.csv",
        "gdp_per_person_usd": "all_countries_gdp_usd.csv / all_countries_population.csv",
    }
    return RegionData(
        code=iso3,
        title=iso3,
        population=population,
        gdp_usd=usd,
        egov=egdi,
        internet=internet,
        gdp_local=lcu,
        deflator=deflator,
        currency=CURRENCIES.get(iso3, "US dollars") if lcu is not None else "US dollars",
        paths={k: str(DATA_DIR / v) for k, v in paths.items()},
    )


def region(iso3: str) -> Region:
    """Set up the calibration of the country ``iso3`` from the bundled all-country files."""
    return setup(bundled_data(iso3))


def setup(data: RegionData) -> Region:
    """Set up a region's calibration: levels from its own data, then what to fit.

    A region measured in its own currency with its own deflator has its GDP per person at
    current prices fitted (in its currency when it brought no US-dollar GDP of its own);
    without a deflator, the growth of its prices is fitted too.
    """
    code = data.code
    china = load_baseline("china")
    fixed, notes = _levels(data, china.params)
    series = [
        _series(
            "egdi",
            f"Digital government: e-government index (0-1), {data.title}",
            "Digital Government Capability",
            1.0,
            data.egov,
            data.paths.get("egdi", ""),
        ),
        _series(
            "internet_users",
            f"Digital society: internet users (%), {data.title}",
            "Digital Society Adoption",
            100.0,
            data.internet,
            data.paths.get("internet_users", ""),
        ),
        _series(
            "population",
            f"Population (people), {data.title}",
            "Population",
            1e6,
            data.population,
            data.paths.get("population", ""),
            error=0.02,
        ),
    ]
    # money: per person in US dollars when the region brought its own dollar series,
    # else in its own currency
    name, label, variable, scale, gdp = (
        (
            "gdp_per_person_usd",
            "in current US dollars",
            "GDP per person in US dollars",
            1.0,
            data.gdp_usd,
        )
        if data.fit_usd
        else (
            "gdp_per_person_local",
            f"at current prices ({data.currency})",
            "GDP per capita",
            1000.0,
            data.gdp_local,
        )
    )
    series.append(
        _series(
            name,
            f"GDP per person {label}, {data.title}",
            variable,
            scale,
            (gdp / data.population).dropna(),
            data.paths.get(name, ""),
            error=0.1,
        )
    )
    params = _params(data.internet, data.population, "GDP deflator growth" not in fixed)
    if data.digital_share is not None:
        series.append(
            _series(
                "digital_economy_share",
                f"Digital economy, share of GDP (%), {data.title}",
                "Digital economy share of GDP",
                100.0,
                data.digital_share,
                data.paths.get("digital_economy_share", ""),
                error=0.05,
            )
        )
        chinas = {p.name: p for p in load_params()}
        params += [chinas[name] for name in SHARE_PARAMS]
    fitted = {p.name for p in params}
    borrowed = sorted(name for name in china.params if name not in fitted and name not in fixed)
    borrowed += [f"{name} (China's ratio to 2005 GDP)" for name in SCALED]
    return Region(
        code, data.currency, series, params, fixed, borrowed, notes + data.notes, data.title
    )


def _series(name, label, variable, scale, values, path, error=0.05) -> Series:
    observations = Observations(name, values.astype(float), "", path)
    return Series(name, label, variable, scale, 1.0, observations, error=error)


@lru_cache(maxsize=1)
def _china_gdp_2005() -> float:
    """China's 2005 GDP in its calibrated run: the yardstick the amounts of money scale by."""
    return float(simulate(variables=["GDP"], baseline="china").frame.loc[2005, "GDP"])


def _levels(data: RegionData, china_params):
    """The region's fixed constants, from its own data; and notes on how."""
    notes = []
    usd, lcu, population = data.gdp_usd, data.gdp_local, data.population
    if lcu is not None and usd is not None:
        rate = float(usd.loc[2005] / lcu.loc[2005])
        ratio = (usd / lcu).dropna()
        last = int(ratio.index.max())
        drift = math.log(ratio.loc[last] / rate) / (last - 2005) if last > 2005 else 0.0
        gdp_2005 = float(lcu.loc[2005]) / 1e12
        notes.append(f"money in {data.currency}; 2005 rate {rate:.6g} US dollars per unit")
    else:
        rate, drift, gdp_2005 = 1.0, 0.0, float(usd.loc[2005]) / 1e12
        notes.append("money in US dollars (no GDP in local currency bundled)")
    deflator = data.deflator
    fixed = {
        "Reference population": float(population.loc[2005]) / 1e6,
        "US dollars per local currency unit": rate,
        "Exchange rate drift": drift,
    }
    if lcu is not None and deflator is not None and len(deflator[deflator.index > 2005]):
        later = deflator[deflator.index > 2005]
        fixed["GDP deflator growth"] = float(np.mean(np.log1p(later.to_numpy() / 100)))
    china_gdp = _china_gdp_2005()
    defaults = engine().defaults
    for name in SCALED:
        fixed[name] = china_params.get(name, defaults[name]) * gdp_2005 / china_gdp
    china_rate = defaults["US dollars per local currency unit"]
    for name in PER_PERSON:
        dollars = defaults[name] * 1000 * china_rate  # 2005 US dollars a person
        fixed[name] = dollars / rate / 1000
    shares, note = _working_age(data.code, defaults)
    fixed.update(shares)
    notes.append(note)
    return fixed, notes


@lru_cache(maxsize=1)
def _projected_shares() -> pd.Series:
    """UN WPP 2022 projections of the share aged 15-64, every country, 2022-2050."""
    return pd.read_csv(DATA_DIR / WORKING_AGE_FILE).set_index(["iso3", "year"])["value"]


def _working_age(code: str, defaults) -> tuple[dict[str, float], str]:
    """The working-age nodes of a region, and the report's note on where they come from.

    The UN's projections start in 2022 and no age data is bundled for earlier years, so the
    nodes before 2022 keep the 2022 share (labour follows population until then). A region
    the projections do not cover keeps one share at every node: labour follows population.
    """
    nodes = working_age_nodes()
    shares = _projected_shares()
    key = str(code).upper()
    if (key, FIRST_PROJECTED) not in shares.index:
        return {name: defaults[nodes[0]] for name in nodes}, (
            "labour follows total population: no age structure is bundled for this region "
            "(China's labour is its population aged 15-64)"
        )
    years = {name: max(_node_year(name), FIRST_PROJECTED) for name in nodes}
    return {name: float(shares.loc[(key, year)]) for name, year in years.items()}, (
        "labour: population x the share aged 15-64, from the UN World Population "
        f"Prospects 2022 from {FIRST_PROJECTED} on (held at its {FIRST_PROJECTED} share "
        "before: no earlier age data bundled)"
    )


def _node_year(name: str) -> int:
    return int(name.rsplit(" ", 1)[1])


def working_age_nodes() -> list[str]:
    """The model's ``Working age share YEAR`` constants, in year order."""
    found = [name for name in engine().defaults if re.fullmatch(r"Working age share \d{4}", name)]
    return sorted(found, key=_node_year)


def _params(internet, population, in_dollars: bool) -> list[Param]:
    """Constants to fit: adoption, government, technology, population curve (and prices)."""
    chinas = {p.name: p for p in load_params()}
    params = [WIDER.get(name, chinas.get(name)) for name in COUNTRY_PARAMS]
    params = [p for p in params if p is not None]
    start = float(internet.iloc[0]) / 100 if internet.index[0] == 2005 else 0.05
    params.insert(
        0,
        Param(
            "Initial digital society",
            0.001,
            0.97,
            min(max(start, 0.002), 0.95),
            "Share of people online in 2005 (from the data when 2005 is observed).",
        ),
    )
    people = population / 1e6
    peak_year = int(people.idxmax())
    rising = peak_year >= int(people.index.max()) - 1
    params += [
        Param(
            "Peak population",
            float(people.max()) * 0.9,
            float(people.max()) * 3.0,
            float(people.max()) * (1.15 if rising else 1.0),
            "Largest population the curve reaches (fitted to the country's own history).",
        ),
        Param(
            "Peak population year",
            1950.0,
            2150.0,
            float(peak_year + 25 if rising else peak_year),
            "Year of the peak (beyond the data for populations still growing).",
        ),
        Param("Population width before peak", 10.0, 400.0, 60.0, "Speed of the rise."),
        Param(
            "Population width after peak",
            MIN_DECLINE_WIDTH,
            400.0,
            100.0,
            "Speed of the decline after the peak. The curve declines at 2(t - peak)/width^2 "
            "a year, so a width of at least 50 years keeps the decline up to 2050 at or "
            "below 3.6 %/yr, the fastest 10-year decline of any country in the World Bank "
            "population series 2005-2024 (Saint Martin; Ukraine's is 2.0 %/yr).",
        ),
    ]
    if in_dollars:
        params.append(
            Param(
                "GDP deflator growth",
                -0.05,
                0.15,
                0.02,
                "Growth of the country's prices measured in US dollars (no local currency).",
            )
        )
    return params


def list_regions() -> pd.DataFrame:
    """Every country of the bundled files, with its data and whether it can be fitted."""

    def counts(file):
        frame = pd.read_csv(DATA_DIR / file)
        return frame.groupby("iso3")["year"].count()

    egdi, internet = counts("all_countries_egdi.csv"), counts("all_countries_internet_users.csv")
    population = pd.read_csv(DATA_DIR / "all_countries_population.csv")
    usd = pd.read_csv(DATA_DIR / "all_countries_gdp_usd.csv")
    has_2005 = set(population[population.year == 2005].iso3) & set(usd[usd.year == 2005].iso3)
    lcu = set(pd.read_csv(DATA_DIR / "selected_countries_gdp_lcu.csv").iso3)
    codes = sorted(set(egdi.index) | set(internet.index))
    rows = []
    for code in codes:
        e, i = int(egdi.get(code, 0)), int(internet.get(code, 0))
        ok = e >= MIN_EGDI and i >= MIN_INTERNET and code in has_2005
        rows.append(
            {
                "region": code,
                "egdi": e,
                "internet": i,
                "currency": CURRENCIES.get(code, "US dollars") if code in lcu else "US dollars",
                "can fit": ok,
            }
        )
    return pd.DataFrame(rows).set_index("region")
