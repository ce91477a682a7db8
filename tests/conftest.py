import pytest

from flywheel import simulate


@pytest.fixture(scope="session")
def baseline():
    return simulate()
