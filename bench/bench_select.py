"""Benchmarks: comparisons, logic, where and soft indexing against the same soft
formula written by hand in jnp (the parity targets), and against their hard jnp
forms (informational rows: there is no parity to aim for, see ``_info``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from _harness import Case

import softops as so

SHAPES = ((128, 1000), (1, 100000))


def _info(name, fn, hard, args, hard_name, group):
    """The same operator against its hard jnp form, for information: a soft
    operator does O(n) work where a gather does O(1), and the hard forms'
    gradients with respect to the soft input are identically 0, so there is no
    parity to aim for (the row above times the soft formula written by hand)."""
    return Case(f"{name} vs hard (info)", fn, hard, args, hard_name, float("inf"), group)


def cases() -> list[Case]:
    out = []
    key = jax.random.PRNGKey(0)
    for shape in SHAPES:
        tag = "x".join(map(str, shape))
        a, b = jax.random.normal(key, (2, *shape), jnp.float32)
        p = jax.nn.sigmoid(a)
        n = shape[-1]
        idx = jax.random.randint(key, shape[:-1] + (1,), 0, n)
        dist = jax.nn.one_hot(idx, n, dtype=jnp.float32)  # (..., 1, n)
        out += [
            Case(
                f"greater t=0.5 {tag}",
                lambda a, b: so.greater(a, b, temperature=0.5),
                lambda a, b: jax.nn.sigmoid((a - b) / 0.5),
                (a, b),
                "sigmoid((a-b)/t)",
                1.5,
                "compare",
            ),
            Case(
                f"equal t=0.5 {tag}",
                lambda a, b: so.equal(a, b, temperature=0.5),
                lambda a, b: 1.0 / jnp.square(jnp.cosh((a - b) / (2 * 0.5))),
                (a, b),
                "sech^2((a-b)/2t)",
                1.2,
                "compare",
            ),
            _info(
                f"equal t=0.5 {tag}",
                lambda a, b: so.equal(a, b, temperature=0.5),
                lambda a, b: jnp.equal(a, b).astype(a.dtype) + 0 * a,
                (a, b),
                "jnp.equal",
                "compare",
            ),
            Case(
                f"where {tag}",
                lambda p, a, b: so.where(p, a, b),
                lambda p, a, b: p * a + (1.0 - p) * b,
                (p, a, b),
                "p*a + (1-p)*b",
                1.2,
                "select",
            ),
            _info(
                f"where {tag}",
                lambda p, a, b: so.where(p, a, b),
                lambda p, a, b: jnp.where(p > 0.5, a, b),
                (p, a, b),
                "jnp.where",
                "select",
            ),
            Case(
                f"all(product) {tag}",
                lambda p: so.all(p, axis=-1),
                lambda p: jnp.prod(p, axis=-1),
                (p,),
                "jnp.prod",
                2.0,
                "logic",
            ),
            Case(
                f"any(product) {tag}",
                lambda p: so.any(p, axis=-1),
                lambda p: 1.0 - jnp.prod(1.0 - p, axis=-1),
                (p,),
                "1-prod(1-p)",
                2.0,
                "logic",
            ),
            Case(
                f"take_along_axis one-hot {tag}",
                lambda a, d: so.take_along_axis(a, d, axis=-1),
                lambda a, d: jnp.matmul(d, a[..., None], precision="highest")[..., 0],
                (a, dist),
                "dist @ a",
                1.2,
                "select",
            ),
            _info(
                f"take_along_axis one-hot {tag}",
                lambda a, d: so.take_along_axis(a, d, axis=-1),
                lambda a, d, idx=idx: jnp.take_along_axis(a, idx, axis=-1),
                (a, dist),
                "jnp.take_along_axis",
                "select",
            ),
        ]
    return out
