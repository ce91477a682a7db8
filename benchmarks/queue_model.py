"""A queueing model of the workshop load test, to ask "what if" before building it.

Simulates ``make load``'s participants (the lever's fan when the pointer comes onto a
slider, the drag drawn in the page for 0.3-0.8 s, the whole picture with its 200 band
members and the waterfall's 16 Shapley runs in one batch at the release, the waterfall
asked for once the picture has arrived, 1-3 s of thought) against dynamic batchers: each
batcher, when free, takes every job waiting for it and evaluates them as one batch
lasting ``fixed + per_member x members`` seconds, times ``slowdown`` for what the request
threads and the load generator take from the same two cores. It prints requests per
second and the median and 95th percentile of the latency of every request, for one
queue per worker process (as served today: each participant's connection stays with one
worker) and for one queue served by both.

``--continuous`` adds batchers that never make a job wait for the batch before it
(iteration-level batching, as language-model servers schedule): a batcher integrates
every job in flight step by step, each job from its own policy start to 2050 (400 steps
of 1/16 year), and a job that arrives joins at the next simulated year (16 steps); each
step costs the batch's fixed cost / 400 plus the cost of the members in flight.

The default costs are a line through two measured batches from the policy start (medians
in one process): a 151-member fan, 60 ms, and 400 band members, 89 ms, that is 42 ms plus
0.118 ms a member; the slowdown of 1.3 brings batches of the load test's size to the
98-123 ms logged under load. Band batches of 200 and 1,000 members (87 and 124 ms) give a
steeper fixed part (78 ms plus 0.046 ms a member): ``--fixed 0.06 --per-member 0.000046``
is a line between the two, and the comparisons below come out the same way with it. The
model leaves out HTTP, Dash and the pauses in which a lone run overtakes a fan, so its
latencies are lower than the load test's; it is for comparing designs, not for predicting
the p95. Not a test.

    python benchmarks/queue_model.py [--participants 50] [--fixed 0.042] [--per-member 0.000118]
                                     [--continuous]
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics

FAN_MEMBERS = 151
PICTURE_MEMBERS = 201  # the scenario's run and its 200 band members
WATERFALL_MEMBERS = 16  # every subset of the four dragged levers
OVERHEAD = 0.012  # seconds of request handling around a job (encoding, HTTP)
STEPS = 400  # Euler steps of 1/16 year from the policy start (2025) to 2050
JOIN_STEPS = 16  # continuous batching: a job joins the steps in flight at the next year


class Workshop:
    """Participants and batchers on one simulated clock."""

    def __init__(
        self,
        costs: tuple[float, float, float],
        pooled: bool,
        seed: int,
        continuous: bool = False,
    ):
        self.fixed, self.per_member, self.slowdown = costs
        self.pooled = pooled
        self.continuous = continuous
        self.flight: list[list[list]] = [[], []]  # continuous: [members, steps left, done]
        self.rng = random.Random(seed)
        self.events: list = []
        self.order = 0
        self.queues: list[list] = [[]] if pooled else [[], []]
        self.busy = [False, False]
        self.latencies: list[float] = []

    def at(self, when: float, action) -> None:
        self.order += 1
        heapq.heappush(self.events, (when, self.order, action))

    def queue_of(self, worker: int) -> list:
        return self.queues[0 if self.pooled else worker]

    def submit(self, now: float, worker: int, members: int, done) -> None:
        self.queue_of(worker).append((members, done))
        if self.continuous:
            self.start_steps(now)
        else:
            self.start_batches(now)

    def start_steps(self, now: float) -> None:
        for batcher in (0, 1):
            if not self.busy[batcher] and self.queue_of(batcher):
                self.busy[batcher] = True
                self.year(now, batcher)

    def year(self, now: float, batcher: int) -> None:
        """Continuous batching: take in the jobs waiting, then integrate one year."""
        flight, waiting = self.flight[batcher], self.queue_of(batcher)
        flight.extend([size, STEPS, done] for size, done in waiting)
        waiting.clear()
        if not flight:
            self.busy[batcher] = False
            return
        members = sum(job[0] for job in flight)
        took = JOIN_STEPS * (self.fixed + self.per_member * members) / STEPS * self.slowdown

        def boundary(when):
            for job in flight:
                job[1] -= JOIN_STEPS
            finished = [job for job in flight if job[1] <= 0]
            flight[:] = [job for job in flight if job[1] > 0]
            for _size, _left, done in finished:
                done(when)
            self.year(when, batcher)

        self.at(now + took, boundary)

    def start_batches(self, now: float) -> None:
        for batcher in (0, 1):
            waiting = self.queue_of(batcher)
            if self.busy[batcher] or not waiting:
                continue
            jobs = list(waiting)
            waiting.clear()
            self.busy[batcher] = True
            members = sum(size for size, _done in jobs)
            took = (self.fixed + self.per_member * members) * self.slowdown

            def finish(when, batcher=batcher, jobs=jobs):
                self.busy[batcher] = False
                for _size, done in jobs:
                    done(when)
                self.start_batches(when)

            self.at(now + took, finish)

    def participant(self, number: int) -> None:
        worker = number % 2  # a participant's connection stays with one worker

        def drag(now):
            asked = now

            def fan_ready(when):
                self.latencies.append(when + OVERHEAD - asked)
                self.at(when + OVERHEAD + self.rng.uniform(0.3, 0.8), release)

            self.submit(now, worker, FAN_MEMBERS, fan_ready)

        def release(now):
            asked = now

            def picture_ready(when):
                self.latencies.append(when + OVERHEAD - asked)
                # the split came with the picture: the waterfall is answered at once
                self.latencies.append(OVERHEAD)
                self.at(when + 2 * OVERHEAD + self.rng.uniform(1.0, 3.0), drag)

            self.submit(now, worker, PICTURE_MEMBERS + WATERFALL_MEMBERS, picture_ready)

        self.at(self.rng.uniform(0.0, 2.0), drag)

    def run(self, participants: int, seconds: float) -> tuple[float, float, float]:
        for number in range(participants):
            self.participant(number)
        while self.events:
            when, _order, action = heapq.heappop(self.events)
            if when > seconds:
                break
            action(when)
        latencies = sorted(self.latencies)
        p95 = latencies[int(0.95 * len(latencies))]
        return len(latencies) / seconds, statistics.median(latencies), p95


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--fixed", type=float, default=0.042, help="s per batch")
    parser.add_argument("--per-member", type=float, default=0.000118, help="s per member")
    parser.add_argument("--slowdown", type=float, default=1.3)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--continuous", action="store_true", help="also jobs joining the batch in flight"
    )
    args = parser.parse_args(argv)
    for label, fixed, per_member in (
        ("as measured", args.fixed, args.per_member),
        ("fixed cost halved", args.fixed / 2, args.per_member),
        ("cost per member halved", args.fixed, args.per_member / 2),
    ):
        designs = [(False, False), (True, False)]
        if args.continuous:
            designs.append((False, True))
        for pooled, continuous in designs:
            rows = [
                Workshop((fixed, per_member, args.slowdown), pooled, seed, continuous).run(
                    args.participants, args.seconds
                )
                for seed in range(args.seeds)
            ]
            rate = statistics.median(row[0] for row in rows)
            median = statistics.median(row[1] for row in rows) * 1000
            p95 = statistics.median(row[2] for row in rows) * 1000
            queues = "one queue for both workers" if pooled else "one queue per worker"
            if continuous:
                queues = "continuous, one per worker"
            print(
                f"{label:24s} {queues:27s} {rate:5.1f} requests/s, "
                f"median {median:4.0f} ms, p95 {p95:4.0f} ms"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
