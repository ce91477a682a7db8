"""Calibration reports: JSON for programs, standalone HTML for people, text for the terminal."""

from __future__ import annotations

import html
import json
import math
from datetime import date
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from calibration.fit import CalibrationResult
from flywheel.files import write_text
from flywheel.paths import MODELS_DIR

#: Out-of-sample tests saved by ``flywheel calibrate --holdout`` (one file per region).
HOLDOUT_DIR = MODELS_DIR / "holdout"

EXPLAIN = (
    "R² (1 = perfect) and MAPE (mean absolute percentage error) say how close the model is to "
    "the data. Theil's statistics split the remaining squared error: U<sup>M</sup> is bias "
    "(the model is systematically too high or low), U<sup>S</sup> unequal variation (it swings "
    "more or less than the data), U<sup>C</sup> unsystematic error (the model follows the trend "
    "but not every wiggle). A good fit has most of its error in U<sup>C</sup>."
)


def _fmt(value, digits=3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _condition(value) -> str:
    return "infinite" if value is None or not math.isfinite(value) else f"{value:.3g}"


def text_report(result: CalibrationResult) -> str:
    """A plain-text summary for the terminal."""
    lines = [
        f"Calibration ({result.method}, seed {result.seed}): "
        f"{'converged' if result.success else 'FAILED'} - {result.message}",
        f"{result.evaluations} model runs in {result.seconds:.0f} s; objective {_fmt(result.objective)}",
        "",
        "Fit per series"
        + (f" (fitted to {result.holdout}, holdout after)" if result.holdout else ""),
    ]
    lines.append(
        f"  {'series':24s} {'n':>3s} {'R2':>7s} {'MAPE%':>7s} {'RMSE':>9s} {'UM':>5s} {'US':>5s} {'UC':>5s}"
        + ("   holdout MAPE%  RMSE" if result.holdout else "")
    )
    for name, stats in result.statistics.items():
        fit = stats["fit"]
        row = (
            f"  {name:24s} {fit['n']:3d} {_fmt(fit['R2']):>7s} {_fmt(fit['MAPE']):>7s} "
            f"{_fmt(fit['RMSE']):>9s} {_fmt(fit['UM'], 2):>5s} {_fmt(fit['US'], 2):>5s} {_fmt(fit['UC'], 2):>5s}"
        )
        if result.holdout:
            hold = stats["holdout"]
            row += f"   {_fmt(hold['MAPE']) if hold else 'no data':>13s}  {_fmt(hold['RMSE']) if hold else '':>5s}"
        lines.append(row)
    lines += forecast_table(result)
    ident = result.identifiability
    if ident:
        line = (
            f"\nWhat the data can identify: {ident['observations']} observations for "
            f"{ident['constants']} constants ({ident['with_priors']} with a prior from evidence)"
        )
        if "jacobian_rank" in ident:
            line += (
                f"; the data's Jacobian has rank {ident['jacobian_rank']} of {ident['constants']}"
                f", condition number {_condition(ident['condition_number'])}"
            )
            if ident["jacobian_rank"] < ident["constants"]:
                line += " (the data alone cannot tell every constant apart: priors and bounds decide the rest)"
        lines.append(line)
    lines += ["", "Parameters (estimate +- standard error; range)"]
    for name, value in result.params.items():
        low, high = result.bounds[name]
        error = "held" if name in result.held else _fmt(result.std_errors.get(name))
        lines.append(f"  {name:40s} {value:10.4g} +- {error:>8s}   [{low:g}, {high:g}]")
    if result.warnings:
        lines += ["", "Warnings"] + [f"  - {warning}" for warning in result.warnings]
    lines += bound_table(result)
    return "\n".join(lines)


def bound_table(result: CalibrationResult) -> list[str]:
    """Each estimate on a bound against the fit with it held at its prior, series by series."""
    lines = []
    for check in result.bound_checks:
        if check["misfit_at_prior"] is None:
            continue
        lines += [
            "",
            f"'{check['name']}' at its {check['bound']} bound ({check['estimate']:.4g}) "
            f"or held at its prior ({check['prior']:.4g}): data misfit "
            f"{check['misfit']:.1f} or {check['misfit_at_prior']:.1f}",
            f"  {'series':24s} {'R2':>7s} {'at prior':>9s} {'MAPE%':>7s} {'at prior':>9s}",
        ]
        for name, row in check["series"].items():
            lines.append(
                f"  {name:24s} {_fmt(row['R2']):>7s} {_fmt(row['R2_at_prior']):>9s} "
                f"{_fmt(row['MAPE']):>7s} {_fmt(row['MAPE_at_prior']):>9s}"
            )
    return lines


def forecast_table(result: CalibrationResult) -> list[str]:
    """Holdout forecast of each series beside the naive rival.

    The rival is a straight line through the last four observations before the holdout
    year. Empty without a holdout.
    """
    rows = [(name, s["forecast"]) for name, s in result.statistics.items() if s.get("forecast")]
    if not rows:
        return []
    lines = [
        "",
        f"Forecast after {result.holdout} against the naive trend (line through the last 4 points)",
        f"  {'series':24s} {'years':>9s} {'MAPE%':>7s} {'signed%':>8s} {'naive MAPE%':>12s}  verdict",
    ]
    for name, forecast in rows:
        years = forecast["years"]
        verdict = (
            "beats the naive trend" if forecast["beats_naive"] else "WORSE than the naive trend"
        )
        if not forecast["unbiased"]:
            verdict += "; errors one-sided"
        lines.append(
            f"  {name:24s} {years[0]}-{years[-1]} {_fmt(forecast['model']['MAPE']):>7s} "
            f"{forecast['model']['signed']:+8.1f} {_fmt(forecast['naive']['MAPE']):>12s}  {verdict}"
        )
    return lines


def _figure(name: str, data: dict) -> go.Figure:
    figure = go.Figure()
    figure.add_scatter(
        x=data["years"],
        y=data["model"],
        mode="lines+markers",
        name="model",
        line={"color": "#1f5fbf", "width": 3},
    )
    figure.add_scatter(
        x=data["years"],
        y=data["values"],
        mode="markers",
        name="observed",
        marker={"color": "#c22f2f", "size": 9},
    )
    figure.update_layout(
        title=data["label"],
        template="plotly_white",
        height=340,
        margin={"l": 50, "r": 10, "t": 50, "b": 40},
    )
    return figure


def html_report(result: CalibrationResult, title: str = "Calibration report") -> str:
    """A standalone HTML page (plotly.js inlined once) with charts and tables."""
    summary = result.to_dict()
    charts = []
    for index, (name, data) in enumerate(summary["observations"].items()):
        charts.append(
            pio.to_html(
                _figure(name, data),
                full_html=False,
                include_plotlyjs=index == 0,
                config={"displaylogo": False},
            )
        )
    rows = "".join(
        f"<tr><td>{html.escape(stats['label'])}</td><td>{stats['fit']['n']}</td>"
        + "".join(
            f"<td>{_fmt(stats['fit'][key])}</td>"
            for key in ("R2", "MAPE", "RMSE", "UM", "US", "UC")
        )
        + (
            f"<td>{_fmt(stats['holdout']['MAPE']) if stats['holdout'] else 'n/a'}</td>"
            f"<td>{_fmt(stats['holdout']['RMSE']) if stats['holdout'] else 'n/a'}</td>"
            if result.holdout
            else ""
        )
        + "</tr>"
        for stats in result.statistics.values()
    )
    holdout_head = "<th>holdout MAPE %</th><th>holdout RMSE</th>" if result.holdout else ""
    forecast = forecast_table(result)
    forecast_html = (
        f"<h2>Forecast against a naive rival</h2><pre>{html.escape(chr(10).join(forecast[1:]))}</pre>"
        if forecast
        else ""
    )
    params = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{value:.4g}</td><td>{_fmt(result.std_errors.get(name))}</td>"
        f"<td>{result.initial[name]:.4g}</td><td>{result.bounds[name][0]:g} to {result.bounds[name][1]:g}</td></tr>"
        for name, value in result.params.items()
    )
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in result.warnings) or "<li>none</li>"
    status = "converged" if result.success else "FAILED"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:24px auto;color:#222}}
