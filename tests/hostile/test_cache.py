"""The translation cache: a damaged entry heals on the next run and is never executed;
an unwritable home falls back to a private temporary folder."""

import os
from pathlib import Path

import pytest

from flywheel.engine import DIGEST_FILE, _file_digest, _verified, translated_model_file
from flywheel.paths import MODEL_FILE

from .conftest import flywheel, small_filesystem

LAST_LINE = "Development stage reached by 2050:"


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """A cache folder holding a good translation, and a pristine copy of that entry."""
    root = tmp_path_factory.mktemp("cache")
    os.environ["FLYWHEEL_CACHE_DIR"] = str(root)
    try:
        good = translated_model_file(MODEL_FILE)
    finally:
        del os.environ["FLYWHEEL_CACHE_DIR"]
    return root, good, good.read_bytes()


def damage_truncated(path, marker):
    path.write_bytes(path.read_bytes()[:1000])


def damage_empty(path, marker):
    path.write_bytes(b"")


def damage_random(path, marker):
    path.write_bytes(os.urandom(5000))


def damage_edited(path, marker):
    path.write_text(path.read_text() + f"\nopen({str(marker)!r}, 'w').write('ran')\n")


def damage_missing(path, marker):
    path.unlink()


def damage_digest(path, marker):
    (path.parent / DIGEST_FILE).write_text("0" * 64)


@pytest.mark.parametrize(
    "damage",
    [damage_truncated, damage_empty, damage_random, damage_edited, damage_missing, damage_digest],
)
def test_a_damaged_cache_heals_on_the_next_run(warm, tmp_path, damage, no_traceback):
    root, good, pristine = warm
    good.parent.mkdir(exist_ok=True)
    good.write_bytes(pristine)
    (good.parent / DIGEST_FILE).write_text(_file_digest(good) + "\n")
    marker = tmp_path / "executed"
    damage(good, marker)
    process = flywheel(["run"], env={"FLYWHEEL_CACHE_DIR": str(root)})
    no_traceback(process)
    assert process.returncode == 0, process.stderr
    assert LAST_LINE in process.stdout
    assert not marker.exists()  # the edited file was never executed
    assert _verified(good) and b"open(" not in good.read_bytes()  # healed: translated again
    assert len(good.read_bytes()) > len(pristine) // 2
    assert not [p for p in root.iterdir() if p.name.startswith(("translating-", "discarded-"))]


def test_an_edited_cache_is_not_executed_even_by_a_running_engine(warm, tmp_path, monkeypatch):
    from flywheel.engine import Engine

    root, good, pristine = warm
    monkeypatch.setenv("FLYWHEEL_CACHE_DIR", str(root))
    good.write_bytes(pristine)
    (good.parent / DIGEST_FILE).write_text(_file_digest(good) + "\n")
    engine = Engine(MODEL_FILE)
    marker = tmp_path / "executed"
    damage_edited(good, marker)
    slot = engine._checkout()  # the pool has one model; a second is loaded from the cache
    second = engine._checkout()
    assert not marker.exists()
    assert float(second.model.components.initial_time()) == 2005
    del slot, second


def test_a_read_only_home_with_a_cold_cache_uses_a_temporary_folder(tmp_path, no_traceback):
    home = tmp_path / "home"
    with small_filesystem(home, size="1m", readonly=True) as mounted:
        if not mounted:  # no mount allowed here: a home that is a file cannot hold folders
            home.rmdir()
            home.write_text("not a folder")
        process = flywheel(
            ["run"],
            env={"HOME": str(home), "XDG_CACHE_HOME": None, "FLYWHEEL_CACHE_DIR": None},
        )
    no_traceback(process)
    assert process.returncode == 0, process.stderr
    assert LAST_LINE in process.stdout
    notes = [line for line in process.stderr.splitlines() if line.startswith("flywheel: note:")]
    assert len(notes) == 1, process.stderr
    assert f"cannot write the cache folder {home}/.cache/digital-flywheel" in notes[0]
    assert f"digital-flywheel-{os.getuid()}" in notes[0]


def test_xdg_cache_home_is_honoured(tmp_path):
    process = flywheel(["run"], env={"XDG_CACHE_HOME": str(tmp_path), "FLYWHEEL_CACHE_DIR": None})
    assert process.returncode == 0, process.stderr
    entries = list((tmp_path / "digital-flywheel").iterdir())
    assert len(entries) == 1 and (entries[0] / "model.py").is_file()
    assert (entries[0] / DIGEST_FILE).is_file()
    assert process.stderr == ""


def test_a_temporary_folder_owned_by_someone_else_is_not_used(tmp_path, monkeypatch, capsys):
    from flywheel import paths

    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    planted = shared / f"digital-flywheel-{os.getuid()}"
    planted.mkdir(mode=0o777)
    os.chmod(planted, 0o777)  # writable by anyone: could hold a planted translation
    monkeypatch.setattr(paths.tempfile, "gettempdir", lambda: str(shared))
    monkeypatch.setenv("FLYWHEEL_CACHE_DIR", str(tmp_path / "a-file"))
    (tmp_path / "a-file").write_text("x")
    chosen = paths.cache_dir()
    assert chosen != planted and Path(chosen).parent == shared
    assert oct(Path(chosen).stat().st_mode & 0o777) == "0o700"
    assert "using" in capsys.readouterr().err
