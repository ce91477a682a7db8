"""Dynamic batching: runs requested by concurrent users within a few milliseconds are one batch.

Model servers batch requests that arrive together (e.g. NVIDIA Triton's dynamic batcher):
each request joins a queue; one worker thread per process waits a short window after
the first request, takes everything queued, evaluates it as one batch of the batch
engine and hands each request its own rows. Requests that arrive while a batch runs
form the next batch, so the batch size grows with the load by itself.

A job is a set of model constants for ``members`` members (numbers shared by all, or
arrays of length ``members``). A batch concatenates the jobs' members in queue order;
job k gets rows ``offset_k`` to ``offset_k + members_k`` back, nothing else. Every batch,
a lone run included, starts at the batch's earliest policy start year from the kept path
before it (``flywheel.levers.lever_gate``): a lone run takes about half of pysd's time.

Runs that belong to one answer (a settled picture's run, its bands and its waterfall's
split) are asked for from several threads; a :class:`Gathering` queues them as one item,
so they share a batch whatever the threads' timing, and the answer is the same bytes on
every server (a member's last digit depends on its company: a lone run is computed with
numbers, a batch with arrays, and a batch starts at its earliest policy start year).

A batch of background work only (fans asked for ahead of a drag, waterfall splits)
pauses at each simulated year to let a lone run that arrived meanwhile go first: the
first move of a drag that starts before its fan is ready waits for one year's
integration of the fan (a few milliseconds), not for all of it.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from flywheel.batch import BatchResult, shared_or_array
from flywheel.levers import lever_gate
from flywheel.model import batch_engine, engine

#: How long the worker waits after a job that finds the queue otherwise empty for others to
#: join it: short when the last batch held one job (a lone user pays almost nothing),
#: longer under load, when bigger batches share the fixed cost of a batch (measured with
#: 50 simulated participants: 3 ms gave p95 820 ms, 20 ms 660 ms, 50 ms 530 ms, 100 ms
#: 640 ms). Jobs that queued while a batch ran go at once: they have waited already.
WINDOW_SECONDS = 0.003
BUSY_WINDOW_SECONDS = 0.05
#: Largest number of members evaluated at once (memory: about 5 kB per member and output).
MAX_MEMBERS = 20_000
#: Longest a gathering's arrived runs wait for its other parts. Parts arrive within about
#: a millisecond of each other (their constants take 0.2-0.9 ms to prepare); the bound
#: only matters when the helper threads are all taken, and then the parts that arrived go
#: on without the late one, which follows as a job of its own.
GATHER_SECONDS = 0.05

_membership = threading.local()  # the gathering this thread's next run belongs to


@dataclass(eq=False)  # a job is itself: never compared by its (array) constants
class Job:
    """Constants for ``members`` members, the variables wanted, and where the answer goes."""

    params: Mapping[str, float | np.ndarray]
    members: int
    variables: tuple[str, ...]
    future: Future = field(default_factory=Future)
    #: Work nobody waits on to see a picture (a fan asked for ahead of a drag): when it
    #: arrives with a lone run, evaluated after it rather than in its batch.
    background: bool = False


class Gathering:
    """Runs asked for from several threads that go to the batcher's queue as one item.

    Created for ``parts`` parts; each part runs inside :meth:`member` (or through
    :meth:`call`), and the first run it asks for joins the gathering instead of the
    queue. A part that asks for none (its answer was memoised) counts as arrived when it
    leaves. Once every part has arrived, the runs are queued together, in part order.
    """

    def __init__(self, batcher: DynamicBatcher, parts: int):
        self._batcher = batcher
        self._missing = parts
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()
        self._sent = threading.Event()
        self._parts = parts

    @contextmanager
    def member(self, part: int):
        """Within this block, this thread's first run is part ``part`` of the gathering."""
        if not 0 <= part < self._parts:
            raise ValueError(f"part {part} of a gathering of {self._parts}")
        _membership.current = (self, part)
        try:
            yield
        finally:
            if getattr(_membership, "current", None) is not None:
                _membership.current = None
                self._arrive(part, None)  # asked for no run

    def call(self, part: int, function, *args):
        """``function(*args)`` as part ``part`` (for a helper thread)."""
        with self.member(part):
            return function(*args)

    def _arrive(self, part: int, job: Job | None) -> bool:
        """Count a part in; False if the gathering has gone (the job goes on its own)."""
        with self._lock:
            if self._sent.is_set():
                return False
            if job is not None:
                self._jobs[part] = job
            self._missing -= 1
            if self._missing > 0:
                return True
            self._send()
            return True

    def _send(self) -> None:  # holding the lock
        self._sent.set()
        jobs = [self._jobs[part] for part in sorted(self._jobs)]
        if jobs:
            self._batcher._queue.put(jobs)

    def _wait(self) -> None:
        """Wait for the other parts, at most :data:`GATHER_SECONDS`, then go without them."""
        if not self._sent.wait(GATHER_SECONDS):
            with self._lock:
                if not self._sent.is_set():
                    self._batcher.stats.gatherings_cut += 1
                    self._send()


@dataclass
class Stats:
    """What the batcher has done in this process (for benchmarks and tests)."""

    batches: int = 0
    jobs: int = 0
    members: int = 0
    largest: int = 0
    single_runs: int = 0
    #: lone runs evaluated while a batch of background work paused for them
    overtaken: int = 0
    #: gatherings queued without a part that came later than GATHER_SECONDS
    gatherings_cut: int = 0


