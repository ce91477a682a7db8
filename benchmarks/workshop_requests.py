"""The Explore page's update request, as the browser sends it, for benchmarks and load tests."""

from dashboard.figures import default_picks
from flywheel import load_levers


def update_body(dependencies, levers, bands=False, drag=False):
    """The request that redraws Explore for ``levers`` (with uncertainty bands if ``bands``).

    As the page's gate sends it: a move while dragging (``drag``) asks for the scenario's
    line alone, as a partial update; otherwise the whole picture, bands included.
    """
    dep = next(d for d in dependencies if d["output"].startswith("..explore-chart-0.figure"))
    keys = load_levers().keys()
    ids = [{"type": "explore-lever", "key": key} for key in keys]
    outputs = []
    for part in dep["output"].strip(".").split("..."):
        component, _, prop = part.rpartition(".")
        outputs.append({"id": component, "property": prop})
    return {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": [
            {
                "id": "explore-request",
                "property": "data",
                "value": {
                    "values": [levers[i["key"]] for i in ids],
                    "n": 2,
                    "final": not drag,
                    "fresh": not drag,
                },
            },
            {"id": "explore-compare", "property": "value", "value": []},
            {"id": "explore-cost-year", "property": "value", "value": 2035},
            {"id": "explore-bands", "property": "value", "value": ["on"] if bands else []},
            {"id": "explore-region", "property": "value", "value": "china"},
            *[
                {"id": f"explore-pick-{index}", "property": "value", "value": pick}
                for index, pick in enumerate(default_picks())
            ],
            {"id": "explore-presenting", "property": "data", "value": None},
        ],
        "state": [
            {"id": "presentation", "property": "data", "value": False},
            [{"id": i, "property": "id", "value": i} for i in ids],
            {"id": "saved-scenarios", "property": "data", "value": {}},
            {"id": "page-lang", "property": "data", "value": "en"},
        ],
        "changedPropIds": ["explore-request.data"],
    }


def _outputs(dep):
    outputs = []
    for part in dep["output"].strip(".").split("..."):
        component, _, prop = part.rpartition(".")
        outputs.append({"id": component, "property": prop})
    return outputs if len(outputs) > 1 else outputs[0]


def fan_body(dependencies, levers, key, n=1):
    """The request the page sends when the pointer comes onto lever ``key``: its fan."""
    dep = next(d for d in dependencies if d["output"] == "explore-fan.data")
    return {
        "output": dep["output"],
        "outputs": _outputs(dep),
        "inputs": [
            {
                "id": "explore-fan-request",
                "property": "data",
                "value": {"key": key, "levers": levers, "n": n},
            }
        ],
        "state": [
            {"id": "explore-region", "property": "value", "value": "china"},
            *[
                {"id": f"explore-pick-{index}", "property": "value", "value": pick}
                for index, pick in enumerate(default_picks())
            ],
        ],
        "changedPropIds": ["explore-fan-request.data"],
    }


def attribution_body(dependencies, levers):
    """The request that follows a settled scenario: the lever waterfall's Shapley split."""
    dep = next(d for d in dependencies if d["output"].startswith("..explore-attribution.figure"))
    return {
        "output": dep["output"],
        "outputs": _outputs(dep),
        "inputs": [
            {"id": "explore-scenario", "property": "data", "value": levers},
            {"id": "explore-attribution-line", "property": "value", "value": "GDP per capita|2050"},
            {"id": "explore-region", "property": "value", "value": "china"},
        ],
        "state": [{"id": "page-lang", "property": "data", "value": "en"}],
        "changedPropIds": ["explore-scenario.data"],
    }
