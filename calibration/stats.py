"""Goodness of fit of a simulated series against observations.

Theil's inequality decomposition follows Sterman (1984), "Appropriate summary
statistics for evaluating the historical fit of system dynamics models", Dynamica
10(2): the mean squared error splits into bias (U^M), unequal variation (U^S) and
unequal covariation (U^C), which sum to 1.
"""

from __future__ import annotations

import math

import numpy as np


def fit_statistics(simulated, observed) -> dict[str, float]:
    """R^2, MAPE (%), RMSE and Theil's U^M, U^S, U^C of ``simulated`` against ``observed``.

    Examples
    --------
    >>> stats = fit_statistics([1.0, 2.0, 3.5], [1.0, 2.0, 3.0])
    >>> round(stats["UM"] + stats["US"] + stats["UC"], 12)
    1.0
    """
    s = np.asarray(simulated, dtype=float)
    a = np.asarray(observed, dtype=float)
    n = len(a)
    error = s - a
    mse = float(np.mean(error**2))
    total = float(np.sum((a - a.mean()) ** 2))
    stats = {
        "n": n,
        "R2": 1 - float(np.sum(error**2)) / total if total > 0 else math.nan,
        "MAPE": float(np.mean(np.abs(error / a))) * 100 if np.all(a != 0) else math.nan,
        "RMSE": math.sqrt(mse),
        "UM": math.nan,
        "US": math.nan,
        "UC": math.nan,
    }
    if mse > 0 and n > 1:
        s_sd, a_sd = float(np.std(s)), float(np.std(a))
        r = float(np.corrcoef(s, a)[0, 1]) if s_sd > 0 and a_sd > 0 else 0.0
        stats["UM"] = (float(s.mean()) - float(a.mean())) ** 2 / mse
        stats["US"] = (s_sd - a_sd) ** 2 / mse
        stats["UC"] = 2 * (1 - r) * s_sd * a_sd / mse
    elif mse == 0:
        stats.update(UM=0.0, US=0.0, UC=0.0)
    return stats


def naive_trend(observed, holdout: int, later_years, points: int = 4) -> np.ndarray:
    """The naive rival: a least-squares line through the last observations, extended.

    The line goes through the last ``points`` observations up to ``holdout`` and is
    extended to ``later_years``.

    Examples
    --------
    >>> import pandas as pd
    >>> series = pd.Series([1.0, 2.0, 3.0, 4.0, 9.0], index=[2015, 2016, 2017, 2018, 2019])
    >>> [round(float(x), 9) for x in naive_trend(series, 2018, [2019, 2020])]
    [5.0, 6.0]
    """
    known = observed[observed.index <= holdout].iloc[-points:]
    if len(known) < 2:
        return np.full(len(later_years), np.nan)
    slope, intercept = np.polyfit(np.asarray(known.index, dtype=float), known.to_numpy(), 1)
    return intercept + slope * np.asarray(later_years, dtype=float)


def forecast_statistics(simulated, observed) -> dict[str, float]:
    """MAPE (%) and mean signed error (% of the observation) of a forecast.

    A forecast whose errors all have one sign has |mean signed error| = MAPE.

    Examples
    --------
    >>> forecast_statistics([1.1, 2.2], [1.0, 2.0])["signed"]
    10.000000000000009
    """
    s = np.asarray(simulated, dtype=float)
    a = np.asarray(observed, dtype=float)
    relative = (s - a) / a * 100
    return {
        "n": len(a),
        "MAPE": float(np.mean(np.abs(relative))),
        "signed": float(np.mean(relative)),
    }
