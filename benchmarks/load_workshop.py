"""Load test: a workshop of participants dragging sliders at once, with a cross-talk check.

Starts ``flywheel serve --production`` (gunicorn, one worker per core) unless ``--url``
names a running server, then runs ``--users`` simulated participants with locust for
``--seconds``. Each participant drags one lever after another through a seeded path of
settings, sending what the page sends: the lever's fan when the pointer comes onto it (the
scenario at every step of its slider), nothing while the drag is drawn in the page
(0.3-0.8 s), the whole picture with bands at the release, then the lever waterfall; a think
pause of 1-3 s before the next drag. Every fan and picture is checked against the serial
pysd run of that participant's own settings (the first chart's scenario line, to 1e-9): a
mismatch is counted as cross-talk.

Prints requests per second, median and 95th-percentile latency, errors and cross-talk;
the target is p95 <= 300 ms, 0 errors and 0 cross-talk with 50 participants. Not part of
``make test``: ``make load`` runs it.

    python benchmarks/load_workshop.py [--users 50] [--seconds 60] [--url http://...]
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from locust import HttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.workshop_requests import (  # noqa: E402
    attribution_body,
    fan_body,
    update_body,
)
from flywheel import Scenario, load_levers, simulate  # noqa: E402
from flywheel.simulate import simulate_many  # noqa: E402

DRAGGED = ("public_investment", "enterprise_investment", "rd_intensity", "policy_dividend")
SETTINGS = 20_000  # settings the participants move through (a memo hit is rare)
CHECKED_AGAINST_PYSD = 50
CHART_VARIABLE = "Digital economy value added nominal"  # explore-chart-0, scale 1


def settings(seed=3):
    """Seeded lever settings (the drags' stops, nearly all distinct) and their answers.

    The answers are computed as one batch of independent members (equal to pysd's own
    runs to 1e-9, tested in tests/flywheel/test_batch.py); ``CHECKED_AGAINST_PYSD`` of them
    are re-run here through pysd one at a time, to show the reference itself is right.
    """
    rng = random.Random(seed)
    table = load_levers()
    stops = []
    for _ in range(SETTINGS):
        levers = table.defaults()
        for key in DRAGGED:
            lever = table.get(key)
            levers[key] = round(rng.uniform(lever.min, lever.max), 1)  # the slider's step
        stops.append(levers)
    scenarios = [Scenario.from_levers(levers) for levers in stops]
    batch = simulate_many(scenarios, variables=[CHART_VARIABLE])
    answers = [batch.values[CHART_VARIABLE][i].tolist() for i in range(len(stops))]
    for index in rng.sample(range(len(stops)), CHECKED_AGAINST_PYSD):
        serial = simulate(scenarios[index]).frame[CHART_VARIABLE].tolist()
        worst = max(
            abs(a - b) / max(abs(b), 1e-12) for a, b in zip(answers[index], serial, strict=True)
        )
        assert worst < 1e-9, f"reference differs from pysd by {worst:g}"
    return list(zip(stops, answers, strict=True))


class Tally:
    """Cross-talk and error counts shared by the simulated participants."""

    crosstalk = 0
    checked = 0
    shed = 0  # fans the server was too busy to make


def scenario_line(figure) -> list:
    """The scenario's line in a full figure or in a partial update (a Dash Patch)."""
    if "operations" in figure:
        return next(
            op["params"]["value"]
            for op in figure["operations"]
            if op["location"] == ["data", 1, "y"]
        )
    return next(t for t in figure["data"] if t["name"] == "This scenario")["y"]


def participant_class(stops, dependencies, bands=True, fans=True, waterfall=True):
    class Participant(HttpUser):
        wait_time = between(1.0, 3.0)  # thinking between drags

        def on_start(self):
            self.rng = random.Random(id(self))

        def post(self, body, name):
            return self.client.post(
                "/_dash-update-component",
                data=json.dumps(body),
                headers={"Content-Type": "application/json"},
                catch_response=True,
                name=name,
            )

        def check(self, response, line, expected, tolerance=1e-9):
            Tally.checked += 1
            if any(
                abs(a - b) > tolerance * max(abs(b), 1e-12)
                for a, b in zip(line, expected, strict=True)
            ):
                Tally.crosstalk += 1
                response.failure("cross-talk: the answer is not this participant's run")

        def picture(self, levers, expected, final):
            body = update_body(dependencies, levers, bands, drag=not final)
            name = "whole picture (release)" if final else "line while dragging"
            with self.post(body, name) as r:
                if r.status_code != 200:
                    r.failure(f"HTTP {r.status_code}")
                    return
                figure = r.json()["response"]["explore-chart-0"]["figure"]
                self.check(r, scenario_line(figure), expected)

        def fan(self, levers, expected, key) -> bool:
            """The lever's fan; False when the server was too busy to make one."""
            with self.post(fan_body(dependencies, levers, key), "fan (pointer on a lever)") as r:
                if r.status_code == 204:
                    Tally.shed += 1
                    r.success()
                    return False
                if r.status_code != 200:
                    r.failure(f"HTTP {r.status_code}")
                    return False
                fan = r.json()["response"]["explore-fan"]["data"]
                step = round((levers[key] - fan["min"]) / fan["step"])
                # a fan travels with 7 significant digits: a check at 1e-6 still tells
                # one participant's scenario from another's
                self.check(r, fan["lines"][0][step], expected, 1e-6)
                return True

        @task
        def drag(self):
            """What the page sends for one drag: the lever's fan when the pointer comes onto
            it, nothing while the fan draws the drag (else a request per move, one at a
            time), the whole picture with bands at the release, then the lever waterfall."""
            levers, expected = stops[self.rng.randrange(len(stops))]
            key = self.rng.choice(DRAGGED)
            if fans and self.fan(levers, expected, key):
                gevent.sleep(self.rng.uniform(0.3, 0.8))  # the drag, drawn in the page
            else:
                for _ in range(self.rng.randint(5, 11)):  # the gate: one move at a time
                    passing, line = stops[self.rng.randrange(len(stops))]
                    self.picture(passing, line, final=False)
                    gevent.sleep(self.rng.uniform(0.05, 0.08))
            self.picture(levers, expected, final=True)
            if waterfall:
                with self.post(attribution_body(dependencies, levers), "lever waterfall") as r:
                    if r.status_code != 200:
                        r.failure(f"HTTP {r.status_code}")

    return Participant


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "flywheel.cli", "serve", "--production", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    return process, url


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--url", help="a running dashboard (default: start one)")
    parser.add_argument(
        "--bands", choices=("on", "off"), default="on", help="uncertainty bands, as the switch"
    )
    parser.add_argument(
        "--fans", choices=("on", "off"), default="on", help="off: a request per move, as before"
    )
    parser.add_argument(
        "--waterfall", choices=("on", "off"), default="on", help="the lever waterfall's request"
    )
    args = parser.parse_args(argv)

    print(f"computing the answers of {SETTINGS:,} settings ...", flush=True)
    stops = settings()
    process = None
    url = args.url
    if not url:
        process, url = start_server()
    try:
        import requests

        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(url + "/", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.5)
        dependencies = requests.get(url + "/_dash-dependencies", timeout=10).json()
        # warm each worker's memo of the baseline and its bands (as a first visit does)
        for _ in range(4):
            body = json.dumps(
                update_body(dependencies, load_levers().defaults(), args.bands == "on")
            )
            requests.post(
                url + "/_dash-update-component",
                data=body,
                headers={"Content-Type": "application/json"},
                timeout=60,
            )
        user = participant_class(
            stops, dependencies, args.bands == "on", args.fans == "on", args.waterfall == "on"
        )
        env = Environment(user_classes=[user], host=url)
        runner = env.create_local_runner()
        runner.start(args.users, spawn_rate=args.users)
        gevent.spawn_later(args.seconds, runner.quit)
        runner.greenlet.join()
        total = env.stats.total
        for name, entry in sorted(env.stats.entries.items()):
            print(
                f"  {name[0]:28s} {entry.num_requests:6d} requests, median "
                f"{entry.get_response_time_percentile(0.5):5.0f} ms, p95 "
                f"{entry.get_response_time_percentile(0.95):5.0f} ms"
            )
        print(
            f"{args.users} participants, bands {args.bands}, fans {args.fans}, "
            f"waterfall {args.waterfall}, {args.seconds:.0f} s, "
            f"{os.cpu_count()} cores: "
            f"{total.num_requests} requests ({total.total_rps:.1f}/s), "
            f"median {total.get_response_time_percentile(0.5):.0f} ms, "
            f"p95 {total.get_response_time_percentile(0.95):.0f} ms, "
            f"max {total.max_response_time:.0f} ms"
        )
        print(
            f"errors: {total.num_failures - Tally.crosstalk}, cross-talk: {Tally.crosstalk} "
            f"in {Tally.checked} checked answers; fans shed (server busy): {Tally.shed}"
        )
        met = (
            total.get_response_time_percentile(0.95) <= 300
            and total.num_failures == 0
            and Tally.checked > 0
        )
        print(f"target (p95 <= 300 ms, 0 errors, 0 cross-talk): {'met' if met else 'NOT met'}")
        return 0 if met else 1
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
