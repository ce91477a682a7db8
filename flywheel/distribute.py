"""Large batches split into chunks that run on Dask distributed.

A batch larger than one chunk, or any batch when a scheduler is named, is cut into
chunks of members; each chunk is one task that runs the batch engine in a Dask worker
process, and the chunks' rows are put back together in order. ``scheduler`` is the
address of a running Dask scheduler (``tcp://host:8786``: workers on other machines,
each with this project installed), or ``"local"`` for worker processes on this machine
(one per core, no set-up). Members are independent, so the result does not depend on
how they were cut.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np

from flywheel.batch import BatchResult, Gate
from flywheel.errors import InputError
from flywheel.model import batch_engine

#: Members per chunk: large enough that a chunk's fixed cost (about 0.1 s) is small.
CHUNK = 10_000
LOCAL = "local"


def member_count(params: Mapping[str, object]) -> int:
    """Members a parameter mapping describes: the length of its arrays (1 if none)."""
    lengths = {len(v) for v in params.values() if isinstance(v, np.ndarray) and v.ndim}
    if len(lengths) > 1:
        raise InputError(f"member arrays of different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 1


def run_chunk(
    params: Mapping[str, object], columns: Sequence[str], gate: Gate | None = None
) -> BatchResult:
    """One chunk, run by the batch engine of the process it lands in (a Dask task)."""
    return batch_engine().run(params, list(columns), gate=gate)


def run_members(
    params: Mapping[str, object],
    columns: Sequence[str],
    scheduler: str | None = None,
    chunk: int = CHUNK,
    gate: Gate | None = None,
) -> BatchResult:
    """Run a batch here, or in chunks on Dask when it is large or a scheduler is named.

    ``gate``: constants that act only from a start time on (see ``flywheel.batch.Gate``).

    Examples
    --------
    >>> params = {"Digital capital lifetime": np.linspace(5, 12, 5)}
    >>> run_members(params, ["Digital Capital"], chunk=2).values["Digital Capital"].shape
    (5, 46)
    """
    if chunk < 1:
        raise InputError(f"--chunk {chunk}: must be at least 1")
    members = member_count(params)
    if members <= chunk and scheduler is None:
        return run_chunk(params, columns, gate)
    pieces = [
        {
            name: value[start : start + chunk] if isinstance(value, np.ndarray) else value
            for name, value in params.items()
        }
        for start in range(0, members, chunk)
    ]
    if scheduler is None and len(pieces) > 1:
        scheduler = LOCAL
    results = _on_dask(pieces, list(columns), scheduler, gate)
    values = {
        column: np.vstack(
            [np.broadcast_to(r.values[column], (r.members, len(r.times))) for r in results]
        )
        for column in results[0].values
    }
    return BatchResult(results[0].times, values, members)


def _on_dask(
    pieces: list[dict], columns: list[str], scheduler: str, gate: Gate | None
) -> list[BatchResult]:
    from dask.distributed import Client, LocalCluster

    if scheduler == LOCAL:
        workers = min(len(pieces), os.cpu_count() or 1)
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            return _gather(client, pieces, columns, gate)
    try:
        client = Client(scheduler, timeout="5s")
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(
            f"--scheduler {scheduler}: cannot reach a Dask scheduler ({error})"
        ) from None
    with client:
        return _gather(client, pieces, columns, gate)


def _gather(client, pieces, columns, gate) -> list[BatchResult]:
    futures = [client.submit(run_chunk, piece, columns, gate, pure=False) for piece in pieces]
    return client.gather(futures)
