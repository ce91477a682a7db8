import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def small_filesystem(path: Path, size: str = "64k", readonly: bool = False):
    """Mount a tmpfs of ``size`` at ``path`` if this machine allows it; yield whether it did.

    Tests use a real small filesystem where they can (CI runs as root) and a simulated
    ``OSError`` otherwise; both paths assert the same behaviour.
    """
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if readonly else "")
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def flywheel(args, env=None, timeout=300):
    """Run the command line as a user would, in its own process."""
    environment = {**os.environ, **(env or {})}
    environment = {k: v for k, v in environment.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-m", "flywheel.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=timeout,
    )


@pytest.fixture
def no_traceback():
    def check(process):
        assert "Traceback" not in process.stderr + process.stdout, process.stderr[-2000:]

    return check
