"""Benchmark: cost of the loop-dominance analysis (Loops That Matter) against a model run.

Both are measured in the same process on the same scenarios (new lever values each
time, so no memo helps): the median time of a full analysis, of a plain run, and their
ratio (target: at most 3). Not a pass/fail test.

Usage: ``python benchmarks/bench_loops.py [--repeat 11]``
"""

import argparse
import statistics
import time

from flywheel import Scenario, simulate
from flywheel.ltm import loop_dominance, structure
from flywheel.simulate import engine

TARGET_RATIO = 3.0


def timed(func, scenarios):
    times = []
    for scenario in scenarios:
        start = time.perf_counter()
        func(scenario)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    graph, cycles, named = structure(engine())
    print(
        f"structure (once per process): {len(graph)} variables, {graph.number_of_edges()} links, "
        f"{len(cycles)} loops, {len(named)} named, {(time.perf_counter() - start) * 1000:.0f} ms"
    )
    loop_dominance()  # warm up
    scenarios = [
        Scenario.from_levers({"rd_intensity": 3 + 0.1 * (i + 1)}) for i in range(args.repeat)
    ]
    analysis = timed(loop_dominance, scenarios)
    run = timed(
        simulate,
        [Scenario.from_levers({"rd_intensity": 2 + 0.1 * (i + 1)}) for i in range(args.repeat)],
    )
    ratio = analysis / run
    print(
        f"loop dominance for one full run: median {analysis:.0f} ms; the run alone: {run:.0f} ms; "
        f"ratio {ratio:.2f} (target <= {TARGET_RATIO:g}: {'met' if ratio <= TARGET_RATIO else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
