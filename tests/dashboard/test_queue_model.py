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


def test_continuous_batching_alone_takes_one_batch_and_under_load_waits_for_none():
    """Jobs joining the steps in flight: a participant alone waits exactly one batch's
    time for each answer; with a room, nobody waits for a whole batch before their own,
    so the p95 is below that of batches taken one after another."""
    from benchmarks.queue_model import FAN_MEMBERS, PICTURE_MEMBERS, WATERFALL_MEMBERS

    fixed, per_member, slowdown = 0.042, 0.000118, 1.3
    alone = Workshop((fixed, per_member, slowdown), pooled=False, seed=4, continuous=True)
    alone.run(1, 60)
    expected = {
        round((fixed + per_member * FAN_MEMBERS) * slowdown + OVERHEAD, 9),
        round(
            (fixed + per_member * (PICTURE_MEMBERS + WATERFALL_MEMBERS)) * slowdown + OVERHEAD, 9
        ),
        round(OVERHEAD, 9),  # the waterfall: its split came with the picture
    }
    assert {round(latency, 9) for latency in alone.latencies} == expected
    costs = (fixed, per_member, slowdown)
    batches = Workshop(costs, pooled=False, seed=5).run(50, 300)
    continuous = Workshop(costs, pooled=False, seed=5, continuous=True).run(50, 300)
    assert continuous[2] < batches[2]
