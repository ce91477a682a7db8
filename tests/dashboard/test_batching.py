"""Dynamic batching: concurrent requests share a batch and each gets only its own rows."""

import threading
import time

import numpy as np
import pytest

from dashboard.batching import DynamicBatcher
from flywheel import Scenario
from flywheel.ensemble import ensemble_params, posterior
from flywheel.simulate import engine, model_params

VARIABLES = ["GDP per capita", "Digital Government Capability", "Digital Society Adoption"]


def params_of(levers):
    return model_params(Scenario.from_levers(levers))[0]


def test_concurrent_requests_share_batches_and_get_their_own_answers():
    batcher = DynamicBatcher(window=0.02)
    scenarios = [{"public_investment": 0.5 * i, "rd_intensity": (i % 7) + 1.0} for i in range(30)]
    expected = [engine().run(params_of(s), VARIABLES) for s in scenarios]
    answers, errors = {}, []
    barrier = threading.Barrier(len(scenarios))

    def user(index):
        try:
            barrier.wait()
            answers[index] = batcher.submit(params_of(scenarios[index]), VARIABLES).member(0)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(len(scenarios))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(answers) == 30
    assert batcher.stats.jobs == 30 and batcher.stats.batches < 30  # they were batched
    assert batcher.stats.largest > 1
    for index, frame in answers.items():
        np.testing.assert_allclose(
            frame[VARIABLES].to_numpy(), expected[index].to_numpy(), rtol=1e-9, atol=1e-12
        )


