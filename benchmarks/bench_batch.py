"""Benchmark: the batch engine against sequential pysd runs, N = 1 ... 10,000 members.

Members vary every lever (Latin hypercube over the lever box) and every calibrated
constant (over its calibration range), as an ensemble or a sensitivity analysis does.
Reports the median wall time and peak memory of one batch per N, and the median of
sequential pysd runs in the same process as the reference (1,000 runs by default), with
the ratio. A second table runs members that vary the levers only, as the dashboard's
fans and its users' runs do, with the lever gate (``flywheel.levers.lever_gate``): the
stretch before the policy start is integrated once and then reused from the second batch
on. Not a pass/fail test.

    python benchmarks/bench_batch.py [--sequential 1000] [--repeat 3]
"""

import argparse
import platform
import statistics
import time
import tracemalloc

import numpy as np
from scipy.stats import qmc

from calibration.series import load_params
from flywheel.levers import lever_gate, load_levers
from flywheel.simulate import DEFAULT_VARIABLES, batch_engine, engine

SIZES = (1, 10, 100, 1_000, 10_000)
TARGETS = {1_000: 0.5, 10_000: 2.0}


def members(count, seed=1, with_calibrated=True):
    """Model constant -> array of ``count`` values over the lever box and calibrated ranges."""
    levers = list(load_levers())
    calibrated = load_params() if with_calibrated else []
    unit = qmc.LatinHypercube(d=len(levers) + len(calibrated), seed=seed).random(count)
    params = {}
    for column, lever in enumerate(levers):
        values = lever.min + unit[:, column] * (lever.max - lever.min)
        if lever.kind in ("integer", "switch"):
            values = np.round(values)
        params[lever.name] = values
    for offset, param in enumerate(calibrated, start=len(levers)):
        params[param.name] = param.low + unit[:, offset] * (param.high - param.low)
    return params


def median_seconds(call, repeat) -> float:
    """The median wall time of ``repeat`` calls."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    model, batch = engine(), batch_engine()
    columns = list(DEFAULT_VARIABLES)
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"outputs: {len(columns)} variables x 46 years; 720 Euler steps per run\n")

    print(f"{'members':>8} {'median s':>9} {'ms/member':>10} {'peak MB':>8}")
    timings = {}
    for size in SIZES:
        params = members(size)
        timings[size] = median_seconds(
            lambda params=params: batch.run(params, columns), args.repeat
        )
        tracemalloc.start()
        batch.run(params, columns)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(f"{size:>8,} {timings[size]:>9.3f} {1000 * timings[size] / size:>10.3f} {peak:>8.1f}")

    print("\nlevers only, with the lever gate (the stretch before the start kept):")
    print(f"{'members':>8} {'first s':>9} {'median s':>9} {'ms/member':>10}")
    gate = lever_gate()
    for size in SIZES:
        params = members(size, seed=3, with_calibrated=False)
        # a start year nobody has chosen yet: the first batch integrates the stretch
        params["Policy start year"] = np.full(size, 2031.0)

        def gated(params=params):
            batch.run(params, columns, gate=gate)

        first = median_seconds(gated, 1)
        median = median_seconds(gated, args.repeat)
        print(f"{size:>8,} {first:>9.3f} {median:>9.3f} {1000 * median / size:>10.3f}")

    params = members(args.sequential, seed=2)
    runs = []
    for index in range(args.sequential):
        member = {name: float(values[index]) for name, values in params.items()}
        start = time.perf_counter()
        model.run(member, columns)
        runs.append(time.perf_counter() - start)
    per_run = statistics.median(runs)
    total = sum(runs)
    print(
        f"\nsequential pysd: {args.sequential:,} runs, median {1000 * per_run:.1f} ms per run, "
        f"{total:.1f} s in all"
    )
    for size, target in TARGETS.items():
        expected = per_run * size
        print(
            f"{size:>6,} members: {timings[size]:.3f} s (target <= {target} s) = "
            f"{expected / timings[size]:.0f}x faster than {size:,} sequential runs "
            f"({expected:.1f} s at the measured median)"
        )


if __name__ == "__main__":
    main()
