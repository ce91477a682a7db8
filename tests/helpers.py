"""Helpers shared by the tests."""

from flywheel import Scenario, simulate


def run(levers=None, **kwargs):
    """Simulate a scenario given as lever -> value."""
    return simulate(Scenario.from_levers(levers or {}), **kwargs)
