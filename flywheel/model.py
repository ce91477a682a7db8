"""The project's model, translated once per process: the run engine and the batch engine.

A bottom layer: lever table, baselines and everything above ask this module for the
model; it asks nothing of them.
"""

from __future__ import annotations

import threading

from flywheel.batch import BatchEngine
from flywheel.engine import Engine
from flywheel.paths import MODEL_FILE

_ENGINE: Engine | None = None
_BATCH: BatchEngine | None = None
_LOCK = threading.Lock()


def engine() -> Engine:
    """The translated project model (translated once per process, run per thread)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = Engine(MODEL_FILE)
    return _ENGINE


def batch_engine() -> BatchEngine:
    """The project model for many members at once (built once per process, thread-safe)."""
    global _BATCH
    model = engine()
    with _LOCK:
        if _BATCH is None:
            _BATCH = BatchEngine(model)
    return _BATCH