def test_a_run_and_an_ensemble_in_one_batch_each_get_their_rows():
    batcher = DynamicBatcher(window=0.05)
    draws, _ = posterior().sample(20, seed=4)
    scenario = Scenario.from_levers({"enterprise_investment": 5})
    band_params = ensemble_params(scenario, draws)
    results = {}

    def ensemble():
        results["ensemble"] = batcher.submit(band_params, VARIABLES, members=20)

    def single():
        results["run"] = batcher.submit(params_of({"policy_dividend": 2}), VARIABLES)

    threads = [threading.Thread(target=ensemble), threading.Thread(target=single)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert batcher.stats.batches == 1 and batcher.stats.members == 21
    assert results["ensemble"].members == 20 and results["run"].members == 1
    expected = engine().run(params_of({"policy_dividend": 2}), VARIABLES)
    np.testing.assert_allclose(
        results["run"].member(0)[VARIABLES].to_numpy(), expected.to_numpy(), rtol=1e-9
    )
    member = {**params_of({"enterprise_investment": 5}), **draws.iloc[7].to_dict()}
    np.testing.assert_allclose(
        results["ensemble"].member(7)[VARIABLES].to_numpy(),
        engine().run(member, VARIABLES).to_numpy(),
        rtol=1e-9,
    )


def test_a_lone_run_is_pysds_own():
    batcher = DynamicBatcher(window=0.0)
    params = params_of({"public_investment": 7})
    frame = batcher.submit(params, VARIABLES).member(0)
    assert batcher.stats.single_runs == 1
    np.testing.assert_allclose(
        frame.to_numpy(), engine().run(params, VARIABLES).to_numpy(), rtol=1e-9, atol=1e-12
    )


def test_a_failing_batch_fails_every_request_in_it_and_the_next_one_works():
    batcher = DynamicBatcher(window=0.05)
    errors = []

    def bad():
        try:
            batcher.submit({"No such constant": 1.0}, VARIABLES, members=2)
        except Exception as error:  # noqa: BLE001 - the point of the test
            errors.append(error)

    threads = [threading.Thread(target=bad) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 3
    frame = batcher.submit(params_of({}), VARIABLES).member(0)
    assert frame.loc[2050, "GDP per capita"] > 0


def test_dashboard_runs_go_through_the_batcher():
    from dashboard import runs
    from dashboard.batching import batcher

    before = batcher().stats.jobs
    runs._run.cache_clear()
    result = runs.run({"public_investment": 11.0})
    assert batcher().stats.jobs == before + 1
    expected = engine().run(params_of({"public_investment": 11.0}), ["GDP per capita"])
    assert result.frame["GDP per capita"].tolist() == pytest.approx(
        expected["GDP per capita"].tolist(), rel=1e-9
    )


def test_a_background_job_waits_for_the_picture_that_arrived_with_it():
    """A fan asked for ahead of a drag never slows the run a user waits to see."""
    batcher = DynamicBatcher(window=0.1)  # both jobs surely land in the same window
    fan = {"Public digital investment": np.linspace(0, 15, 151)}
    fan_params = {**params_of({}), **fan}
    finished, results = [], {}
    barrier = threading.Barrier(2)

    def background():
        barrier.wait()
        results["fan"] = batcher.submit(fan_params, VARIABLES, members=151, background=True)
        finished.append("fan")

    def picture():
        barrier.wait()
        results["run"] = batcher.submit(params_of({"rd_intensity": 6}), VARIABLES)
        finished.append("run")

    threads = [threading.Thread(target=background), threading.Thread(target=picture)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert finished == ["run", "fan"]
    assert batcher.stats.batches == 2 and batcher.stats.single_runs == 1  # never merged
    expected = engine().run(params_of({"rd_intensity": 6}), VARIABLES)
    np.testing.assert_allclose(results["run"].member(0)[VARIABLES].to_numpy(), expected.to_numpy())
    assert results["fan"].members == 151
    assert batcher.waiting_members == 0


def test_a_lone_run_overtakes_a_background_batch_already_running():
    """A drag that starts before its fan is ready: the first move's run goes at the fan's
    next simulated year instead of after the whole fan, and every answer is right, with
    another user's fan held for the next batch before it."""
    batcher = DynamicBatcher(window=0.0)
    fan_params = {**params_of({}), "Public digital investment": np.linspace(0, 15, 3000)}
    other_fan = {**params_of({}), "Enterprise R and D intensity": np.linspace(0.5, 8, 151)}
    finished, results = [], {}

    def background(name, params, members):
        results[name] = batcher.submit(params, VARIABLES, members=members, background=True)
        finished.append(name)

    first = threading.Thread(target=background, args=("fan", fan_params, 3000))
    first.start()
    while batcher.stats.batches == 0:  # the fan's batch has started
        time.sleep(0.001)
    second = threading.Thread(target=background, args=("other fan", other_fan, 151))
    second.start()
    while not batcher._held:  # a pause took the other fan and keeps it for later
        time.sleep(0.001)
    results["run"] = batcher.submit(params_of({"rd_intensity": 6}), VARIABLES)
    finished.append("run")
    first.join()
    second.join()
    assert finished == ["run", "fan", "other fan"]
    assert batcher.stats.overtaken == 1 and batcher.stats.batches == 3
    expected = engine().run(params_of({"rd_intensity": 6}), VARIABLES)
    np.testing.assert_allclose(
        results["run"].member(0)[VARIABLES].to_numpy(), expected.to_numpy(), rtol=1e-9
    )
    checks = (
        ("fan", 1234, "Public digital investment", fan_params),
        ("other fan", 77, "Enterprise R and D intensity", other_fan),
    )
    for name, index, constant, params in checks:
        member = {**params_of({}), constant: float(params[constant][index])}
        np.testing.assert_allclose(
            results[name].member(index)[VARIABLES].to_numpy(),
            engine().run(member, VARIABLES).to_numpy(),
            rtol=1e-9,
        )


def test_work_that_arrives_during_a_pause_waits_for_the_next_batch_together():
    """Only a lone run overtakes: a run with its bands (or several users at once) waits
    for the background batch and then shares one evaluation."""
    batcher = DynamicBatcher(window=0.0)
    fan_params = {**params_of({}), "Public digital investment": np.linspace(0, 15, 3000)}
    draws, _ = posterior().sample(20, seed=4)
    band_params = ensemble_params(Scenario.from_levers({}), draws)
    done = []

    def background():
        batcher.submit(fan_params, VARIABLES, members=3000, background=True)
        done.append("fan")

    thread = threading.Thread(target=background)
    thread.start()
    while batcher.stats.batches == 0:
        time.sleep(0.001)
    bands = threading.Thread(
        target=lambda: done.append(batcher.submit(band_params, VARIABLES, 20).members)
    )
    bands.start()
    while not batcher._held:  # a pause took the bands and kept them for the next batch
        time.sleep(0.001)
    run = threading.Thread(
        target=lambda: done.append(batcher.submit(params_of({}), VARIABLES).members)
    )
    run.start()
    for other in (thread, bands, run):
        other.join()
    assert done[0] == "fan" and batcher.stats.overtaken == 0
    assert batcher.stats.batches == 2  # the run and the bands shared the next batch


def test_jobs_held_during_a_pause_keep_to_the_largest_batch():
    """Jobs held for the next batch are taken as queued ones are: up to ``max_members``."""
    batcher = DynamicBatcher(window=0.0, max_members=100)
    fan_params = {**params_of({}), "Public digital investment": np.linspace(0, 15, 3000)}
    small_fan = {**params_of({}), "Public digital investment": np.linspace(0, 15, 151)}
    threads = [
        threading.Thread(
            target=batcher.submit, args=(fan_params, VARIABLES, 3000), kwargs={"background": True}
        )
    ]
    threads[0].start()
    while batcher.stats.batches == 0:
        time.sleep(0.001)
    for _ in range(2):
        threads.append(
            threading.Thread(
                target=batcher.submit,
                args=(small_fan, VARIABLES, 151),
                kwargs={"background": True},
            )
        )
        threads[-1].start()
    deadline, held = time.monotonic() + 10, 0
    while held < 2 and time.monotonic() < deadline:  # taken by pauses of the big batch
        held = max(held, len(batcher._held))
        time.sleep(0.001)
    assert held == 2  # both waited for the next batch together
    for thread in threads:
        thread.join()
    assert batcher.stats.batches == 3 and batcher.stats.largest == 3000


def test_a_settled_scenarios_split_is_started_once_and_shared(monkeypatch):
    """The picture starts the waterfall's split; the waterfall's own request waits for that
    same computation instead of starting another, and a failure is not kept."""
    import flywheel.attribution
    from dashboard import runs

    calls = []
    release = threading.Event()
    real = flywheel.attribution.attribute

    def counted(*args, **kwargs):
        calls.append(1)
        release.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(flywheel.attribution, "attribute", counted)
    levers = {"public_investment": 7.3, "rd_intensity": 4.1}
    runs.start_attribution(levers)
    waiting = []
    reader = threading.Thread(target=lambda: waiting.append(runs.attribution(levers)))
    reader.start()
    release.set()
    reader.join(30)
    assert len(calls) == 1 and waiting and not waiting[0].shares.empty
    assert runs.attribution(levers) is waiting[0] and len(calls) == 1

    def broken(*args, **kwargs):
        raise RuntimeError("model failed")

    monkeypatch.setattr(flywheel.attribution, "attribute", broken)
    odd = {"public_investment": 7.7}
    with pytest.raises(RuntimeError):
        runs.attribution(odd)
    monkeypatch.setattr(flywheel.attribution, "attribute", real)
    assert not runs.attribution(odd).shares.empty  # computed again, not the failure


def test_a_gathering_goes_as_one_batch_whatever_the_threads_timing():
    """A picture's run, its bands and its waterfall split are asked for from three threads;
    with a window of no time at all they still share one batch, and each gets its rows."""
    batcher = DynamicBatcher(window=0.0)
    gathering = batcher.gather(3)
    draws, _ = posterior().sample(8, seed=2)
    band_params = ensemble_params(Scenario.from_levers({"rd_intensity": 5}), draws)
    split = {**params_of({}), "Public digital investment": np.array([2.0, 6.0])}
    results = {}

    def part(number, delay, params, members, background=False):
        with gathering.member(number):
            time.sleep(delay)  # far longer than the batcher's window
            results[number] = batcher.submit(params, VARIABLES, members, background=background)

    threads = [
        threading.Thread(target=part, args=(2, 0.03, split, 2, True)),
        threading.Thread(target=part, args=(0, 0.0, params_of({"rd_intensity": 5}), 1)),
        threading.Thread(target=part, args=(1, 0.015, band_params, 8)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert batcher.stats.batches == 1 and batcher.stats.largest == 11
    assert batcher.stats.gatherings_cut == 0
    expected = engine().run(params_of({"rd_intensity": 5}), VARIABLES)
    np.testing.assert_allclose(
        results[0].member(0)[VARIABLES].to_numpy(), expected.to_numpy(), rtol=1e-9
    )
    alone = DynamicBatcher(window=0.0).submit(band_params, VARIABLES, members=8)
    for variable in VARIABLES:
        np.testing.assert_allclose(results[1].values[variable], alone.values[variable], rtol=1e-9)
    assert results[2].members == 2
    high = engine().run({**params_of({}), "Public digital investment": 6.0}, VARIABLES)
    np.testing.assert_allclose(
        results[2].member(1)[VARIABLES].to_numpy(), high.to_numpy(), rtol=1e-9
    )


def test_a_part_that_asks_for_no_run_lets_the_gathering_go_at_once():
    """A memoised part (or one that failed) counts as arrived when it leaves its block."""
    batcher = DynamicBatcher(window=0.0)
    gathering = batcher.gather(2)
    with gathering.member(1):
        pass  # its answer was remembered
    with gathering.member(0):
        batcher.submit(params_of({"policy_dividend": 1.5}), VARIABLES)
    assert batcher.stats.batches == 1
    assert batcher.stats.gatherings_cut == 0  # it did not wait out the bound
    failing = batcher.gather(2)
    with pytest.raises(RuntimeError), failing.member(0):
        raise RuntimeError("no run asked for")
    with failing.member(1):
        batcher.submit(params_of({"policy_dividend": 1.6}), VARIABLES)
    assert batcher.stats.batches == 2 and batcher.stats.gatherings_cut == 0


def test_a_late_part_does_not_hold_the_others_beyond_the_bound(monkeypatch):
    """With every helper thread taken, a part may come late: the runs that arrived go
    after GATHER_SECONDS, and the late one follows on its own; nobody waits for ever."""
    import dashboard.batching as batching

    monkeypatch.setattr(batching, "GATHER_SECONDS", 0.05)
    batcher = DynamicBatcher(window=0.0)
    gathering = batcher.gather(2)
    first_answered = threading.Event()
    done = {}

    def late():
        first_answered.wait(60)  # comes only once the other part has its answer
        with gathering.member(1):
            done["late"] = batcher.submit(params_of({"rd_intensity": 2}), VARIABLES)

    thread = threading.Thread(target=late)
    thread.start()
    with gathering.member(0):
        done["first"] = batcher.submit(params_of({"rd_intensity": 3}), VARIABLES, timeout=30)
    first_answered.set()
    thread.join(60)
    assert batcher.stats.gatherings_cut == 1
    assert batcher.stats.batches == 2 and set(done) == {"first", "late"}
    expected = engine().run(params_of({"rd_intensity": 2}), VARIABLES)
    np.testing.assert_allclose(
        done["late"].member(0)[VARIABLES].to_numpy(), expected.to_numpy(), rtol=1e-9
    )


def test_a_settled_pictures_waterfall_split_shares_its_batch(monkeypatch):
    """The release of a drag: the picture's run, its 200 band members and the split of
    its two levers go as one batch, and the waterfall's request finds the split done."""
    from dashboard import runs

    levers = {"public_investment": 6.1, "enterprise_investment": 3.3}
    variables = ("GDP per capita",)
    runs.bands({}, variables)  # the baseline's bands, as a warmed worker has them
    own = DynamicBatcher()  # this test's batches only, whatever earlier tests left running
    monkeypatch.setattr(runs, "batcher", lambda: own)
    result, bands = runs.picture_runs(levers, variables, with_bands=True, settled=True)
    assert own.stats.batches == 1
    assert own.stats.members == 1 + runs.BAND_MEMBERS + 4
    split = runs._attribution_future(levers, "china")
    split.result(timeout=10)  # the helper turns the rows into shares
    assert own.stats.batches == 1  # nothing more was run for it
    column = ("GDP per capita", 2050)
    change = (
        result.frame.loc[2050, "GDP per capita"] - runs.baseline().frame.loc[2050, "GDP per capita"]
    )
    assert split.result().shares[column].sum() == pytest.approx(change, rel=1e-9)
    assert set(bands) == {"GDP per capita"}


def test_a_split_of_many_levers_does_not_slow_the_picture(monkeypatch):
    """Seven levers moved: the split's 128 runs go after the picture's, not in its batch."""
    from dashboard import runs

    own = DynamicBatcher()  # this test's batches only, whatever earlier tests left running
    monkeypatch.setattr(runs, "batcher", lambda: own)
    batches = []
    real = own._run

    def recorded(jobs, pause=None):
        batches.append(sorted(job.members for job in jobs))
        return real(jobs, pause)

    monkeypatch.setattr(own, "_run", recorded)
    levers = {
        "public_investment": 6.3,
        "enterprise_investment": 3.1,
        "rd_intensity": 4.2,
        "policy_dividend": 1.4,
        "demonstration_projects": 60.0,
        "digital_inclusion": 0.4,
        "phase_in_time": 5.0,
    }
    assert 2 ** len(levers) > runs.SPLIT_WITH_PICTURE
    runs.picture_runs(levers, ("GDP per capita",), settled=True)
    assert batches == [[1]]  # the picture's run alone
    runs._attribution_future(levers, "china").result(timeout=60)
    assert batches == [[1], [128]]
    assert own.waiting_members == 0
