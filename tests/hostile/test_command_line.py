"""Bad command lines and bad files: a one-line error and exit 2, never a traceback."""

import errno
import json
import os
import socket

import pandas as pd
import pytest

from flywheel import files
from flywheel.cli import main

from .conftest import flywheel, small_filesystem


def deep_json(size_bytes):
    depth = size_bytes // 2
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("option", "text"),
    [
        ("--scenario", '{"levers": ' + deep_json(20_000) + "}"),
        ("--baseline", deep_json(20_000)),
        ("--baseline", deep_json(200_000)),
        ("--baseline", '{"format": 1, "params": {"x": ' + deep_json(20_000) + "}}"),
    ],
)
def test_deeply_nested_files_give_one_line_and_exit_2(tmp_path, capsys, option, text):
    path = tmp_path / "deep.json"
    path.write_text(text)
    assert main(["run", option, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flywheel: error: {path}: nested ") and "at most 64" in err
    assert err.count("\n") == 1


def test_deeply_nested_parameter_spec_gives_one_line(tmp_path, capsys):
    path = tmp_path / "params.toml"
    path.write_text("x = " + "[" * 5_000 + "]" * 5_000 + "\n")
    assert main(["calibrate", "--params", str(path), "--no-save", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not valid TOML (nested too deeply)" in err and err.count("\n") == 1


def test_deep_scenario_in_its_own_process_prints_no_traceback(tmp_path, no_traceback):
    path = tmp_path / "deep.json"
    path.write_text('{"levers": ' + deep_json(20_000) + "}")
    process = flywheel(["run", "--scenario", str(path)])
    assert process.returncode == 2
    no_traceback(process)


# --- full disk: --out leaves no partial file and names the path --------------------------


def test_out_on_a_full_disk_names_the_path_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    disk = tmp_path / "disk"
    with small_filesystem(disk, size="16k") as mounted:
        target = disk / "result.csv"
        if mounted:  # a real 16 kB filesystem: the 46-year table does not fit
            pass
        else:  # no mount allowed here: the same failure, simulated at the write

            def full(*_args, **_kwargs):
                raise OSError(errno.ENOSPC, "No space left on device")

            monkeypatch.setattr(files.os, "fsync", full)
        assert main(["run", "--out", str(target)]) == 2
        err = capsys.readouterr().err
        assert f"No space left on device: {target}" in err
        assert "None" not in err
        assert list(disk.iterdir()) == []  # no 0-byte result, no temporary file


def test_out_replaces_a_previous_file_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    assert main(["run", "--out", str(target)]) == 0
    before = target.read_bytes()
    assert json.loads(before)["years"][0] == 2005

    def fail(*_args, **_kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(files.os, "replace", fail)
    assert main(["run", "--set", "public_investment=9", "--out", str(target)]) == 2
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_outputs_are_ordinary_readable_files(tmp_path):
    target = tmp_path / "scores.csv"
    assert main(["loops", "--out", str(target)]) == 0
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    scores = pd.read_csv(target, index_col=0)
    assert 2005 <= scores.index[0] < 2006 and scores.shape[1] > 10


# --- ports ------------------------------------------------------------------------------


def test_a_port_in_use_is_one_line_and_exit_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for extra in ([], ["--production"]):
            assert main(["serve", "--port", str(port), *extra]) == 2
            err = capsys.readouterr().err
            assert err == f"flywheel: error: port {port} is in use (try --port {port + 1})\n"


def test_a_privileged_port_is_one_line_and_exit_2(capsys, monkeypatch):
    if os.geteuid() != 0:  # an ordinary user meets the real refusal
        assert main(["serve", "--port", "80"]) == 2
    else:  # root may bind port 80: the kernel's refusal is simulated

        def refuse(self, address):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(socket.socket, "bind", refuse)
        assert main(["serve", "--port", "80"]) == 2
    err = capsys.readouterr().err
    assert "port 80 needs administrator rights" in err and "try --port 8050" in err


def test_an_unknown_host_is_one_line(capsys):
    assert main(["serve", "--host", "no-such-host.invalid"]) == 2
    assert "--host no-such-host.invalid: cannot listen" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--scenario", "--baseline"])
@pytest.mark.parametrize(
    "content", [b"\xff\xfe\x00\x01", b'{"levers": {"public_investment": 6', b"", b"\x00" * 100]
)
def test_broken_files_give_one_line(tmp_path, capsys, option, content):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    assert main(["run", option, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flywheel: error: {path}") and err.count("\n") == 1
