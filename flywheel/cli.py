"""Command line: ``flywheel run | ensemble | sensitivity | calibrate | serve | loops | ...``.

Every subcommand is a function taking parsed arguments and returning an exit code;
``main(argv)`` returns the code, so tests call it in-process. Exit codes: 0 success,
1 a behaviour check failed, 2 bad input (with a one-line message, never a traceback).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from flywheel.errors import FlywheelError, InputError
from flywheel.files import write_text

SUMMARY_YEARS = (2025, 2035, 2050)


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports usage errors as ``InputError``."""

    def error(self, message):
        raise InputError(f"{message} (see '{self.prog} --help')")


def _parse_sets(items: Sequence[str]) -> dict[str, str]:
    values = {}
    for item in items:
        lever, sep, value = item.partition("=")
        if not sep or not lever.strip():
            raise InputError(
                f"--set {item!r}: expected LEVER=VALUE, e.g. --set public_investment=6"
            )
        values[lever.strip()] = value.strip()
    return values


def _scenario(args: argparse.Namespace):
    """The scenario of ``--scenario`` with the ``--set`` changes on top."""
    from flywheel.scenarios import load_scenario

    scenario = load_scenario(args.scenario)
    if args.set:
        scenario = scenario.with_levers(_parse_sets(args.set))
    return scenario