class DynamicBatcher:
    """Queue of jobs evaluated by one worker thread in batches (one batcher per process)."""

    def __init__(
        self,
        window: float = WINDOW_SECONDS,
        max_members: int = MAX_MEMBERS,
        busy_window: float = BUSY_WINDOW_SECONDS,
    ):
        self.window = window
        self.busy_window = max(busy_window, window)
        self._busy = False
        self.max_members = max_members
        self.stats = Stats()
        # items are lists of jobs: one job, or a gathering's jobs that go together
        self._queue: queue.SimpleQueue[list[Job]] = queue.SimpleQueue()
        self._held: list[Job] = []  # taken from the queue during a pause, not yet run
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._pid = os.getpid()
        self._waiting = 0  # members queued or being evaluated

    @property
    def waiting_members(self) -> int:
        """Members queued or being evaluated now (how busy this process's model is)."""
        return self._waiting

    def submit(
        self,
        params: Mapping[str, float | np.ndarray],
        variables: Sequence[str],
        members: int = 1,
        timeout: float = 120.0,
        background: bool = False,
    ) -> BatchResult:
        """Queue one job and wait for its rows (a ``BatchResult`` of ``members`` members).

        A ``background`` job that arrives with a lone one-member run is evaluated after
        it, on its own; with more company it joins the batch (cheaper under load). Inside
        a :meth:`Gathering.member` block, the job is that part of the gathering.
        """
        job = Job(params, members, tuple(variables), background=background)
        self._ensure_worker()
        with self._lock:
            self._waiting += members
        try:
            membership = getattr(_membership, "current", None)
            if membership is not None and membership[0]._batcher is self:
                _membership.current = None  # the part's first run only
                gathering, part = membership
                if gathering._arrive(part, job):
                    gathering._wait()
                else:
                    self._queue.put([job])
            else:
                self._queue.put([job])
            return job.future.result(timeout=timeout)
        finally:
            with self._lock:
                self._waiting -= members

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive() or self._pid != os.getpid():
                # started on first use, so a forked server worker starts its own
                self._pid = os.getpid()
                self._worker = threading.Thread(target=self._serve, daemon=True, name="batcher")
                self._worker.start()

    def gather(self, parts: int) -> Gathering:
        """A gathering of ``parts`` runs asked for from different threads (one batch)."""
        return Gathering(self, parts)

    def _next_waiting(self) -> list[Job] | None:
        """The oldest jobs waiting: one held during a pause, else a queued item; or None."""
        if self._held:
            return [self._held.pop(0)]
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def _serve(self) -> None:
        while True:
            first = self._next_waiting()  # held or queued jobs have waited already
            if first is None:
                first = self._queue.get()
                if self._queue.empty():  # alone so far: wait a moment for company
                    time.sleep(self.busy_window if self._busy else self.window)
            jobs = list(first)
            size = sum(job.members for job in jobs)
            while size < self.max_members:
                item = self._next_waiting()
                if item is None:
                    break
                jobs.extend(item)
                size += sum(job.members for job in item)
            self._busy = len(jobs) > 1
            foreground = [job for job in jobs if not job.background]
            background = [job for job in jobs if job.background]
            # a lone run waits for no fan (alone, it is quickest); under load one
            # batch for everything costs less than two
            lone = sum(job.members for job in foreground) == 1
            groups = (foreground, background) if lone and background else (jobs,)
            for group in groups:  # a lone picture first, a fan after it
                if group:
                    background_only = all(job.background for job in group)
                    self._run_or_fail(group, self._let_lone_run_pass if background_only else None)

    def _run_or_fail(self, jobs: list[Job], pause=None) -> None:
        try:
            self._run(jobs, pause)
        except Exception as error:  # noqa: BLE001 - every waiting request must hear of it
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(error)

    def _let_lone_run_pass(self) -> None:
        """A pause of a background batch: a lone run that arrived meanwhile goes now.

        Whatever else arrived is held for the next batch (in arrival order), where it
        shares one evaluation as before; under load the batch is not interrupted.
        """
        while True:
            try:
                self._held.extend(self._queue.get_nowait())
            except queue.Empty:
                break
        lone = [job for job in self._held if not job.background]
        if len(lone) == 1 and lone[0].members == 1:
            self._held = [job for job in self._held if job is not lone[0]]
            self.stats.overtaken += 1
            self._run_or_fail(lone)

    def _run(self, jobs: list[Job], pause=None) -> None:
        variables = list(dict.fromkeys(v for job in jobs for v in job.variables))
        self.stats.batches += 1
        self.stats.jobs += len(jobs)
        total = sum(job.members for job in jobs)
        self.stats.members += total
        self.stats.largest = max(self.stats.largest, total)
        if len(jobs) == 1 and total == 1:
            self.stats.single_runs += 1
        result = batch_engine().run(_concatenate(jobs), variables, gate=lever_gate(), pause=pause)
        offset = 0
        for job in jobs:
            rows = slice(offset, offset + job.members)
            offset += job.members
            values = {
                column: np.broadcast_to(result.values[column], (total, len(result.times)))[
                    rows
                ].copy()
                for column in job.variables
                if column in result.values
            }
            job.future.set_result(BatchResult(result.times, values, job.members))


def _concatenate(jobs: list[Job]) -> dict[str, float | np.ndarray]:
    """All jobs' members as one set of constants (numbers where every member agrees)."""
    model = engine()
    names = list(dict.fromkeys(name for job in jobs for name in job.params))
    merged: dict[str, float | np.ndarray] = {}
    for name in names:
        parts = [
            np.broadcast_to(
                np.asarray(job.params.get(name, model.defaults[name]), dtype=float),
                (job.members,),
            )
            for job in jobs
        ]
        column = np.concatenate(parts)
        merged[name] = shared_or_array(column)
    return merged


_BATCHER = DynamicBatcher()


def batcher() -> DynamicBatcher:
    """The batcher of this process."""
    return _BATCHER
