"""The benchmarks' cases trace.

Every softops function, baseline and reference formula of ``bench/`` is traced
(``jax.eval_shape``: nothing is compiled, run or timed), forward and with the
gradient the harness takes, so that a broken case fails here and not in the
next ``make bench``. Timing is ``bench/``'s job: nothing here depends on speed.
Other libraries' implementations (installed by ``make bench`` only) are left
to the bench, which reports their failures instead of stopping.
"""

import importlib
import pathlib
import sys

import jax
import pytest

BENCH = pathlib.Path(__file__).resolve().parents[1] / "bench"
MODULES = sorted(p.stem for p in BENCH.glob("bench_*.py"))


def _harness():
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module("_harness")


def test_every_benchmark_module_is_found():
    assert {"bench_elementwise", "bench_reductions", "bench_select", "bench_sorting"} <= set(MODULES)


@pytest.mark.parametrize("stem", MODULES)
def test_every_case_traces_forward_and_with_its_gradient(stem):
    harness = _harness()
    cases = importlib.import_module(stem).cases()
    assert cases, stem
    for case in cases:
        assert case.target >= 1.0, case.name  # a ratio to stay under (inf: an info row)
        # the harness's own split: fast reference formulas (timed side by side
        # with the baseline) against other libraries
        ours = [("softops", case.fn), ("baseline", case.baseline)]
        refs = [(k, f) for k, f in case.extra.items() if callable(f) and case.extra_reps > 3]
        for label, fn in ours + refs:
            out = jax.eval_shape(fn, *case.args)
            assert jax.tree_util.tree_leaves(out), (case.name, label)
            if case.grad and not (label == "baseline" and case.grad_baseline is not None):
                g, args = harness._with_gradient(fn, case.args)
                grads = jax.eval_shape(g, *args)
                assert jax.tree_util.tree_leaves(grads), (case.name, label, "gradient")
        if case.grad and case.grad_baseline is not None:
            assert jax.tree_util.tree_leaves(jax.eval_shape(case.grad_baseline, *case.args)), case.name
