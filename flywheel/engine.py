"""Translate a Vensim model once and run it as a pure function of its parameters.

This is the only module that imports pysd. Two pysd behaviours shape it:

* parameters set in ``run(params=...)`` persist into the next run, so every run
  passes the value of every constant that any earlier run on that model changed;
* a pysd model must not be shared between threads, and cannot be copied, so models
  are loaded from the translated file into a pool: a run checks one out, uses it alone
  and returns it (servers that start a thread per request reuse loaded models).

The translated ``.py`` is a build artefact: it is written to a cache folder keyed by
the SHA-256 of the model file and the pysd version, never next to the model, with the
SHA-256 of the translation beside it; a cached file that fails that check is translated
again, never executed.
Only model files shipped with the project are ever loaded: translation executes
text from the file.
"""

from __future__ import annotations

import hashlib
import math
import os
import queue
import shutil
import tempfile
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pysd

from flywheel.errors import InputError, ModelError
from flywheel.paths import cache_dir, preferred_cache_dir

_TRANSLATE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Variable:
    """What the model file says about one variable."""

    name: str
    py_name: str
    units: str
    limits: tuple[float | None, float | None]
    kind: str
    subtype: str
    comment: str
    subscripts: tuple[str, ...]

    @property
    def is_stock(self) -> bool:
        """True for a level (``INTEG``) variable."""
        return self.kind == "Stateful" and self.subtype == "Integ"

    @property
    def is_constant(self) -> bool:
        """True for a scalar constant (what a lever or a parameter may set)."""
        return self.kind == "Constant" and not self.subscripts


DIGEST_FILE = "model.py.sha256"


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _verified(target: Path) -> bool:
    """True when ``target`` exists and matches the digest stored beside it at translation."""
    try:
        return (target.parent / DIGEST_FILE).read_text().strip() == _file_digest(target)
    except (OSError, UnicodeDecodeError):
        return False


def _discard(folder: Path) -> None:
    """Move a damaged cache entry aside, then delete it (another process may do the same)."""
    aside = folder.with_name(f"discarded-{folder.name}-{os.getpid()}-{threading.get_ident()}")
    try:
        os.replace(folder, aside)
    except FileNotFoundError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def translated_model_file(mdl_path: Path) -> Path:
    """Translate ``mdl_path`` with pysd unless the cache already holds it; return the ``.py``.

    The translation is stored with the SHA-256 of the translated file beside it. A cached
    file that does not match its digest (truncated, edited, emptied, or a folder left
    half-written) is never executed: it is discarded and translated again.

    Parameters
    ----------
    mdl_path : Path
        A Vensim model file shipped with the project.

    Returns
    -------
    Path
        The translated Python file inside the cache folder, verified against its digest.
    """
    digest = hashlib.sha256(
        mdl_path.read_bytes() + f"pysd {pysd.__version__}, layout 3".encode()
    ).hexdigest()[:20]
    ready = preferred_cache_dir() / digest / "model.py"
    if _verified(ready):  # a warm cache is used even where it cannot be written
        return ready
    root = cache_dir()
    folder = root / digest
    target = folder / "model.py"  # same content, same translation, whatever the file's name
    with _TRANSLATE_LOCK:
        if _verified(target):
            return target
        if folder.exists():
            _discard(folder)
        scratch = Path(tempfile.mkdtemp(prefix="translating-", dir=root))
        try:
            shutil.copyfile(mdl_path, scratch / "model.mdl")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pysd.read_vensim(str(scratch / "model.mdl"), initialize=False)
            (scratch / DIGEST_FILE).write_text(_file_digest(scratch / "model.py") + "\n")
            os.replace(scratch, folder)  # atomic: another process may have won the race
        except OSError:
            if not _verified(target):
                raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    if not _verified(target):  # changed between our write and now: refuse, do not execute
        raise ModelError(
            f"the translated model in {folder} does not match its digest; delete that folder"
        )
    return target


def _limits(value) -> tuple[float | None, float | None]:
    def clean(number):
        return (
            None
            if number is None or (isinstance(number, float) and math.isnan(number))
            else float(number)
        )

    if not isinstance(value, tuple) or len(value) < 2:
        return (None, None)
    return (clean(value[0]), clean(value[1]))


@dataclass
class _Slot:
    """A loaded pysd model and the constants it currently holds at a set value."""

    model: object
    current: dict[str, float]


