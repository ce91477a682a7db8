"""What is fitted and to what: observed series and parameter specs, as data (TOML)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import tomllib

from calibration.loader import DataError, Observations, read_observations
from flywheel.errors import InputError

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
SERIES_FILE = HERE / "series.toml"
PARAMS_FILE = HERE / "params.toml"


@dataclass(frozen=True)
class Series:
    """An observed series matched to a model variable (model value x scale = data unit)."""

    name: str
    label: str
    variable: str
    scale: float
    weight: float
    observations: Observations
    relative: bool = False
    error: float = 0.05  # relative observation-and-model error (one standard deviation)

    def to_document(self) -> dict:
        """The series as a JSON object: label, model variable, scale, years and values."""
        return {
            "label": self.label,
            "variable": self.variable,
            "scale": self.scale,
            "years": [int(y) for y in self.observations.values.index],
            "values": [float(v) for v in self.observations.values],
        }

    @classmethod
    def from_document(cls, name: str, item: dict, source: str) -> Series:
        """The series written by :meth:`to_document` (a baseline file keeps them)."""
        values = pd.Series(
            [float(v) for v in item["values"]],
            index=pd.Index([int(y) for y in item["years"]], name="year"),
        )
        observations = Observations(name, values, "", source)
        return cls(name, item["label"], item["variable"], float(item["scale"]), 1.0, observations)

    def model_values(self, frame):
        """The model's values in the data's unit, at every year of the run.

        A ``relative`` series (e.g. GDP in another currency) compares growth: the model
        path is rescaled to equal the first observation in its year.
        """
        values = frame[self.variable] * self.scale
        if self.relative:
            first = self.observations.values.index[0]
            values = values / values.loc[first] * self.observations.values.iloc[0]
        return values


@dataclass(frozen=True)
class Param:
    """A model constant to estimate: search bounds, starting value, why it is uncertain.

    ``prior`` and ``prior_sd`` (optional) give the published evidence on the constant as
    a normal prior; ``source`` says where it comes from. With a prior the fit is a
    maximum a posteriori estimate: the data move the constant away from its evidence
    only as far as they can identify it.
    """

    name: str
    low: float
    high: float
    initial: float
    why: str
    prior: float | None = None
    prior_sd: float | None = None
    source: str = ""

    @property
    def has_prior(self) -> bool:
        """True when the constant carries a prior from evidence."""
        return self.prior is not None and self.prior_sd is not None and self.prior_sd > 0


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML ({error})") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise InputError(f"{path}: not valid TOML (nested too deeply)") from None


def load_series(path: Path = SERIES_FILE, only: list[str] | None = None) -> list[Series]:
    """Read the series spec and load (and validate) each series' data file.

    Examples
    --------
    >>> [s.name for s in load_series()]
    ['digital_economy_share', 'egdi', 'internet_users', 'gdp_real']
    """
    spec = _read_toml(path)
    series = []
    for index, entry in enumerate(spec.get("series", []), start=1):
        try:
            name, file, _variable = entry["name"], entry["file"], entry["variable"]
        except KeyError as missing:
            raise InputError(f"{path}: series #{index} has no {missing}") from None
        if only and name not in only:
            continue
        series.append(_series(entry, path.parent / file))
    if not series:
        raise InputError(f"{path}: no series to fit")
    return series


def series_from_files(files: list[Path]) -> list[Series]:
    """Series from CSV files a user brings, matched to a model variable by file name.

    The file name (without ``.csv``) must be one of the series names of ``series.toml``
    (e.g. ``internet_users.csv``); its scale, range and weight are used.
    """
    known = {entry["name"]: entry for entry in _read_toml(SERIES_FILE)["series"]}
    series = []
    for file in files:
        stem = Path(file).stem
        entry = known.get(stem)
        if entry is None:
            raise DataError(
                f"{file}: name the file after a series ({', '.join(known)}), e.g. egdi.csv"
            )
        series.append(_series(entry, Path(file)))
    return series


def _series(entry: dict, file: Path) -> Series:
    """A series of the spec with its observations read (and validated) from ``file``."""
    name = entry["name"]
    low, high = entry.get("range", [None, None])
    observations = read_observations(file, (low, high), entry.get("iso3"), name)
    return Series(
        name,
        entry.get("label", name),
        entry["variable"],
        float(entry.get("scale", 1)),
        float(entry.get("weight", 1)),
        observations,
        error=float(entry.get("error", 0.05)),
    )


def load_params(path: Path = PARAMS_FILE) -> list[Param]:
    """Read and check the parameter spec: model constants, not levers, sensible bounds."""
    from flywheel import load_levers
    from flywheel.simulate import engine

    lever_names = {lever.name for lever in load_levers()}
    params = []
    for index, entry in enumerate(_read_toml(path).get("param", []), start=1):
        try:
            plausible = entry.get("plausible")
            param = Param(
                entry["name"],
                float(entry["low"]),
                float(entry["high"]),
                float(entry.get("prior", entry.get("initial"))),
                entry.get("why", ""),
                prior=float(entry["prior"]) if "prior" in entry else None,
                # the plausible range from the evidence is read as +-2 standard deviations
                prior_sd=(float(plausible[1]) - float(plausible[0])) / 4 if plausible else None,
                source=entry.get("source", ""),
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise InputError(
                f"{path}: parameter #{index}: needs name, low, high and prior or initial ({error})"
            ) from None
        if param.prior is not None and not param.has_prior:
            raise InputError(
                f"{path}: '{param.name}': a prior needs a plausible = [low, high] range"
            )
        variable = engine().variable(param.name)
        if not variable.is_constant or param.name in lever_names:
            raise InputError(f"{path}: '{param.name}' is not a model constant that may be fitted")
        if not param.low < param.high or not param.low <= param.initial <= param.high:
            raise InputError(f"{path}: '{param.name}': need low < high and initial within them")
        model_low, model_high = variable.limits
        if (model_low is not None and param.low < model_low) or (
            model_high is not None and param.high > model_high
        ):
            raise InputError(
                f"{path}: '{param.name}': bounds leave the model's range [{model_low}, {model_high}]"
            )
        params.append(param)
    if not params:
        raise InputError(f"{path}: no parameters to fit")
    return params
