"""Where the project's data files live."""

import os
from pathlib import Path

#: Folder of the model file, lever table, loop table and scenario presets.
MODELS_DIR = Path(
    os.environ.get("FLYWHEEL_MODELS_DIR", Path(__file__).resolve().parent.parent / "models")
)
MODEL_FILE = MODELS_DIR / "digital_flywheel.mdl"
LEVERS_FILE = MODELS_DIR / "levers.csv"
LOOPS_FILE = MODELS_DIR / "loops.csv"
CHECKS_FILE = MODELS_DIR / "checks.toml"
SCENARIOS_DIR = MODELS_DIR / "scenarios"


def cache_dir() -> Path:
    """Folder for translated models: ``$FLYWHEEL_CACHE_DIR`` or the user's cache folder."""
    if os.environ.get("FLYWHEEL_CACHE_DIR"):
        return Path(os.environ["FLYWHEEL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digital-flywheel"
