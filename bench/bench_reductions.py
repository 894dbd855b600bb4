"""Benchmarks: soft argmax/max/logsumexp against jax.nn.softmax, pooling against reduce_window."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from _harness import Case
from jax import lax

import softops as so

SHAPES = ((128, 1000), (1, 100000))
POOLS = (((32, 64, 64), (3, 3), (1, 1)), ((32, 64, 64), (2, 2), (2, 2)))


def _softmax_t(x, t):
    return jax.nn.softmax(x / t, axis=-1)


def _softmax_mean(x, t):
    return jnp.sum(jax.nn.softmax(x / t, axis=-1) * x, axis=-1)


def _lse_t(x, t):
    return t * jax.scipy.special.logsumexp(x / t, axis=-1)


def _reduce_window_max(window, strides):
    def pool(x, t):
        lead = x.ndim - len(window)
        return lax.reduce_window(x, -jnp.inf, lax.max, (1,) * lead + window, (1,) * lead + strides, "VALID")

    return pool


def _reduce_window_mean(window, strides):
    def pool(x, t):
        lead = x.ndim - len(window)
        dims = (1,) * lead + window
        return lax.reduce_window(x, 0.0, lax.add, dims, (1,) * lead + strides, "VALID") / math.prod(window)

    return pool


def cases() -> list[Case]:
    out = []
    t = jnp.float32(0.5)
    for shape in SHAPES:
        x = jax.random.normal(jax.random.PRNGKey(0), shape, "float32")
        tag = "x".join(map(str, shape))
        hard_argmax = {"jnp.argmax": lambda x, t: jax.nn.one_hot(jnp.argmax(x, -1), x.shape[-1])}
        hard_max = {"jnp.max": lambda x, t: jnp.max(x, -1)}
        out.append(
            Case(
                f"argmax[softmax] {tag}",
                lambda x, t: so.argmax(x, temperature=t),
                _softmax_t,
                (x, t),
                "jax.nn.softmax",
                1.2,
                "reductions",
                extra=hard_argmax,
            )
        )
        out.append(
            Case(
                f"max[softmax] {tag}",
                lambda x, t: so.max(x, temperature=t),
                _softmax_t,
                (x, t),
                "jax.nn.softmax",
                1.2,
                "reductions",
                extra={**hard_max, "sum(softmax * x)": _softmax_mean},
            )
        )
        out.append(
            Case(
                f"logsumexp {tag}",
                lambda x, t: so.logsumexp(x, temperature=t),
                _lse_t,
                (x, t),
                "t * jax.scipy.special.logsumexp(x / t)",
                1.2,
                "reductions",
                extra=hard_max,
            )
        )
        for mode in ("sparsemax", "entmax15"):
            # An iterative threshold search (a few passes over each row) against
            # softmax's two: no parity target, only a bound.
            out.append(
                Case(
                    f"argmax[{mode}] {tag}",
                    lambda x, t, m=mode: so.argmax(x, temperature=t, mode=m),
                    _softmax_t,
                    (x, t),
                    "jax.nn.softmax",
                    5.0,
                    "reductions",
                )
            )
    for shape, window, strides in POOLS:
        x = jax.random.normal(jax.random.PRNGKey(1), shape, "float32")
        tag = f"{'x'.join(map(str, shape))} w{window} s{strides}"
        base = _reduce_window_max(window, strides)
        for mode in ("softmax", "logsumexp"):
            out.append(
                Case(
                    f"max_pool[{mode}] {tag}",
                    lambda x, t, w=window, s=strides, m=mode: so.max_pool(
                        x, w, strides=s, temperature=t, mode=m
                    ),
                    base,
                    (x, t),
                    "lax.reduce_window max",
                    1.5,
                    "pooling",
                )
            )
        out.append(
            Case(
                f"max_pool t=0 {tag}",
                lambda x, t, w=window, s=strides: so.max_pool(x, w, strides=s, temperature=0.0 * t),
                base,
                (x, t),
                "lax.reduce_window max",
                1.5,
                "pooling",
            )
        )
        # avg_pool is exactly the hand-written window mean (linear: nothing to
        # relax), so that is its baseline; the max pool beside it is the
        # reference the 1.5x is about (on CPU a reduce_window add is
        # slower than a max for some geometries: the 2x2/2 sum ~1.7x).
        out.append(
            Case(
                f"avg_pool {tag}",
                lambda x, t, w=window, s=strides: so.avg_pool(x, w, strides=s),
                _reduce_window_mean(window, strides),
                (x, t),
                "reduce_window add / n",
                1.5,
                "pooling",
                extra={"lax.reduce_window max": base},
            )
        )
    return out
