"""The queueing model behind the README's what-if figures behaves as a queue must."""

import pytest

from benchmarks.queue_model import OVERHEAD, Workshop


def test_with_free_batches_every_request_takes_only_its_handling():
    """Batches that cost nothing: each request takes its handling time, and each
    participant's cycle (drag 0.3-0.8 s, thought 1-3 s, three requests) sets the rate."""
    rate, median, p95 = Workshop((0.0, 0.0, 1.0), pooled=False, seed=1).run(50, 600)
    assert median == pytest.approx(OVERHEAD) and p95 == pytest.approx(OVERHEAD)
    cycle = 0.55 + 2.0 + 3 * OVERHEAD  # mean drag, mean thought, three answers
    assert rate == pytest.approx(50 * 3 / cycle, rel=0.03)


@pytest.mark.parametrize("pooled", [False, True])
def test_latency_grows_with_the_cost_of_a_batch(pooled):
    cheap = Workshop((0.02, 0.00005, 1.0), pooled, seed=2).run(50, 300)
    dear = Workshop((0.06, 0.00015, 1.0), pooled, seed=2).run(50, 300)
    assert dear[1] > cheap[1] > OVERHEAD and dear[2] > cheap[2]
    assert dear[0] < cheap[0]  # slower answers: fewer drags in the same time


def test_a_shared_queue_never_leaves_a_batcher_idle_while_work_waits():
    """With the load of a room, a queue both batchers serve waits less than one queue
    each (the README's 5-6 % lower p95): no batcher sits idle while the other's work waits."""
    costs = (0.042, 0.000118, 1.3)
    separate = Workshop(costs, pooled=False, seed=3).run(50, 300)
    shared = Workshop(costs, pooled=True, seed=3).run(50, 300)
    assert shared[1] < separate[1] and shared[2] < separate[2]
