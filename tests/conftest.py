"""Shared fixtures: strict dtype promotion for every test, x64 on demand, a PRNG key."""

import jax
import pytest

jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture
def key():
    return jax.random.PRNGKey(0)


@pytest.fixture
def x64():
    """Enable float64 for the duration of one test."""
    with jax.enable_x64(True):
        yield


def pytest_collection_modifyitems(items):
    """Run the sharding check first: it waits on its own process for about a
    minute, and under ``pytest -n 2`` it then overlaps the bulk of the suite
    instead of leaving one worker idle at the end. (A stable sort: the order is
    the same on every worker, as xdist requires.)"""
    items.sort(key=lambda item: 0 if item.nodeid.startswith("tests/test_sharding.py") else 1)
