"""Every kind of bad CSV a user can bring gets a message naming file, line and column."""

import pytest

from calibration.loader import DataError, read_observations
from calibration.series import DATA_DIR


def write(tmp_path, text, name="series.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_clean_file_with_bom_and_optional_columns(tmp_path):
    path = write(tmp_path, "\ufeffyear,value,unit,source\n2010,0.5,index,me\n2012,0.6,index,me\n")
    obs = read_observations(path, (0, 1))
    assert obs.values.to_dict() == {2010: 0.5, 2012: 0.6}
    assert obs.unit == "index" and obs.values.dtype == float


def test_missing_years_stay_missing(tmp_path):
    obs = read_observations(write(tmp_path, "year,value\n2005,1\n2009,2\n2020,3\n"))
    assert list(obs.values.index) == [2005, 2009, 2020]  # nothing filled in between


def test_country_selection(tmp_path):
    path = write(tmp_path, "year,iso3,value\n2010,DEU,0.8\n2010,FRA,0.7\n2012,DEU,0.85\n")
    assert read_observations(path, iso3="deu").values.to_dict() == {2010: 0.8, 2012: 0.85}
    with pytest.raises(DataError, match="no observations for XXX"):
        read_observations(path, iso3="XXX")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"series.csv: the file is empty"),
        (b"year,value\n2010,0.5\n2011,\xe9t\xe9\n", r"series.csv, line 3: not UTF-8 text"),
        ("value,unit\n0.5,x\n", r"series.csv, line 1: missing column\(s\) year"),
        ("year,value,colour\n2010,0.5,red\n", r"series.csv, line 1: unexpected column\(s\) colour"),
        ("year,value,value\n2010,0.5,0.6\n", r"series.csv, line 1: a column name appears twice"),
        ("year,value\n2010,\n", r"series.csv, line 2, column 'value': empty cell"),
        (
            "year,value\n2010,0.5\n2011,NA\n",
            r"series.csv, line 3, column 'value': missing value 'NA'",
        ),
        ("year,value\n2010,null\n", r"line 2, column 'value': missing value 'null'"),
        ("year,value\n2010,inf\n", r"line 2, column 'value': 'inf' is not a finite number"),
        (
            'year,value\n2010,"1,234.5"\n',
            r"line 2, column 'value': '1,234.5' has a thousands separator; write 1234.5",
        ),
        (
            'year,value\n2010,"0,5"\n',
            r"line 2, column 'value': '0,5' has a decimal comma; write 0.5",
        ),
        ("year,value\n2010,0,5\n", r"line 2: 3 cells for 2 columns"),
        ("year,value\n2010,about half\n", r"line 2, column 'value': 'about half' is not a number"),
        ("year,value\nlast year,0.5\n", r"line 2, column 'year': 'last year' is not a number"),
        ("year,value\n2010.5,0.5\n", r"line 2, column 'year': '2010.5' is not a whole year"),
        (
            "year,value\n2010,0.5\n2012,0.6\n2010,0.7\n",
            r"line 4, column 'year': 2010 appears twice \(also line 2\)",
        ),
        (
            "year,value\n2012,0.5\n2010,0.6\n",
            r"line 3, column 'year': 2010 comes after 2012; sort the rows",
        ),
        (
            "year,value\n1999,0.5\n",
            r"line 2, column 'year': 1999 is outside the model's years 2005-2050",
        ),
        ("year,value\n2051,0.5\n", r"line 2, column 'year': 2051 is outside"),
        (
            "year,value\n2010,1.5\n",
            r"line 2, column 'value': 1.5 is outside the allowed range 0 to 1",
        ),
        (
            "year,value\n2010,-0.1\n",
            r"line 2, column 'value': -0.1 is outside the allowed range 0 to 1",
        ),
        ("year,value\n2010,0.5\n\n2012,0.6\n", r"line 3: empty line"),
        ("year,value\n", r"series.csv: no observations"),
        ("\n", r"series.csv, line 1: no header"),
        (
            "year,value,unit\n2010,0.5,index\n2012,0.6,percent\n",
            r"the unit changes within the file",
        ),
    ],
)
def test_bad_csv(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(DataError, match=message):
        read_observations(path, (0, 1))


def test_oversized_file(tmp_path):
    path = write(tmp_path, "year,value\n" + "2010,0.5\n" * 600_000)
    with pytest.raises(DataError, match="larger than 5 MB"):
        read_observations(path)


def test_no_such_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_observations(tmp_path / "nope.csv")


@pytest.mark.parametrize("name", sorted(p.name for p in DATA_DIR.glob("china_*.csv")))
def test_shipped_china_data_loads(name):
    obs = read_observations(DATA_DIR / name)
    assert len(obs.values) >= 8 and obs.values.index.is_monotonic_increasing
