"""Timing harness shared by the benchmark modules (``bench/bench_*.py``).

Each module defines ``cases() -> list[Case]``. For every case the harness times,
under ``jax.jit`` and after a warm-up, the forward pass and the forward+gradient
pass (gradient of the sum of all floating outputs w.r.t. the first argument) of
the softops function and of its baseline, and prints the ratio.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp


@dataclasses.dataclass
class Case:
    name: str
    """Row label, e.g. ``relu[logistic] t=0.5``."""
    fn: Callable[..., Any]
    baseline: Callable[..., Any]
    args: Sequence[Any]
    baseline_name: str
    target: float = 1.1
    """Ratio (softops / baseline) we aim to stay under."""
    group: str = ""
    grad: bool = True
    grad_baseline: Callable[..., Any] | None = None
    """Timed as is (not differentiated) against our forward+gradient, for baselines
    whose gradient is trivially zero (``argsort(argsort(x))``)."""
    extra: dict[str, Callable[..., Any] | str] = dataclasses.field(default_factory=dict)
    """Other libraries' implementations, timed beside ours when installed (a string
    instead of a function is printed as the reason it is not timed)."""


def _scalar(fn):
    def f(*args):
        out = fn(*args)
        leaves = [x for x in jax.tree_util.tree_leaves(out) if jnp.issubdtype(x.dtype, jnp.floating)]
        return sum(jnp.sum(x.astype(jnp.float32)) for x in leaves)

    return f


def timeit(fn: Callable[..., Any], args: Sequence[Any], repeats: int = 20, min_time: float = 0.2) -> float:
    """Median seconds per call of an already-jitted ``fn``; blocks on results."""
    jax.block_until_ready(fn(*args))  # compile + warm up
    jax.block_until_ready(fn(*args))
    times = []
    start = time.perf_counter()
    while len(times) < repeats or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t0)
        if len(times) >= 200:
            break
    times.sort()
    return times[len(times) // 2]


def run_case(case: Case, quick: bool = False) -> dict[str, Any]:
    reps = 3 if quick else 20
    min_time = 0.0 if quick else 0.2
    row: dict[str, Any] = {
        "name": case.name,
        "group": case.group,
        "baseline": case.baseline_name,
        "target": case.target,
    }
    for label, wrap in (("fwd", lambda f: f), ("grad", lambda f: jax.grad(_scalar(f)))):
        if label == "grad" and not case.grad:
            continue
        ours = timeit(jax.jit(wrap(case.fn)), case.args, reps, min_time)
        if label == "grad" and case.grad_baseline is not None:
            base = timeit(jax.jit(case.grad_baseline), case.args, reps, min_time)
        else:
            base = timeit(jax.jit(wrap(case.baseline)), case.args, reps, min_time)
        row[f"{label}_us"] = ours * 1e6
        row[f"{label}_ratio"] = ours / base
        for other, impl in case.extra.items():
            if isinstance(impl, str):  # a reason for not timing it
                row[f"{label}_{other}"] = impl
                continue
            try:
                # Other libraries can be orders of magnitude slower: a few calls suffice.
                row[f"{label}_{other}"] = timeit(jax.jit(wrap(impl)), case.args, 3, 0.0) / base
            except Exception as err:  # another library failing is reported, not fatal
                row[f"{label}_{other}"] = f"failed: {type(err).__name__}"
    return row