def _variables(text: Sequence[str] | None) -> list[str] | None:
    if not text:
        return None
    from flywheel.simulate import DEFAULT_VARIABLES, engine

    names = [name.strip() for item in text for name in item.split(",") if name.strip()]
    model = engine()
    for name in names:
        try:
            model.variable(name)
        except InputError:
            close = difflib.get_close_matches(name, list(model.variables), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InputError(f"--vars: unknown model variable '{name}'{hint}") from None
    return list(dict.fromkeys(list(DEFAULT_VARIABLES) + names))


def _check_out(text: str | None) -> None:
    if not text:
        return
    path = Path(text)
    if path.suffix.lower() not in (".csv", ".json"):
        raise InputError(f"--out {text}: the file must end in .csv or .json")
    if not path.parent.resolve().is_dir():
        raise InputError(f"--out {text}: folder {path.parent} does not exist")


def _format_table(frame: pd.DataFrame) -> str:
    return frame.to_string(
        float_format=lambda value: f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario, print the main lines at 2025/2035/2050 and the stages reached."""
    from flywheel.scenarios import Scenario
    from flywheel.simulate import DEFAULT_VARIABLES, simulate

    scenario = _scenario(args)
    if args.region:
        if args.baseline:
            raise InputError("--region and --baseline both name a baseline: give one of them")
        args.baseline = args.region.strip().lower()
    variables = _variables(args.vars) or list(DEFAULT_VARIABLES) + ["GDP per person in US dollars"]
    _check_out(args.out)
    result = simulate(scenario, variables, baseline=args.baseline)
    changed = dict(scenario.levers)
    baseline = simulate(Scenario(), variables, baseline=args.baseline) if changed else None

    title = scenario.title or scenario.name
    print(
        f"Scenario: {title}"
        + (" with --set changes" if args.set else "")
        + f" (baseline: {result.baseline})"
    )
    if changed:
        print("Levers: " + ", ".join(f"{key}={value:g}" for key, value in changed.items()))
    summary = result.summary(SUMMARY_YEARS, baseline=baseline)
    if baseline is not None:
        summary[summary.columns[-1]] = summary[summary.columns[-1]].map(lambda v: f"{v:+.1f} %")
    print(_format_table(summary))
    stages = result.stage_years()
    line = ", ".join(f"{stage} {year if year else 'not reached'}" for stage, year in stages.items())
    print(f"Development stage reached by 2050: {result.final_stage()} ({line})")
    if baseline is not None:
        base = baseline.stage_years()
        print("Baseline: " + ", ".join(f"{s} {y if y else 'not reached'}" for s, y in base.items()))
    if changed:
        _print_attribution(scenario, args.baseline)
    if args.uncertainty:
        from flywheel.ensemble import run_ensemble

        _print_uncertainty(
            run_ensemble(args.uncertainty, args.seed, scenario, variables, args.baseline),
            SUMMARY_YEARS,
        )
    if args.out:
        path = result.write(args.out)
        rows, columns = result.frame.shape
        print(f"Results written to {path} ({rows} years x {columns} variables)")
    return 0


#: Short column labels for the attribution table: (model variable, label, scale).
ATTRIBUTION_COLUMNS = (
    ("Digital economy share of GDP", "DE share (pp)", 100),
    ("Digital Government Capability", "Government (index)", 1),
    ("Digital Society Adoption", "Society (pp)", 100),
    ("GDP per capita", "GDP/person (k yuan)", 1),
    ("Regional development index", "Dev. index", 1),
)


def _print_attribution(scenario, baseline) -> None:
    """Which lever contributed how much to each headline change (Shapley values)."""
    from flywheel.attribution import YEARS, attribute
    from flywheel.levers import load_levers

    split = attribute(scenario, baseline=baseline)
    if split.shares.empty:
        return
    labels = {lever.key: lever.label for lever in load_levers()}
    print(f"\nWhat each lever contributed to the change against the baseline ({split.method()}):")
    for year in YEARS:
        table = pd.DataFrame(
            {
                label: split.shares[(variable, year)] * scale
                for variable, label, scale in ATTRIBUTION_COLUMNS
            }
        )
        table.index = [labels.get(key, key) for key in table.index]
        table.loc["Total change"] = [
            split.change[(variable, year)] * scale for variable, _, scale in ATTRIBUTION_COLUMNS
        ]
        print(f"{year}:")
        print(table.to_string(float_format=lambda v: f"{v:+.3g}"))


def _uncertainty_table(ensemble, years) -> pd.DataFrame:
    """Median and 5-95 % range of the main lines in ``years``."""
    from flywheel.results import MAIN_LINES

    rows = {}
    for variable, label, scale, unit in MAIN_LINES:
        if variable not in ensemble.result.values:
            continue
        band = ensemble.band(variable) * scale
        for year in years:
            low, mid, high = band.loc[year]
            rows.setdefault(f"{label} ({unit})", {})[year] = (
                f"{mid:,.3g} [{low:,.3g}-{high:,.3g}]"
                if abs(mid) < 100
                else f"{mid:,.0f} [{low:,.0f}-{high:,.0f}]"
            )
    return pd.DataFrame(rows).T


def _print_uncertainty(ensemble, years) -> None:
    members = ensemble.result.members
    print(
        f"\nUncertainty: {members:,} members drawn from the calibration's posterior "
        f"({len(ensemble.draws.columns) - len(ensemble.held)} constants; median [5-95 %])"
    )
    print(_uncertainty_table(ensemble, years).to_string())
    if ensemble.held:
        print(
            "Held at their estimates (ended on a bound of the fit, no standard error): "
            + ", ".join(ensemble.held)
        )


def cmd_ensemble(args: argparse.Namespace) -> int:
    """Run N members drawn from the posterior; write members.csv and trajectories.csv."""
    from flywheel.ensemble import run_ensemble

    scenario = _scenario(args)
    variables = _variables(args.vars)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {args.out}: not a folder")
    ensemble = run_ensemble(
        args.members, args.seed, scenario, variables, args.baseline, args.scheduler, args.chunk
    )
    out.mkdir(parents=True, exist_ok=True)
    members_file = write_text(out / "members.csv", ensemble.draws.to_csv())
    trajectories = ensemble.result.long()
    trajectories_file = write_text(out / "trajectories.csv", trajectories.to_csv(index=False))
    _print_uncertainty(ensemble, SUMMARY_YEARS)
    print(
        f"\n{members_file} ({len(ensemble.draws):,} members x {len(ensemble.draws.columns)} "
        f"constants)\n{trajectories_file} ({len(trajectories):,} rows: member, year and "
        f"{len(trajectories.columns) - 2} variables)"
    )
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Sobol or Morris indices of chosen outputs over the uncertain constants and/or levers."""
    from flywheel.sensitivity import analyse, parse_outputs

    scenario = _scenario(args)
    outputs = parse_outputs(args.outputs)
    _check_out(args.out)
    result = analyse(
        args.method,
        args.factors,
        args.samples,
        outputs,
        scenario,
        args.baseline,
        args.seed,
        args.scheduler,
        args.chunk,
    )
    what = "first- and total-order Sobol indices with 95 % intervals"
    if result.method == "morris":
        what = "Morris mu* (mean absolute effect, output units) with its 95 % interval and sigma"
    print(
        f"Sensitivity of {len(outputs)} outputs to {len(result.factors)} factors "
        f"({args.factors}): {what}; {result.runs:,} runs in {result.seconds:.1f} s"
    )
    frames = []
    for output in outputs:
        ranking = result.ranking(output)
        print(f"\n{output[0]} in {output[1]}:")
        print(ranking.to_string(float_format=lambda v: f"{v:.3g}"))
        frames.append(ranking.assign(output=output[0], year=output[1]).reset_index())
    if args.out:
        table = pd.concat(frames, ignore_index=True)
        path = Path(args.out)
        if path.suffix.lower() == ".csv":
            write_text(path, table.to_csv(index=False))
        else:
            write_text(path, table.to_json(orient="records", indent=1))
        print(f"\nIndices written to {path}")
    return 0


def cmd_levers(args: argparse.Namespace) -> int:
    """Print the lever table."""
    from flywheel.levers import load_levers

    rows = [
        {
            "lever": lever.key,
            "label": lever.label,
            "unit": lever.unit,
            "min": lever.min,
            "max": lever.max,
            "default": lever.default,
            "group": lever.group,
        }
        for lever in load_levers()
    ]
    print(pd.DataFrame(rows).set_index("lever").to_string(float_format=lambda v: f"{v:g}"))
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the scenario presets."""
    from flywheel.scenarios import load_scenario, preset_names

    for name in preset_names():
        scenario = load_scenario(name)
        levers = (
            ", ".join(f"{key}={value:g}" for key, value in scenario.levers.items()) or "defaults"
        )
        print(f"{name:34s} {scenario.title}: {levers}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Run the behaviour checks; exit code 1 if any fails."""
    from flywheel.checks import run_checks

    results = run_checks(thorough=args.thorough)
    for result in results:
        print(f"{'PASS' if result.passed else 'FAIL'}  {result.name}: {result.detail}")
    failed = sum(not result.passed for result in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def cmd_info(args: argparse.Namespace) -> int:
    """Print the model's stocks with their flows, the levers and the named loops."""
    from flywheel.levers import load_levers
    from flywheel.loops import load_loops
    from flywheel.simulate import engine

    model = engine()
    py_to_name = {v.py_name: v.name for v in model.variables.values()}
    print(
        f"Model: {model.mdl_path.name}  ({len(model.variables)} variables, "
        f"{model.initial_time:g}-{model.final_time:g}, TIME STEP {model.time_step:g})"
    )
    print("\nStocks (flows):")
    for variable in model.variables.values():
        if variable.is_stock:
            flows = model.dependencies[f"_integ_{variable.py_name}"]["step"]
            names = ", ".join(py_to_name.get(flow, flow) for flow in flows)
            print(f"  {variable.name} [{variable.units}]: {names}")
    print("\nLevers:")
    for lever in load_levers():
        print(f"  {lever.key:26s} {lever.label} ({lever.range_text}, default {lever.default:g})")
    print("\nFeedback loops:")
    for loop in load_loops():
        print(f"  {loop.code:3s} {loop.name} ({loop.polarity}): {' > '.join(loop.paths[0])}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the model to data; write a JSON and an HTML report; save the calibrated baseline."""
    import json

    from calibration.fit import DEFAULT_TOLERANCE, REGION_TOLERANCE, calibrate
    from calibration.report import baseline_document, text_report, write_reports
    from calibration.series import load_params, load_series, series_from_files
    from flywheel.baselines import CALIBRATED_DIR, load_baseline
    from flywheel.paths import MODELS_DIR
    from flywheel.simulate import simulate

    if args.holdout is not None and not 2006 <= args.holdout <= 2049:
        raise InputError(f"--holdout {args.holdout}: must be a year between 2006 and 2049")
    if args.all:
        return _calibrate_all(args)
    fixed, meta = {}, {}
    setup = _region_setup(args)
    if setup is not None:
        region = setup.iso3.lower()
        series = setup.series
        params = load_params(Path(args.params)) if args.params else setup.params
        fixed = setup.fixed
        meta = {
            "region": setup.iso3,
            "currency": setup.currency,
            "borrowed": setup.borrowed,
            "notes": setup.notes,
            "title": setup.title,
            # kept in the baseline: the dashboard draws the region's own data
            "observations": {s.name: s.to_document() for s in setup.series},
        }
        title = (
            f"Calibration for {setup.title} (levels from its own data, money in {setup.currency})"
        )
    else:
        region = "china"
        series = _data_series(args.data, load_series, series_from_files)
        params = load_params(Path(args.params)) if args.params else load_params()
        title = "Calibration for China (national level)"
        meta = {"region": "CHN", "currency": "yuan"}
    base = None if setup else "model"  # China is fitted from the model file's constants
    result = calibrate(
        series,
        params,
        method=args.method,
        seed=args.seed,
        holdout=args.holdout,
        progress=True,
        baseline=base,
        fixed=fixed,
        tolerance=REGION_TOLERANCE if setup is not None else DEFAULT_TOLERANCE,
        speculate=setup is not None,  # China's reference fit: one pysd run per trial point
        check_bounds=True,  # an estimate on a bound says why it is there
    )
    result.meta = meta
    print(text_report(result))
    if meta.get("borrowed"):
        print(f"\nLevels from {setup.title}'s own data: " + "; ".join(meta["notes"]))
        print("Borrowed from China (no data for them here): " + ", ".join(meta["borrowed"]))
    out = Path(args.out) if args.out else MODELS_DIR.parent / "calibration" / "output" / region
    json_path, html_path = write_reports(result, out, title)
    print(f"\nReports: {json_path} and {html_path}")
    if not result.success:
        print("The fit did not converge: no baseline saved.")
        return 1
    if args.holdout is not None:
        # fitted to part of the data: a test of the model, never the baseline
        if not args.no_save:
            from calibration.report import HOLDOUT_DIR, holdout_document

            HOLDOUT_DIR.mkdir(parents=True, exist_ok=True)
            target = HOLDOUT_DIR / f"{region}.json"
            document = holdout_document(result, region.upper())
            write_text(target, json.dumps(document, indent=1) + "\n")
            print(f"Out-of-sample test saved: {target} (the Calibration page shows it)")
        print("A fit with --holdout is a test: the baseline is not changed.")
        return 0
    if setup is not None:
        from calibration.atlas import WATCHED, implausible

        run = simulate(variables=list(WATCHED), params={**fixed, **result.params}).frame
        reason = implausible(run)
        if reason:
            print(f"Not saved as a baseline: the fitted path is implausible ({reason}).")
            return 1
    if not args.no_save:
        document = baseline_document(result, region.upper())
        if setup is not None:  # self-contained: China's constants, the levels, the fit
            document["params"] = {**load_baseline(None).params, **fixed, **result.params}
            document.update(meta)
        CALIBRATED_DIR.mkdir(parents=True, exist_ok=True)
        target = CALIBRATED_DIR / f"{region}.json"
        write_text(target, json.dumps(document, indent=1) + "\n")
        load_baseline.cache_clear()
        print(f"Baseline saved: {target} (use it with: flywheel run --region {region})")
    return 0


def _region_setup(args: argparse.Namespace):
    """The region a calibration is for: a bundled country, a region folder, or None (China)."""
    from calibration.country import region, setup
    from calibration.regionpack import DESCRIPTOR, read_region

    folders = [Path(item) for item in args.data or [] if (Path(item) / DESCRIPTOR).is_file()]
    if args.name and not folders:
        raise InputError(
            "--name goes with --data DIR, a region folder with a datapackage.json "
            "(write one with: flywheel region template DIR)"
        )
    if folders:
        if len(args.data) > 1 or args.country:
            raise InputError(
                "--data DIR: a region folder is fitted alone (one --data, no --region)"
            )
        return setup(read_region(folders[0], args.name))
    return region(args.country) if args.country else None


def cmd_region(args: argparse.Namespace) -> int:
    """Write an empty region folder, or check a filled one."""
    from calibration.regionpack import read_region, write_template

    if args.action == "template":
        country = args.currency_country.upper() if args.currency_country else ""
        paths = write_template(args.folder, args.name or "", args.currency or "", country)
        print(f"Wrote {len(paths)} files to {args.folder}:")
        for path in paths:
            print(f"  {path}")
        print(
            "Fill the CSV files (year,value,source; one row per year you have), set the units, "
            "sources and region.currency in datapackage.json, then run:\n"
            f"  flywheel region check {args.folder}\n"
            f'  flywheel calibrate --data {args.folder} --name "{args.name or "My region"}"'
        )
        return 0
    data = read_region(args.folder, args.name)
    print(f"{args.folder}: a valid region folder for '{data.title}' (money in {data.currency})")
    for label, values in (
        ("population", data.population),
        ("GDP, own currency", data.gdp_local),
        ("GDP, US dollars", data.gdp_usd),
        ("GDP deflator change", data.deflator),
        ("e-government", data.egov),
        ("internet users", data.internet),
        ("digital economy share", data.digital_share),
    ):
        if values is None or not len(values):
            print(f"  {label:22s} none")
        else:
            print(
                f"  {label:22s} {len(values):3d} years, {int(values.index.min())}-"
                f"{int(values.index.max())}"
            )
    for note in data.notes:
        print(f"  note: {note}")
    return 0


def _calibrate_all(args: argparse.Namespace) -> int:
    """Fit every country with enough data; write the atlas table and print its summary."""
    from calibration.atlas import build_atlas, summary
    from flywheel.paths import MODELS_DIR

    if args.country or args.data or args.params or args.name:
        raise InputError("--all fits every country: it takes no --region, --data or --params")
    target = Path(args.out) if args.out else MODELS_DIR.parent / "calibration" / "atlas.csv"
    if target.suffix.lower() != ".csv":
        raise InputError(f"--out {target}: with --all, the atlas is a .csv file")
    atlas = build_atlas()
    write_text(target, atlas.to_csv(index=False))
    refused = atlas[atlas["status"] != "fitted"].drop_duplicates("region")
    fitted = atlas[atlas["status"] == "fitted"]
    seconds = atlas.drop_duplicates("region")["seconds"]
    print(
        f"{fitted['region'].nunique()} countries fitted, {len(refused)} refused; "
        f"median {seconds.median():.1f} s per country (worst {seconds.max():.1f} s)"
    )
    print(summary(atlas).to_string())
    for series, limit in (("population", 0.03), ("gdp_per_person_usd", 0.15)):
        errors = fitted[fitted["series"] == series]["error_2023"].abs()
        print(
            f"{series}: 2023 error within {limit:.0%} for {(errors <= limit).sum()} of "
            f"{len(errors)} countries (median {errors.median():.1%}, worst {errors.max():.1%})"
        )
    for _, row in refused.iterrows():
        print(f"  {row['region']}: {row['status']}")
    print(f"Atlas written to {target}")
    return 0


def cmd_regions(args: argparse.Namespace) -> int:
    """List the regions shipped (saved baselines) and those the bundled data can fit."""
    from calibration.country import list_regions
    from flywheel.baselines import baseline_names

    table = list_regions()
    saved = set(baseline_names())
    table["saved baseline"] = [code.lower() in saved for code in table.index]
    print(
        f"Saved baselines: {', '.join(sorted(saved))} (flywheel run --region NAME). "
        f"{int(table['can fit'].sum())} of {len(table)} countries have enough data to fit "
        "(at least 5 EGDI surveys, 10 years of internet use, 2005 population and GDP): "
        "flywheel calibrate --region ISO3"
    )
    shown = table if args.all else table[table["can fit"]]
    print(shown.to_string())
    return 0


def _data_series(data, load_default, from_files):
    if not data:
        return load_default()
    files = []
    for item in data:
        path = Path(item)
        if path.is_dir():
            files += sorted(path.glob("*.csv"))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"--data {item}: no such file or folder")
    if not files:
        raise InputError("--data: no CSV files found")
    return from_files(files)


def cmd_loops(args: argparse.Namespace) -> int:
    """Print the feedback loops and which one dominates when (Loops That Matter)."""
    from flywheel.ltm import loop_dominance

    scenario = _scenario(args)
    _check_out(args.out)
    result = loop_dominance(scenario, baseline=args.baseline)
    print(
        f"Scenario: {scenario.title or scenario.name}; {len(result.loops)} feedback loops in the model"
    )
    table = result.summary_table()
    print(table.drop(columns="variables").to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nWhich loop dominates when (largest share of loop activity, Loops That Matter):")
    for period in result.periods():
        kind = "reinforcing" if period["polarity"] > 0 else "balancing"
        print(
            f"  {period['start']:.0f}-{period['end']:.0f}  {period['label']} ({kind}, "
            f"{period['share']:.0%} of loop activity)"
        )
    if args.out:
        path = Path(args.out)
        scores = result.export()
        if path.suffix.lower() == ".csv":
            write_text(path, scores.to_csv())
        else:
            import json

            write_text(
                path,
                json.dumps(
                    {
                        "scenario": scenario.to_dict(),
                        "loops": table.to_dict("records"),
                        "periods": result.periods(),
                        "time": scores.index.tolist(),
                        "relative_scores": {str(k): v.tolist() for k, v in scores.items()},
                    },
                    indent=1,
                ),
            )
        print(f"Relative loop scores written to {path}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the dashboard."""
    if not 0 < args.port < 65536:
        raise InputError(f"--port {args.port}: must be between 1 and 65535")
    from dashboard.app import check_port, serve

    check_port(args.host, args.port)  # before the banner: a busy port is a one-line error
    print(f"Dashboard on http://{args.host}:{args.port}/ (Ctrl+C to stop)")
    serve(args.host, args.port, production=args.production)
    return 0


def _distribution_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS|local",
        help="run in chunks on Dask: a scheduler's address (tcp://host:8786) or 'local' "
        "(worker processes here); default: here, or local processes above one chunk",
    )
    parser.add_argument(
        "--chunk", type=int, default=10_000, help="members per Dask task (default 10,000)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(prog="flywheel", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="run a scenario and summarise the main lines")
    run.add_argument("--scenario", default="baseline", help="preset name or scenario JSON file")
    run.add_argument(
        "--set", action="append", metavar="LEVER=VALUE", help="set a lever (repeatable)"
    )
    run.add_argument(
        "--vars", action="append", metavar="A,B", help="extra model variables to write"
    )
    run.add_argument("--out", metavar="FILE", help="write results to FILE.csv or FILE.json")
    run.add_argument(
        "--baseline",
        metavar="NAME|FILE",
        help="calibrated baseline: a name (default china; 'model' = uncalibrated), a "
        "baseline file or a calibration's result.json",
    )
    run.add_argument(
        "--region",
        metavar="ISO3",
        help="the baseline saved by 'flywheel calibrate --region ISO3' (same as --baseline iso3)",
    )
    run.add_argument(
        "--uncertainty",
        type=int,
        metavar="N",
        help="also run N members drawn from the calibration's posterior; print 5-95 %% ranges",
    )
    run.add_argument("--seed", type=int, default=1, help="seed of the --uncertainty draw")
    run.set_defaults(func=cmd_run)

    ensemble = commands.add_parser(
        "ensemble", help="members drawn from the calibration's posterior, as CSV files"
    )
    ensemble.add_argument("--members", type=int, default=1000, help="number of members")
    ensemble.add_argument("--seed", type=int, default=1, help="seed of the draw")
    ensemble.add_argument("--out", metavar="DIR", required=True, help="folder for the CSV files")
    ensemble.add_argument("--scenario", default="baseline", help="preset name or scenario file")
    ensemble.add_argument(
        "--set", action="append", metavar="LEVER=VALUE", help="set a lever (repeatable)"
    )
    ensemble.add_argument(
        "--vars", action="append", metavar="A,B", help="extra model variables to write"
    )
    ensemble.add_argument(
        "--baseline", metavar="NAME|FILE", help="calibrated baseline (default china)"
    )
    _distribution_options(ensemble)
    ensemble.set_defaults(func=cmd_ensemble)

    loops = commands.add_parser("loops", help="feedback loops and which dominates when")
    loops.add_argument("--scenario", default="baseline", help="preset name or scenario JSON file")
    loops.add_argument(
        "--set", action="append", metavar="LEVER=VALUE", help="set a lever (repeatable)"
    )
    loops.add_argument(
        "--baseline", metavar="NAME|FILE", help="calibrated baseline (default china)"
    )
    loops.add_argument(
        "--out", metavar="FILE", help="write relative loop scores to FILE.csv or FILE.json"
    )
    loops.set_defaults(func=cmd_loops)

    sens = commands.add_parser(
        "sensitivity", help="which uncertain constants or levers matter most (Sobol, Morris)"
    )
    sens.add_argument("--method", choices=("sobol", "morris"), default="sobol")
    sens.add_argument(
        "--factors",
        choices=("constants", "levers", "both"),
        default="constants",
        help="calibrated constants (+-2 standard errors), policy levers (slider ranges), or both",
    )
    sens.add_argument(
        "--samples",
        type=int,
        default=1024,
        help="Sobol base sample (a power of two) or Morris trajectories (default 1024)",
    )
    sens.add_argument(
        "--outputs",
        metavar="VAR@YEAR,...",
        help="outputs to analyse (default: the headline lines in 2050)",
    )
    sens.add_argument("--scenario", default="baseline", help="preset name or scenario file")
    sens.add_argument(
        "--set", action="append", metavar="LEVER=VALUE", help="set a lever (repeatable)"
    )
    sens.add_argument("--baseline", metavar="NAME|FILE", help="calibrated baseline")
    sens.add_argument("--seed", type=int, default=1, help="seed of the sample")
    sens.add_argument("--out", metavar="FILE", help="write the indices to FILE.csv or FILE.json")
    _distribution_options(sens)
    sens.set_defaults(func=cmd_sensitivity)

    calib = commands.add_parser("calibrate", help="fit the model to data and save the baseline")
    calib.add_argument(
        "--data",
        action="append",
        metavar="DIR|FILE",
        help="your own series: CSV files named after a series (e.g. egdi.csv)",
    )
    calib.add_argument(
        "--params", metavar="FILE", help="parameter spec (TOML) instead of the default"
    )
    calib.add_argument("--method", choices=("local", "global"), default="local")
    calib.add_argument(
        "--holdout", type=int, metavar="YEAR", help="fit up to YEAR, test on later years"
    )
    calib.add_argument("--seed", type=int, default=0, help="seed of the global search")
    calib.add_argument("--out", metavar="DIR", help="folder for result.json and report.html")
    calib.add_argument(
        "--region",
        "--country",
        dest="country",
        metavar="ISO3",
        help="recalibrate for another country (--country is the older name)",
    )
    calib.add_argument(
        "--name",
        metavar="NAME",
        help='with --data DIR (a region folder): the region\'s name, e.g. "Zhejiang"',
    )
    calib.add_argument("--no-save", action="store_true", help="do not save the calibrated baseline")
    calib.add_argument(
        "--all",
        action="store_true",
        help="fit every country with enough data, in parallel; write calibration/atlas.csv",
    )
    calib.set_defaults(func=cmd_calibrate)

    serve = commands.add_parser("serve", help="start the dashboard (http://127.0.0.1:8050)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8050, help="port to listen on")
    serve.add_argument(
        "--production",
        action="store_true",
        help="run under gunicorn, one worker per core, debug off",
    )
    serve.set_defaults(func=cmd_serve)

    check = commands.add_parser("check", help="run the behaviour checks")
    check.add_argument(
        "--thorough",
        action="store_true",
        help="scan 1,000 Latin-hypercube lever settings, not the quick subset",
    )
    check.set_defaults(func=cmd_check)

    regions = commands.add_parser(
        "regions", help="regions shipped and countries that can be calibrated"
    )
    regions.add_argument("--all", action="store_true", help="also list those that cannot")
    regions.set_defaults(func=cmd_regions)

    own = commands.add_parser("region", help="your own region: write a template folder, check it")
    own.add_argument("action", choices=("template", "check"), help="template: write; check: read")
    own.add_argument("folder", metavar="DIR", help="the region folder")
    own.add_argument("--name", metavar="NAME", help='the region\'s name, e.g. "Zhejiang"')
    own.add_argument("--currency", help="template: what its money is called, e.g. yuan")
    own.add_argument(
        "--currency-country",
        metavar="ISO3",
        help="template: the country whose currency it is (its exchange rate and deflator)",
    )
    own.set_defaults(func=cmd_region)

    for name, func, text in (
        ("levers", cmd_levers, "list the levers (sliders) with ranges"),
        ("scenarios", cmd_scenarios, "list the scenario presets"),
        ("info", cmd_info, "list stocks, flows, levers and feedback loops"),
    ):
        commands.add_parser(name, help=text).set_defaults(func=func)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Examples
    --------
    >>> main(["run", "--set", "public_investment=99"])  # the message goes to stderr
    2
    """
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except FlywheelError as error:
        print(f"flywheel: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except OSError as error:
        detail = error.strerror or str(error)
        if error.filename is not None:
            detail = f"{detail}: {error.filename}"
        print(f"flywheel: error: {detail}", file=sys.stderr)
        return 2
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)


if __name__ == "__main__":
    raise SystemExit(main())
