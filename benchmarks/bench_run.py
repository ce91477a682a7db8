"""Benchmark: wall time of full 2005-2050 runs of the flywheel model.

Reports the median of one full baseline run, of runs with random lever values, the
number of variables and integration steps, a reference run at TIME STEP 0.25 measured
in the same process, and where the time goes (fixed cost per run vs cost per step).
Not a pass/fail test.

    python benchmarks/bench_run.py [--repeat 21] [--random 100]
"""

import argparse
import platform
import random
import statistics
import time

from flywheel import Scenario, load_levers, simulate
from flywheel.simulate import engine

TARGET_MS = 50.0


def timed(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def random_scenarios(count, seed=1):
    rng = random.Random(seed)
    table = load_levers()
    return [
        Scenario.from_levers(
            {
                lever.key: rng.uniform(lever.min, lever.max)
                if lever.kind == "number"
                else rng.randint(int(lever.min), int(lever.max))
                for lever in table
            }
        )
        for _ in range(count)
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--random", type=int, default=100)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    model = engine()
    load_levers()
    print(f"first load (translation cached or not): {time.perf_counter() - start:.2f} s")
    steps = round((model.final_time - model.initial_time) / model.time_step)
    print(
        f"model: {len(model.variables)} variables, TIME STEP {model.time_step:g} year, "
        f"{steps} integration steps, python {platform.python_version()}"
    )

    simulate()  # warm the thread's model
    baseline = timed(simulate, args.repeat)
    median = statistics.median(baseline) * 1000
    print(
        f"one full run (baseline, {len(simulate().frame.columns)} outputs): "
        f"median {median:.1f} ms over {args.repeat} runs "
        f"(target <= {TARGET_MS:.0f} ms: {'met' if median <= TARGET_MS else 'NOT met'})"
    )

    scenarios = random_scenarios(args.random)
    per_run = timed(lambda: [simulate(s) for s in scenarios], 3)
    batch = statistics.median(per_run)
    print(
        f"{args.random} runs with random lever values: median {batch:.2f} s "
        f"({batch / args.random * 1000:.1f} ms per run)"
    )

    coarse = statistics.median(timed(lambda: simulate(time_step=0.25), args.repeat)) * 1000
    print(
        f"reference in the same run, TIME STEP 0.25 (180 steps): median {coarse:.1f} ms; "
        f"ratio {median / coarse:.2f}x for {steps / 180:.0f}x the steps"
    )

    # where the time goes: a fixed cost per run plus a cost per Euler step
    per_step = (median - coarse) / (steps - 180)
    fixed = median - per_step * steps
    print(
        f"where the time goes: about {fixed:.1f} ms fixed per run (pysd set-up, output) "
        f"+ {per_step * 1000:.0f} us per integration step x {steps} steps "
        f"= {per_step * steps:.1f} ms in the Euler loop"
    )


if __name__ == "__main__":
    main()
