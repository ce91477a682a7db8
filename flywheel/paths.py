"""Where the project's data files live, and where translated models are cached."""

import os
import stat
import sys
import tempfile
import threading
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


_NOTICE_LOCK = threading.Lock()
_noticed: set[str] = set()


def preferred_cache_dir() -> Path:
    """``$FLYWHEEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/digital-flywheel``, else ``~/.cache/…``."""
    if os.environ.get("FLYWHEEL_CACHE_DIR"):
        return Path(os.environ["FLYWHEEL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digital-flywheel"


def _private_temporary_dir() -> Path:
    """A cache folder in the temporary folder that only this user can write."""
    folder = Path(tempfile.gettempdir()) / f"digital-flywheel-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
        if (
            stat.S_ISDIR(info.st_mode)
            and info.st_uid == os.getuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            return folder
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="digital-flywheel-"))  # someone else's: our own


def cache_dir() -> Path:
    """Folder for translated models, created if missing.

    When the preferred folder (:func:`preferred_cache_dir`) cannot be written (a
    read-only home, a full disk), a private folder in the temporary folder is used
    instead, with a one-line notice on standard error.
    """
    preferred = preferred_cache_dir()
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if not os.access(preferred, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied", str(preferred))
        return preferred
    except OSError as error:
        fallback = _private_temporary_dir()
        with _NOTICE_LOCK:
            if str(preferred) not in _noticed:
                _noticed.add(str(preferred))
                reason = error.strerror or type(error).__name__
                print(
                    f"flywheel: note: cannot write the cache folder {preferred} ({reason}); "
                    f"using {fallback} instead",
                    file=sys.stderr,
                )
        return fallback
