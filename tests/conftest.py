"""Shared fixtures: strict dtype promotion for every test, x64 on demand, a PRNG key.

The suite compiles a few thousand small XLA programs and runs each on inputs of
a few hundred elements, so compiling is most of its time, and most of that is
LLVM's optimisation of the generated CPU code. The tests therefore compile with
LLVM optimisation off (``--xla_backend_optimization_level=0``): XLA's own HLO
passes (fusion, simplification) are unchanged and no fast-math is enabled.
Values can still differ from a default build in the last bit (the optimiser may,
for one, fuse a multiply and an add), which the tolerances allow; the bit-for-bit
checks compare programs compiled alike. The machine code is slower, which tiny
inputs do not notice; the suite's CPU time falls by about a fifth.
``SOFTOPS_TEST_XLA_OPT=default`` runs the suite with XLA's default flags.

Many tests compile the same program (one operator, mode and shape reached from
different tests, each with its own ``jit``), which jax's in-memory caches do not
share between functions nor between the ``pytest -n`` workers. The suite
therefore turns on jax's persistent compilation cache, keyed by the program
and the compiler's flags, in a directory of its own that the workers share and
that is removed at the end (about a fifth of the suite's time again).
``SOFTOPS_TEST_COMPILATION_CACHE=<dir>`` keeps it in ``<dir>`` between runs;
``=off`` compiles every program afresh.
"""

import atexit
import os
import shutil
import tempfile

if os.environ.get("SOFTOPS_TEST_XLA_OPT", "") != "default":
    # Before jax starts its backend, which reads XLA_FLAGS once. The sharding
    # test's subprocess inherits them.
    _FLAGS = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_FLAGS}".strip()

# The directory is made once, by the process that starts pytest; the xdist
# workers inherit it through the environment, and its maker removes it at exit.
_CACHE = os.environ.get("SOFTOPS_TEST_COMPILATION_CACHE")
if _CACHE is None:
    _CACHE = os.environ["SOFTOPS_TEST_COMPILATION_CACHE"] = tempfile.mkdtemp(prefix="softops-xla-")
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_numpy_dtype_promotion", "strict")
if _CACHE != "off":
    jax.config.update("jax_compilation_cache_dir", _CACHE)
    # every program, however quick to compile: the suite's are small and many
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def pytest_configure(config):
    if _CACHE != "off":
        # jax writes a cache entry in place, without a lock: a worker can read
        # one that the other is still writing. It then warns and compiles the
        # program itself, which is all a miss costs; the suite's "error" filter
        # must not turn that into a failure. (Later filters take precedence.)
        for what in ("reading", "writing"):
            config.addinivalue_line(
                "filterwarnings", f"ignore:Error {what} persistent compilation cache entry:UserWarning"
            )


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
