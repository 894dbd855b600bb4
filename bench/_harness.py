"""Timing harness shared by the benchmark modules (``bench/bench_*.py``).

Each module defines ``cases() -> list[Case]``. For every case the harness times,
under ``jax.jit`` and after a warm-up, the forward pass and the forward+gradient
pass (gradient of a fixed weighted sum of the floating outputs w.r.t. the first argument,
the weights passed in as an argument) of
the softops function and of its baseline, and prints the ratio.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


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
    extra_reps: int = 3
    """Calls per timing of each ``extra`` (other libraries can be orders of
    magnitude slower); more for fast reference formulas."""


def _cotangent(shape) -> np.ndarray:
    """Fixed pseudo-random weights: the gradient benchmarks differentiate
    ``sum(w * out)``, not ``sum(out)``, whose gradient is trivial for
    permutation-invariant outputs (the sum of a sort is the sum of its input)."""
    return np.random.default_rng(0).uniform(0.5, 1.5, size=shape).astype(np.float32)


def _floating(out):
    return [x for x in jax.tree_util.tree_leaves(out) if jnp.issubdtype(x.dtype, jnp.floating)]


def _with_gradient(fn, args):
    """``(g, args')``: ``g(*args')`` is the gradient of ``sum(w * fn(*args))``
    with respect to ``args[0]``. The weights are passed in as an argument, not
    closed over: as constants, XLA would constant-fold whatever part of the
    backward pass depends on them alone (the whole gradient of a linear
    operator such as the average pool)."""
    weights = [jnp.asarray(_cotangent(x.shape)) for x in _floating(jax.eval_shape(fn, *args))]

    def g(weights, *args):
        def scalar(x0):
            leaves = _floating(fn(x0, *args[1:]))
            return sum(jnp.sum(x.astype(jnp.float32) * w) for x, w in zip(leaves, weights, strict=True))

        return jax.grad(scalar)(args[0])

    return g, (weights, *args)


def _samples(calls: Sequence[tuple[Callable[..., Any], Sequence[Any]]], repeats: int, min_time: float):
    """Seconds per call of each already-jitted ``(function, arguments)`` pair, one
    list per pair, all of the same length. The pairs are called in turn, in
    alternating order (ours, baseline, baseline, ours, ...), so that drifts in
    machine load, and what one call leaves in the caches for the next, hit all
    alike; ``repeats`` rounds at least, more until ``min_time`` per pair is
    spent (at most 400 rounds)."""
    for fn, args in calls:
        jax.block_until_ready(fn(*args))  # compile + warm up
        jax.block_until_ready(fn(*args))
    times: list[list[float]] = [[] for _ in calls]
    order = list(range(len(calls)))
    start = time.perf_counter()
    while len(times[0]) < repeats or time.perf_counter() - start < min_time * len(calls):
        for i in order:
            fn, args = calls[i]
            t0 = time.perf_counter()
            jax.block_until_ready(fn(*args))
            times[i].append(time.perf_counter() - t0)
        order.reverse()
        if len(times[0]) >= 400:
            break
    return times


def _median(values: Sequence[float]) -> float:
    return float(np.median(np.asarray(values)))


def timeit(fn: Callable[..., Any], args: Sequence[Any], repeats: int = 20, min_time: float = 0.2) -> float:
    """Median seconds per call of an already-jitted ``fn``; blocks on results."""
    return _median(_samples([(fn, args)], repeats, min_time)[0])


@contextlib.contextmanager
def _quiet_callbacks():
    """Keep jax from logging a full traceback for each host callback that
    raises inside another library: the failure is reported in the table."""
    log = logging.getLogger("jax._src.callback")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def _reason(err: Exception, width: int = 70) -> str:
    """The gist of another library's error: the innermost ``SomeError: message``
    line of a traceback carried in it (a host callback's), else its first line."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    raised = [ln for ln in lines if re.match(r"^[\w.]*(Error|Exception): ", ln)]
    text = raised[-1].split(": ", 1)[1] if raised else (lines[0] if lines else "")
    return text if len(text) <= width else text[: width - 3] + "..."


def run_case(case: Case, quick: bool = False) -> dict[str, Any]:
    reps = 3 if quick else 20
    min_time = 0.0 if quick else 0.2
    row: dict[str, Any] = {
        "name": case.name,
        "group": case.group,
        "baseline": case.baseline_name,
        "target": case.target,
    }
    for label in ("fwd", "grad"):
        if label == "grad" and not case.grad:
            continue

        def timed(f, label=label):
            """``f`` (or its gradient) jitted, with its arguments."""
            if label == "fwd":
                return jax.jit(f), tuple(case.args)
            g, args = _with_gradient(f, case.args)
            return jax.jit(g), args

        if label == "grad" and case.grad_baseline is not None:
            baseline = (jax.jit(case.grad_baseline), tuple(case.args))
        else:
            baseline = timed(case.baseline)
        ours_t, base_t = _samples([timed(case.fn), baseline], reps, min_time)
        ours, base = _median(ours_t), _median(base_t)
        row[f"{label}_us"] = ours * 1e6
        # the median of the ratios of calls made side by side, not the ratio of
        # the medians: a drift in load between rounds cancels within each pair
        row[f"{label}_ratio"] = _median([a / b for a, b in zip(ours_t, base_t, strict=True)])
        for other, impl in case.extra.items():
            if isinstance(impl, str):  # a reason for not timing it
                row[f"{label}_{other}"] = impl
                continue
            try:
                # Other libraries can be orders of magnitude slower: a few calls suffice.
                with _quiet_callbacks():
                    if case.extra_reps > 3:
                        # a fast reference formula: timed side by side with the
                        # baseline, as ours is (a ratio of medians taken at
                        # different times moves with the load by +-10%)
                        ext_t, base_x = _samples([timed(impl), baseline], case.extra_reps, min_time)
                        row[f"{label}_{other}"] = _median([a / b for a, b in zip(ext_t, base_x, strict=True)])
                    else:
                        row[f"{label}_{other}"] = timeit(*timed(impl), 3, 0.0) / base
            except Exception as err:  # another library failing is reported, not fatal
                row[f"{label}_{other}"] = f"failed: {type(err).__name__} ({_reason(err)})"
    return row
