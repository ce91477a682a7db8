"""Every country at once: fit each one that has enough data and tabulate how well it fits.

``flywheel calibrate --all`` runs :func:`fit_region` for every country that
:func:`calibration.country.list_regions` can fit, in worker processes (one per core) or
on a Dask scheduler, and writes ``calibration/atlas.csv``: one row per country and
series (n, R², MAPE, Theil's U^M/U^S/U^C), the constants that ended on a bound, the
warnings, the seconds the fit took, for population and GDP per person in US dollars the
relative error of the fitted run in 2023 (or the latest year), and for a refused country,
why.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import pandas as pd
from tqdm import tqdm

from calibration.country import list_regions, region
from calibration.fit import REGION_TOLERANCE, calibrate
from flywheel.errors import FlywheelError
from flywheel.simulate import simulate

#: Stocks whose fitted path may not halve within three years (no shock explains it).
WATCHED = (
    "Population",
    "GDP",
    "Digital Society Adoption",
    "Digital Government Capability",
    "Traditional Capital",
    "Digital Capital",
)
COLUMNS = (
    "region",
    "status",
    "series",
    "n",
    "R2",
    "MAPE",
    "UM",
    "US",
    "UC",
    "at_bound",
    "warnings",
    "seconds",
    "error_2023",
)


def implausible(frame: pd.DataFrame) -> str | None:
    """Why a fitted run is not a believable baseline (a stock halving in three years), or None.

    Examples
    --------
    >>> frame = pd.DataFrame({"Digital Capital": [4.0, 3.0, 2.5, 1.9]}, index=[2005, 2006, 2007, 2008])
    >>> implausible(frame)
    'Digital Capital falls by half in three years (2005-2008: 4 to 1.9)'
    """
    for name in WATCHED:
        if name not in frame:
            continue
        values = frame[name]
        for year in values.index:
            later = year + 3
            if later in values.index and values.loc[later] < 0.5 * values.loc[year]:
                return (
                    f"{name} falls by half in three years ({year}-{later}: "
                    f"{values.loc[year]:.3g} to {values.loc[later]:.3g})"
                )
    return None


def fit_region(iso3: str) -> list[dict]:
    """Atlas rows of one country: a row per series, or one row saying why it was refused."""
    started = time.monotonic()
    try:
        setup = region(iso3)
        result = calibrate(
            setup.series,
            setup.params,
            fixed=setup.fixed,
            tolerance=REGION_TOLERANCE,
            speculate=True,
        )
    except (FlywheelError, ArithmeticError, ValueError) as error:
        return [_refused(iso3, str(error), time.monotonic() - started)]
    seconds = round(time.monotonic() - started, 1)
    if not result.success:
        return [_refused(iso3, f"the fit did not converge ({result.message})", seconds)]
    run = simulate(
        variables=[*WATCHED, "GDP per person in US dollars"],
        params={**setup.fixed, **result.params},
    ).frame
    reason = implausible(run)
    if reason:
        return [_refused(iso3, f"implausible fitted path: {reason}", seconds)]
    at_bound = [w.split("'")[1] for w in result.warnings if "ended at a bound" in w]
    others = [w for w in result.warnings if "ended at a bound" not in w]
    errors = {}
    for series, variable, scale in (
        ("population", "Population", 1e6),
        ("gdp_per_person_usd", "GDP per person in US dollars", 1.0),
    ):
        observed = next(s for s in setup.series if s.name == series).observations.values
        year = 2023 if 2023 in observed.index else int(observed.index.max())
        errors[series] = run.loc[year, variable] * scale / observed.loc[year] - 1
    rows = []
    for name, stats in result.statistics.items():
        fit = stats["fit"]
        rows.append(
            {
                "region": iso3,
                "status": "fitted",
                "series": name,
                "n": fit["n"],
                "R2": round(fit["R2"], 4),
                "MAPE": round(fit["MAPE"], 3),
                "UM": round(fit["UM"], 4),
                "US": round(fit["US"], 4),
                "UC": round(fit["UC"], 4),
                "at_bound": "; ".join(at_bound),
                "warnings": " | ".join(others),
                "seconds": seconds,
                "error_2023": round(float(errors[name]), 4) if name in errors else None,
            }
        )
    return rows


def _refused(iso3: str, why: str, seconds: float) -> dict:
    return {
        "region": iso3,
        "status": f"refused: {why}",
        "series": "",
        "seconds": round(seconds, 1),
    }


def build_atlas(codes: list[str] | None = None, workers: int | None = None) -> pd.DataFrame:
    """Fit ``codes`` (default: every country that can be fitted) in parallel processes."""
    if codes is None:
        regions = list_regions()
        codes = regions[regions["can fit"]].index.tolist()
    workers = workers or os.cpu_count() or 1
    rows: list[dict] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(fit_region, code): code for code in codes}
        with tqdm(total=len(futures), desc="countries", unit=" fits") as bar:
            for future in as_completed(futures):
                rows += future.result()
                bar.update(1)
                bar.set_postfix(last=futures[future], refresh=False)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.sort_values(["region", "series"]).reset_index(drop=True)


def summary(atlas: pd.DataFrame) -> pd.DataFrame:
    """Median and worst R² and MAPE per series over the fitted countries."""
    fitted = atlas[atlas["status"] == "fitted"]
    table = fitted.groupby("series").agg(
        countries=("region", "nunique"),
        R2_median=("R2", "median"),
        R2_worst=("R2", "min"),
        MAPE_median=("MAPE", "median"),
        MAPE_worst=("MAPE", "max"),
    )
    return table.round(3)
