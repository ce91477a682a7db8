"""Installing the project prints nothing a newcomer could take for a failure."""

import subprocess
import sys

from .conftest import ROOT


def test_a_clean_editable_install_prints_no_warnings(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # as the Makefile does: a current pip shows the build backend's warnings, an old one hid them
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--upgrade", "pip"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    process = subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--no-deps",  # the project's own build is what is checked, not its dependencies
            "--disable-pip-version-check",
            "-e",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    # a machine's own pip configuration may name package folders it lacks; not ours
    lines = [
        line
        for line in (process.stdout + process.stderr).splitlines()
        if line.strip() and not line.startswith("WARNING: Location 'file:")
    ]
    assert lines == []
    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import flywheel.jsontext, calibration.series"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    # the package is found from any folder (dependencies are not installed in this venv)
    assert "No module named 'flywheel'" not in listed.stderr
    assert "No module named 'calibration'" not in listed.stderr