class Engine:
    """A translated model that runs in any thread without sharing state.

    Parameters
    ----------
    mdl_path : Path
        The Vensim model file (one of the project's, never a user's).

    Examples
    --------
    >>> from flywheel.paths import MODEL_FILE
    >>> engine = Engine(MODEL_FILE)
    >>> frame = engine.run({}, ["Digital Capital"])
    >>> int(frame.index[0]), int(frame.index[-1])
    (2005, 2050)
    """

    def __init__(self, mdl_path: Path):
        self.mdl_path = Path(mdl_path)
        self.py_file = translated_model_file(self.mdl_path)
        self._pool: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        slot = self._checkout()
        model = slot.model
        self.variables: dict[str, Variable] = {}
        for row in model.doc.to_dict("records"):
            subscripts = row.get("Subscripts")
            self.variables[row["Real Name"]] = Variable(
                name=row["Real Name"],
                py_name=row["Py Name"],
                units=str(row.get("Units") or ""),
                limits=_limits(row.get("Limits")),
                kind=str(row.get("Type")),
                subtype=str(row.get("Subtype")),
                comment=" ".join(str(row.get("Comment") or "").split()),
                subscripts=tuple(subscripts) if isinstance(subscripts, list) else (),
            )
        self._by_lower = {name.lower(): name for name in self.variables}
        self._by_lower.update({v.py_name: v.name for v in self.variables.values()})
        self.defaults: dict[str, float] = {
            v.name: float(getattr(model.components, v.py_name)())
            for v in self.variables.values()
            if v.is_constant
        }
        self.time_step = float(model.components.time_step())
        self.initial_time = float(model.components.initial_time())
        self.final_time = float(model.components.final_time())
        self.saveper = float(model.components.saveper())
        self.dependencies: dict[str, dict] = dict(model.dependencies)
        self._pool.put(slot)

    def _checkout(self) -> _Slot:
        """A model no other thread is using: a free one from the pool, or a new one."""
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            # verified on every load: a cache damaged since start-up heals instead of running
            self.py_file = translated_model_file(self.mdl_path)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return _Slot(pysd.load(str(self.py_file)), {})

    def private_model(self):
        """A freshly loaded pysd model no one else holds (for the batch engine to read)."""
        self.py_file = translated_model_file(self.mdl_path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pysd.load(str(self.py_file))

    def variable(self, name: str) -> Variable:
        """Look a variable up by its model name (any case) or its Python name.

        Raises
        ------
        InputError
            If the model has no such variable.
        """
        real = self._by_lower.get(name.strip().lower()) or self._by_lower.get(name.strip())
        if real is None:
            raise InputError(f"unknown model variable '{name}'")
        return self.variables[real]

    def run(
        self,
        params: Mapping[str, float],
        columns: Sequence[str],
        time_step: float | None = None,
        until: float | None = None,
    ) -> pd.DataFrame:
        """Run from the initial state with ``params`` on top of the model's own constants.

        Parameters
        ----------
        params : Mapping[str, float]
            Model constant name -> value. Constants not named keep their value in the
            model file, whatever earlier runs set.
        columns : Sequence[str]
            Model variable names to return.
        time_step : float, optional
            Integration step; the model file's TIME STEP if omitted.
        until : float, optional
            Stop at this time (before the model's final time): the same steps, fewer of
            them, so the rows up to it are those of a whole run.

        Returns
        -------
        pandas.DataFrame
            One row per saved year (integer index), one column per variable.
        """
        slot = self._checkout()
        # on error the slot is dropped
        frame = self._run(slot, params, columns, time_step, until=until)
        self._pool.put(slot)
        return frame

    def run_and_inspect(
        self,
        params: Mapping[str, float],
        columns: Sequence[str],
        inspect,
        time_step: float | None = None,
    ):
        """Run saving every time step, then call ``inspect(components, frame)`` on the same model.

        ``components`` is the translated model's module (its variables as functions), in
        the state of this run: used by loop analysis to re-evaluate equations. It must
        not be changed.
        """
        slot = self._checkout()
        step = time_step or self.time_step
        frame = self._run(slot, params, columns, step, saveper=step)
        result = inspect(slot.model.components._components, frame)
        self._pool.put(slot)
        return frame, result

    def _run(
        self, slot: _Slot, params, columns, time_step, saveper=None, until=None
    ) -> pd.DataFrame:
        current = slot.current
        wanted = {name: self.defaults[name] for name in current}
        for name, value in params.items():
            variable = self.variable(name)
            if not variable.is_constant:
                raise InputError(f"'{name}' is not a constant of the model and cannot be set")
            wanted[variable.name] = float(value)
        # pysd keeps what earlier runs set: send only the constants whose value must change
        changes = {name: value for name, value in wanted.items() if current.get(name) != value}
        current.update(changes)
        frame = slot.model.run(
            params=changes or None,
            return_columns=list(columns),
            time_step=time_step or self.time_step,
            final_time=self.final_time if until is None else min(until, self.final_time),
            saveper=saveper or self.saveper,
            progress=False,
            cache_output=False,
        )
        frame.index = pd.Index(frame.index.to_numpy().round(6), name="year")
        if float(saveper or self.saveper).is_integer():
            frame.index = frame.index.astype(int)
        return frame
