"""The examples run end to end (the quickstart is what `make demo` runs)."""

import importlib.util
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_learns_the_jumps_and_compiles_once():
    quickstart = load("quickstart")
    # optax's schedules multiply Python floats by int32 step counts, which the suite's
    # strict promotion rejects; the example is user code, so it runs as users run it.
    with jax.numpy_dtype_promotion("standard"):
        out = quickstart.main(verbose=False)
    assert out["compiles"] == 1, "annealing the temperature must not recompile the train step"
    assert out["temperatures"] > 100
    last = out["rows"][-1]
    assert last[2] == 0.0  # ends exactly hard ...
    assert last[3] == 0.0  # ... where soft and hard outputs agree
    annealed_loss, hard_only_loss = last[4], out["hard_rows"][-1][4]
    assert annealed_loss < 1e-3 < hard_only_loss
    np.testing.assert_allclose(jnp.sort(out["params"]["b"]), quickstart.TRUE_JUMPS, atol=0.05)
