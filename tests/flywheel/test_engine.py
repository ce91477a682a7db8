import random
import threading

import numpy as np
import pandas as pd
import pytest

from flywheel import InputError, Scenario, simulate
from flywheel.engine import Engine, translated_model_file
from flywheel.paths import MODEL_FILE, MODELS_DIR
from flywheel.simulate import engine


def test_translation_is_cached_by_content_outside_the_models_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("FLYWHEEL_CACHE_DIR", str(tmp_path))
    first = translated_model_file(MODEL_FILE)
    assert first.parent.parent == tmp_path and first.exists()
    stamp = first.stat().st_mtime_ns
    assert translated_model_file(MODEL_FILE) == first
    assert first.stat().st_mtime_ns == stamp  # not translated again
    assert not list(MODELS_DIR.glob("*.py"))

    edited = tmp_path / "copy" / MODEL_FILE.name
    edited.parent.mkdir()
    edited.write_text(
        MODEL_FILE.read_text().replace(
            "Initial digital capital=\n\t2.5", "Initial digital capital=\n\t3"
        )
    )
    other = translated_model_file(edited)
    assert other != first  # a changed file gets its own translation
    assert Engine(edited).run({}, ["Digital Capital"]).iloc[0, 0] == 3


def test_results_are_yearly_from_2005_to_2050(baseline):
    assert list(baseline.frame.index) == list(range(2005, 2051))
    assert baseline.units["Digital Capital"] == "trillion yuan"
    assert baseline.unit("GDP") == "trillion yuan/Year"


def test_a_run_does_not_leak_into_the_next():
    a = Scenario.from_levers({"public_investment": 12, "rd_intensity": 0})
    b = Scenario.from_levers({"enterprise_investment": 7, "policy_start_year": 2030})
    first_a = simulate(a).frame
    b_alone = simulate(b).frame
    pd.testing.assert_frame_equal(simulate(a).frame, first_a)
    pd.testing.assert_frame_equal(simulate(b).frame, b_alone)
    assert not first_a.equals(b_alone)


def test_model_parameters_set_for_one_run_do_not_persist(baseline):
    changed = simulate(params={"Digital capital lifetime": 4}).frame
    assert changed.loc[2030, "Digital Capital"] < baseline.frame.loc[2030, "Digital Capital"]
    pd.testing.assert_frame_equal(simulate().frame, baseline.frame)


def test_time_step_of_one_run_does_not_persist(baseline):
    coarse = simulate(time_step=0.25).frame
    assert not coarse.equals(baseline.frame)
    pd.testing.assert_frame_equal(simulate().frame, baseline.frame)


def random_scenarios(count, seed):
    from flywheel import load_levers

    rng = random.Random(seed)
    scenarios = []
    for _ in range(count):
        values = {}
        for lever in rng.sample(list(load_levers()), 4):
            steps = int(round((lever.max - lever.min) / lever.step))
            values[lever.key] = lever.min + lever.step * rng.randint(0, steps)
        scenarios.append(Scenario.from_levers(values))
    return scenarios


def test_parallel_threads_give_the_serial_results():
    scenarios = random_scenarios(20, seed=7)
    serial = [simulate(s).frame for s in scenarios]
    results = {}
    errors = []

    def worker(thread):
        try:
            order = list(range(len(scenarios)))
            random.Random(thread).shuffle(order)
            for index in order:
                results[(thread, index)] = simulate(scenarios[index]).frame
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 8 * 20
    for (_, index), frame in results.items():
        pd.testing.assert_frame_equal(frame, serial[index])


def test_unknown_variable_and_non_constant_are_refused():
    with pytest.raises(InputError, match="unknown model variable 'No such thing'"):
        simulate(variables=["No such thing"])
    with pytest.raises(InputError, match="not a constant"):
        engine().run({"GDP": 1}, ["GDP"])


def test_levers_cannot_be_set_behind_the_scenario():
    with pytest.raises(ValueError, match="is a lever"):
        simulate(params={"Public digital investment": 5})


def test_subscripted_cost_curves_come_back_as_columns():
    frame = simulate(variables=["Digital unit cost curve"]).frame
    curve = frame.filter(like="Digital unit cost curve[")
    assert curve.shape[1] == 9
    assert np.isfinite(curve.to_numpy()).all()


@pytest.mark.parametrize(
    "params",
    [
        {"Policy start year": 2010},  # a lever: only through a scenario
        {"Capital elasticity": 1.5},  # outside the model's declared [0,1]
        {"Digital capital lifetime": float("nan")},
        {"Digital capital lifetime": "eight"},
    ],
)
def test_simulate_refuses_levers_and_out_of_range_constants(params):
    from flywheel.errors import InputError

    with pytest.raises(InputError):
        simulate(params=params)


def test_scenario_refuses_an_early_policy_start_year():
    from flywheel.errors import InputError

    with pytest.raises(InputError, match="out of range"):
        Scenario.from_levers({"policy_start_year": 2010, "public_investment": 15})
