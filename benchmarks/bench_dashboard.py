"""Benchmark: how fast the dashboard answers a slider move.

1. Server time per slider update: POSTs of the explore page's update callback with
   random lever values (never repeated, so the run memo does not help); median and p95.
2. Slider release to redrawn chart in a real headless Chromium: a key press on a
   slider thumb is timed in the page (``keydown`` -> plotly's ``plotly_afterplot`` of the
   first chart); median and p95.
3. Reference, same process: one model run alone (``simulate``).

Needs Debian's chromium and chromium-driver. Not a pass/fail test.

    python benchmarks/bench_dashboard.py [--updates 40] [--moves 21]
"""

import argparse
import json
import logging
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

from dashboard import runs
from dashboard.app import create_app
from flywheel import Scenario, load_levers, simulate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.browser helpers

from benchmarks.workshop_requests import update_body  # noqa: E402

TARGET_MS = 100.0


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def server_updates(url, count, bands=False):
    requests.get(url + "/", timeout=10)
    dependencies = requests.get(url + "/_dash-dependencies", timeout=10).json()
    rng = random.Random(5)
    table = load_levers()
    times = []
    for _ in range(count):
        levers = table.defaults()
        levers["public_investment"] = round(rng.uniform(0, 15), 1)
        body = json.dumps(update_body(dependencies, levers, bands))
        start = time.perf_counter()
        response = requests.post(
            url + "/_dash-update-component",
            data=body,
            timeout=30,
            headers={"Content-Type": "application/json"},
        )
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text[:200]
    return times


TIMER_JS = """
window.__keyAt = null; window.__plotAt = null;
const thumb = document.querySelector(arguments[0]);
thumb.addEventListener('keydown', () => {
  window.__keyAt = performance.now(); window.__plotAt = null;
}, true);
const graph = document.querySelector('#explore-chart-0 .js-plotly-plot');
graph.on('plotly_afterplot', () => {
  if (window.__keyAt && !window.__plotAt) window.__plotAt = performance.now();
});
"""
ELAPSED_JS = "return window.__plotAt && window.__keyAt ? window.__plotAt - window.__keyAt : null"


def browser_moves(url, count):
    from selenium.webdriver.common.keys import Keys

    from tests.browser.conftest import new_driver, open_page, wait_until

    driver = new_driver()
    try:
        open_page(driver, url + "/", "explore-chart-0")
        selector = 'div[id=\'{"key":"rd_intensity","type":"explore-lever"}\'] [role=slider]'
        # Dash loads the slider's code on demand: wait for the slider before timing it
        wait_until(driver, "return document.querySelector(arguments[0]) !== null", 20, selector)
        driver.execute_script(TIMER_JS, selector)
        thumb = driver.find_element("css selector", selector)
        times = []
        for index in range(count):
            thumb.send_keys(Keys.ARROW_RIGHT if index % 2 == 0 else Keys.ARROW_LEFT)
            end = time.monotonic() + 10
            while time.monotonic() < end:
                elapsed = driver.execute_script(ELAPSED_JS)
                if elapsed is not None:
                    break
                time.sleep(0.01)
            times.append(elapsed)
            time.sleep(0.3)
        return [t for t in times if t is not None]
    finally:
        driver.quit()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=40)
    parser.add_argument("--moves", type=int, default=21)
    args = parser.parse_args(argv)

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, create_app().server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        simulate()
        model = []
        for index in range(11):
            start = time.perf_counter()
            simulate(Scenario.from_levers({"rd_intensity": 3 + index * 0.1}))
            model.append((time.perf_counter() - start) * 1000)
        print(f"reference: one model run alone, median {statistics.median(model):.1f} ms")
        runs._run.cache_clear()
        for bands in (False, True):
            server_ms = server_updates(url, args.updates, bands)
            what = "with 5-95 % bands of 200 members" if bands else "without bands"
            print(
                f"server time per slider update {what} ({args.updates} POSTs, new values "
                f"each): median {statistics.median(server_ms):.1f} ms, "
                f"p95 {percentile(server_ms, 0.95):.1f} ms"
                + (" (target <= 300 ms)" if bands else "")
            )
        browser_ms = browser_moves(url, args.moves)
        median = statistics.median(browser_ms)
        print(
            f"slider key press to redrawn chart in Chromium ({len(browser_ms)} moves): "
            f"median {median:.0f} ms, p95 {percentile(browser_ms, 0.95):.0f} ms "
            f"(target <= {TARGET_MS:.0f} ms median: "
            f"{'met' if median <= TARGET_MS else 'NOT met'})"
        )
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
