"""Digital flywheel: a system-dynamics model of digital economy, government and society.

The equations live in ``models/digital_flywheel.mdl``; this package translates and runs
that file through pysd and offers levers, scenarios, results and a command line.

Examples
--------
>>> from flywheel import Scenario, simulate
>>> result = simulate(Scenario.from_levers({"public_investment": 6}))
>>> round(float(result.frame.loc[2005, "Digital Society Adoption"]), 3)
0.085
"""

from flywheel.errors import FlywheelError, InputError
from flywheel.levers import Lever, LeverTable, load_levers
from flywheel.results import RunResult
from flywheel.scenarios import Scenario, load_scenario, preset_names
from flywheel.simulate import simulate

__all__ = [
    "FlywheelError",
    "InputError",
    "Lever",
    "LeverTable",
    "RunResult",
    "Scenario",
    "load_levers",
    "load_scenario",
    "preset_names",
    "simulate",
]
