"""Write calibration/data/ from the project's shared data folder (../shared/data).

Each output is a tidy CSV (year, value, unit, source) restricted to the model horizon
2005-2050; nothing is interpolated or filled. Run once when the shared data change:

    python tools/build_calibration_data.py [SHARED_DATA_DIR]
"""

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "calibration" / "data"
CHINA = {
    "china_digital_economy_share.csv": (
        "digital_economy_share_gdp_china.csv",
        "percent of GDP",
        "caict",
    ),
    "china_egdi.csv": ("egdi_china.csv", "index 0-1", "un_egdi"),
    "china_internet_users.csv": (
        "internet_users_pct_china_itu.csv",
        "percent of population",
        "itu_wdi",
    ),
    "china_gdp_nominal.csv": (
        "gdp_nominal_china_trillion_yuan.csv",
        "trillion yuan, current prices",
        "wdi_gdp",
    ),
}


def rows(path):
    """Rows of a CSV file as dicts."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(name, records, header=("year", "value", "unit", "source")):
    """Write a tidy CSV into calibration/data."""
    with open(OUT / name, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(records)
    print(f"wrote {OUT / name} ({len(records)} rows)")


def main(shared):
    """Build every calibration CSV from the shared data folder."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (source_file, unit, source) in CHINA.items():
        records = [
            (r["year"], r["value"], unit, source)
            for r in rows(shared / source_file)
            if 2005 <= int(r["year"]) <= 2050 and r["value"] != ""
        ]
        write(name, records)
    egdi = [
        (r["year"], r["iso3"], r["egdi"], "un_egdi")
        for r in rows(shared / "egdi_all_countries_2010_2024.csv")
        if r["egdi"] not in ("", "0", "0.0")
    ]
    write("all_countries_egdi.csv", egdi, ("year", "iso3", "value", "source"))
    internet = [
        (r["year"], r["code"], r["value"], "itu_owid")
        for r in rows(shared / "internet_users_pct_all_countries_itu_owid.csv")
        if len(r["code"]) == 3 and 2005 <= int(r["year"]) <= 2050 and r["value"] != ""
    ]
    write("all_countries_internet_users.csv", internet, ("year", "iso3", "value", "source"))
    gdp = [
        (r["year"], r["iso3"], r["value_lcu"], "wdi_gdp_lcu")
        for r in rows(shared / "gdp_current_lcu_selected_countries_wdi.csv")
        if 2005 <= int(r["year"]) <= 2050 and r["value_lcu"] != ""
    ]
    write("selected_countries_gdp_lcu.csv", gdp, ("year", "iso3", "value", "source"))
    write("china_gdp_real.csv", real_gdp(shared))
    for name, source_file, column, key in (
        ("all_countries_population.csv", "population_all_countries_wb.csv", "Value", "wb_pop"),
        (
            "all_countries_gdp_usd.csv",
            "gdp_current_usd_all_countries_wb.csv",
            "Value",
            "wb_gdp_usd",
        ),
        (
            "all_countries_gdp_deflator_inflation.csv",
            "gdp_deflator_inflation_all_countries_wb.csv",
            "Inflation",
            "wb_deflator",
        ),
    ):
        records = [
            (r["Year"], r["Country Code"], r[column], key)
            for r in rows(shared / source_file)
            if len(r["Country Code"]) == 3
            and 2005 <= int(r["Year"]) <= 2050
            and r[column] not in ("", "0")
        ]
        write(name, records, ("year", "iso3", "value", "source"))


def real_gdp(shared):
    """China's GDP at 2005 prices: nominal GDP divided by the deflator index (2005 = 1).

    The index chains the World Bank's GDP deflator inflation (NY.GDP.DEFL.KD.ZG) from
    2006 on; values rounded to 4 decimals.
    """
    inflation = {
        int(r["Year"]): float(r["Inflation"])
        for r in rows(shared / "gdp_deflator_inflation_all_countries_wb.csv")
        if r["Country Code"] == "CHN" and r["Inflation"] != ""
    }
    nominal = {
        int(r["year"]): float(r["value"])
        for r in rows(shared / "gdp_nominal_china_trillion_yuan.csv")
        if r["value"] != ""
    }
    records, index = [], 1.0
    for year in range(2005, 2051):
        if year > 2005:
            if year not in inflation:
                break
            index *= 1 + inflation[year] / 100
        if year in nominal:
            records.append(
                (year, f"{nominal[year] / index:.4f}", "trillion yuan, 2005 prices", "wdi_gdp_real")
            )
    return records


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