table{{border-collapse:collapse;margin:8px 0 20px}}
td,th{{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}}
th{{background:#123a73;color:#fff}}.charts{{display:grid;grid-template-columns:1fr 1fr;gap:8px}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>{date.today().isoformat()} &middot; method {result.method}, seed {result.seed} &middot; {status}:
{html.escape(result.message)} &middot; {result.evaluations} model runs, {result.seconds:.0f} s</p>
<h2>How well the model follows the data</h2><p>{EXPLAIN}</p>
<table><tr><th>series</th><th>n</th><th>R²</th><th>MAPE %</th><th>RMSE</th><th>U<sup>M</sup></th>
<th>U<sup>S</sup></th><th>U<sup>C</sup></th>{holdout_head}</tr>{rows}</table>{forecast_html}
<div class="charts">{"".join(charts)}</div>
<h2>Estimated parameters</h2><table><tr><th>parameter</th><th>estimate</th><th>standard error</th>
<th>start</th><th>allowed range</th></tr>{params}</table>
<h2>Warnings</h2><ul>{warnings}</ul></body></html>"""


def write_reports(result: CalibrationResult, folder: str | Path, title: str) -> tuple[Path, Path]:
    """Write ``result.json`` and ``report.html`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / "result.json", folder / "report.html"
    write_text(json_path, json.dumps(result.to_dict(), indent=1))
    write_text(html_path, html_report(result, title))
    return json_path, html_path


def _header(result: CalibrationResult, region: str) -> dict:
    """What every file written from a fit starts with: format, region, date, how fitted."""
    return {
        "format": 1,
        "region": region,
        "created": date.today().isoformat(),
        "method": result.method,
        "holdout": result.holdout,
    }


def baseline_document(result: CalibrationResult, region: str) -> dict:
    """The calibrated-baseline file written to ``models/calibrated/<region>.json``."""
    return {
        **_header(result, region),
        "seed": result.seed,
        "how_applied": "every run starts from the model file's constants, sets these params, "
        "then the scenario's levers (flywheel.baselines)",
        "params": result.params,
        "std_errors": {k: (v if math.isfinite(v) else None) for k, v in result.std_errors.items()},
        # the fit's ranges: ensembles draw only inside them (flywheel.ensemble)
        "bounds": {name: list(bound) for name, bound in result.bounds.items()},
        # with std_errors, the covariance that ensembles sample from (flywheel.ensemble)
        "correlations": {
            a: {b: (v if math.isfinite(v) else None) for b, v in row.items()}
            for a, row in result.correlations.items()
        },
        "warnings": result.warnings,
        "fit": {
            name: {k: stats["fit"][k] for k in ("n", "R2", "MAPE", "UM", "US", "UC")}
            for name, stats in result.to_dict()["statistics"].items()
        },
    }


def holdout_document(result: CalibrationResult, region: str) -> dict:
    """The out-of-sample test written to ``models/holdout/<region>.json``.

    For each series: the years after the holdout year, the forecast's MAPE and mean signed
    error, the naive straight line's, and whether the forecast beats it without one-sided
    errors.
    """
    series = {
        name: {"label": stats["label"], **stats["forecast"]}
        for name, stats in result.to_dict()["statistics"].items()
        if stats.get("forecast")
    }
    return {
        **_header(result, region),
        "rival": "a straight line through the last 4 observations up to the holdout year",
        "series": series,
    }


def load_holdout(region: str) -> dict | None:
    """The saved out-of-sample test of ``region``, or ``None`` when there is none."""
    path = HOLDOUT_DIR / f"{region.lower()}.json"
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document.get("series"), dict) else None
