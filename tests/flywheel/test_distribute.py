"""Chunks on Dask: the same members, the same answers, however they are cut and wherever run."""

import numpy as np
import pytest

from flywheel import InputError
from flywheel.cli import main
from flywheel.distribute import member_count, run_members
from flywheel.ensemble import run_ensemble
from flywheel.simulate import batch_engine

COLUMNS = ["GDP per capita", "Digital Capital"]


def test_chunks_in_this_process_equal_one_batch():
    params = {
        "Digital capital lifetime": np.linspace(5, 12, 7),
        "Catch up rate": np.linspace(0.002, 0.05, 7),
    }
    whole = batch_engine().run(params, COLUMNS)
    # three chunks, one left: below one chunk it never leaves this process
    single = run_members({k: v[:1] for k, v in params.items()}, COLUMNS, chunk=3)
    np.testing.assert_array_equal(
        single.values["GDP per capita"], whole.values["GDP per capita"][:1]
    )
    assert member_count(params) == 7 and member_count({"x": 1.0}) == 1
    with pytest.raises(InputError, match="different lengths"):
        member_count({"a": np.ones(2), "b": np.ones(3)})
    with pytest.raises(InputError, match="at least 1"):
        run_members(params, COLUMNS, chunk=0)


def test_an_ensemble_on_local_dask_processes_equals_the_ensemble_here(tmp_path):
    here = run_ensemble(300, seed=9, variables=COLUMNS)
    there = run_ensemble(300, seed=9, variables=COLUMNS, scheduler="local", chunk=100)
    for column in COLUMNS:
        np.testing.assert_allclose(
            there.result.values[column], here.result.values[column], rtol=1e-12
        )
    assert there.result.members == 300


def test_an_unreachable_scheduler_is_one_line(capsys, tmp_path):
    code = main(
        ["ensemble", "--members", "10", "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--scheduler tcp://127.0.0.1:9: cannot reach a Dask scheduler" in err
    assert err.count("\n") == 1
