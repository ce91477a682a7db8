"""Calibrated baselines: model constants fitted to a region's data, applied to every run.

A baseline file (``models/calibrated/<name>.json``, written by ``flywheel calibrate``)
holds ``{"format": 1, "region": ..., "params": {model constant: value}, ...}``. Runs
start from the model file's constants, then apply the active baseline's ``params``,
then the scenario's levers. The default baseline is ``china``; ``model`` means the
model file's own (uncalibrated) constants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flywheel.errors import InputError
from flywheel.jsontext import parse_json
from flywheel.levers import load_levers
from flywheel.model import engine
from flywheel.paths import MODELS_DIR

CALIBRATED_DIR = MODELS_DIR / "calibrated"
DEFAULT_BASELINE = "china"
UNCALIBRATED = "model"
FORMAT = 1


@dataclass(frozen=True)
class Baseline:
    """A named set of calibrated model constants."""

    name: str
    params: dict[str, float] = field(default_factory=dict)
    region: str = ""
    info: dict = field(default_factory=dict)

    @property
    def currency(self) -> str:
        """The currency the region's money is in ("yuan" unless the baseline says)."""
        return str(self.info.get("currency") or "yuan")


def baseline_names() -> list[str]:
    """Names of the calibrated baselines shipped or saved in ``models/calibrated``.

    Listed again only when the folder changes (a file saved, renamed or removed changes
    its modification time): the dashboard asks on every request.
    """
    try:
        stamp = CALIBRATED_DIR.stat().st_mtime_ns
    except OSError:
        return []
    return list(_names(CALIBRATED_DIR, stamp))


@lru_cache(maxsize=8)
def _names(folder: Path, stamp: int) -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in folder.glob("*.json")))


def parse_baseline(text: str, source: str, name: str) -> Baseline:
    """Parse and check a baseline file's JSON text."""
    data = parse_json(text, source)
    if isinstance(data, dict) and "format" not in data and "statistics" in data:
        return _from_calibration_result(data, source, name)
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("params"), dict)
    ):
        raise InputError(
            f"{source}: not a baseline file (needs format {FORMAT} and a params object)"
        )
    params = _checked_params(data["params"], source)
    info = {k: v for k, v in data.items() if k not in ("params", "format")}
    return Baseline(name, params, str(data.get("region", "")), info)


def _from_calibration_result(data: dict, source: str, name: str) -> Baseline:
    """A baseline from the ``result.json`` that ``flywheel calibrate`` writes.

    The fitted constants go on top of the baseline the fit ran on (``fitted_on``), so a
    run from the result is the run the fit saw.
    """
    if data.get("success") is not True:
        raise InputError(f"{source}: this calibration did not converge; it cannot be a baseline")
    if not isinstance(data.get("params"), dict):
        raise InputError(f"{source}: a calibration result needs its params object")
    fitted_on = data.get("fitted_on")
    if not isinstance(fitted_on, str) or not fitted_on:
        raise InputError(
            f"{source}: written by an older 'flywheel calibrate' (no 'fitted_on'); run it again"
        )
    under = load_baseline(fitted_on)
    fixed = data.get("fixed") or {}
    if not isinstance(fixed, dict):
        raise InputError(f"{source}: 'fixed' must be an object of constant: value")
    params = {
        **under.params,
        **_checked_params(fixed, source),
        **_checked_params(data["params"], source),
    }
    info = {
        "std_errors": data.get("std_errors") or {},
        "correlations": data.get("correlations") or {},
        "bounds": data.get("bounds") or {},
        "fitted_on": fitted_on,
        "source": source,
        "currency": data.get("currency", under.info.get("currency", "yuan")),
    }
    return Baseline(name, params, str(data.get("region", "")), info)


def _checked_params(values: dict, source: str) -> dict[str, float]:
    """Constants a baseline may set, each a finite number, by their model names."""
    levers = {lever.name for lever in load_levers()}
    params = {}
    for key, value in values.items():
        variable = engine().variable(key)
        if not variable.is_constant or variable.name in levers:
            raise InputError(f"{source}: '{key}' is not a model constant a baseline may set")
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise InputError(f"{source}: '{key}' must be a finite number")
        params[variable.name] = float(value)
    return params


@lru_cache(maxsize=32)
def load_baseline(name_or_path: str | None = None) -> Baseline:
    """The baseline called ``name_or_path`` (a name in ``models/calibrated`` or a file path).

    ``None`` gives the default baseline (or the model's own constants if no calibrated
    file exists); ``"model"`` always gives the model's own constants.

    Examples
    --------
    >>> load_baseline("model").params
    {}
    """
    if name_or_path == UNCALIBRATED:
        return Baseline(UNCALIBRATED)
    if name_or_path is None:
        if DEFAULT_BASELINE not in baseline_names():
            return Baseline(UNCALIBRATED)
        name_or_path = DEFAULT_BASELINE
    text = str(name_or_path)
    path = (
        CALIBRATED_DIR / f"{text.lower()}.json" if text.lower() in baseline_names() else Path(text)
    )
    if not path.is_file():
        raise InputError(
            f"no baseline '{text}': not one of {', '.join(baseline_names() + [UNCALIBRATED])} and no such file"
        )
    if path.stat().st_size > 1_000_000:
        raise InputError(f"{path}: file is larger than 1 MB")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    # a calibration's result.json is named after its folder (calibration/output/deu -> deu)
    name = path.resolve().parent.name if path.name == "result.json" else path.stem
    return parse_baseline(text, str(path), name)
