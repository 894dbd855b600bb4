"""Benchmarks for the sorting family (float32, jit, forward and forward+grad).

Targets from issue 4: sort within 2x of ``jnp.sort``; rank within 2x of
``argsort(argsort(x))``; top_k (k = 10) and quantile within 2x of ``jnp.sort``.
When ott-jax is installed, its ``soft_sort`` operators are timed on the same
inputs (``Case.extra``); softjax is timed too when importable (its default
method and its ``fast_soft_sort``), with the same temperature as ``softness``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from _harness import Case

import softops as so

SHAPES = ((128, 1000), (1, 100_000))
T = 0.1


# ott-jax's soft sort and rank solve an optimal-transport problem whose plan has
# n x n entries per row (n x 3 for top_k and quantile). Its soft rank asked for
# 320 GB at (128, 1000), so ranks are compared only below this many plan entries.
OTT_RANK_MAX_ENTRIES = 2e7
OTT_MAX_ENTRIES = 2e8


def _ott(op: str, shape: tuple[int, int]):
    try:  # optional: ott-jax's Sinkhorn-based soft sorting
        from ott.tools import soft_sort as ott_ss
    except ImportError:
        return None
    rows, n = shape
    entries = rows * n * (n if op in ("sort", "rank") else 3)
    limit = OTT_RANK_MAX_ENTRIES if op == "rank" else OTT_MAX_ENTRIES
    if entries > limit:
        return f"skipped: {entries:.1e} transport-plan entries (O(n^2) memory)"
    return {
        "sort": lambda x: ott_ss.sort(x, axis=-1),
        "rank": lambda x: ott_ss.ranks(x, axis=-1),
        "top_k": lambda x: ott_ss.sort(x, axis=-1, topk=10),
        "quantile": lambda x: ott_ss.quantile(x, jnp.array([0.5]), axis=-1),
    }[op]


# softjax (Python >= 3.12): its default ``neuralsort`` builds an n x n soft
# permutation per row; its ``fast_soft_sort`` method is the permutahedron
# projection, the same family as ours.
SOFTJAX_MAX_ENTRIES = 2e8


def _softjax(op: str, shape: tuple[int, int]) -> dict:
    try:  # optional
        import softjax  # type: ignore
    except ImportError:
        return {}
    rows, n = shape
    q = jnp.array(0.5)
    calls = {
        "sort": lambda x, **kw: softjax.sort(x, axis=-1, softness=T, **kw),
        "rank": lambda x, **kw: softjax.rank(x, axis=-1, softness=T, descending=False, **kw),
        "top_k": lambda x, **kw: softjax.top_k(x, 10, axis=-1, softness=T, **kw)[0],
        "quantile": lambda x, **kw: softjax.quantile(x, q, axis=-1, softness=T, **kw),
    }
    out = {}
    if rows * n * n > SOFTJAX_MAX_ENTRIES:
        out["softjax"] = f"skipped: {rows * n * n:.1e} soft-permutation entries (O(n^2) memory)"
    else:
        out["softjax"] = calls[op]
    out["softjax[fast_soft_sort]"] = lambda x: calls[op](x, method="fast_soft_sort")
    return out


def _others(op: str, shape: tuple[int, int]) -> dict:
    found = {"ott": _ott(op, shape), **_softjax(op, shape)}
    return {name: impl for name, impl in found.items() if impl is not None}


def _hard_rank(x):
    # Its gradient is identically 0 (XLA skips the work), so both of our timings
    # are compared with its forward pass.
    return jnp.argsort(jnp.argsort(x)).astype(x.dtype)


def cases() -> list[Case]:
    out = []
    for shape in SHAPES:
        x = jax.random.normal(jax.random.PRNGKey(0), shape, jnp.float32)
        tag = f"{shape[0]}x{shape[1]}"
        out += [
            Case(
                f"sort t={T} {tag}",
                lambda x: so.sort(x, temperature=T),
                jnp.sort,
                (x,),
                "jnp.sort",
                2.0,
                "sorting",
                extra=_others("sort", shape),
            ),
            Case(
                f"rank t={T} {tag}",
                lambda x: so.rank(x, temperature=T),
                _hard_rank,
                (x,),
                "argsort(argsort) (fwd for both)",
                2.0,
                "sorting",
                grad=True,
                grad_baseline=_hard_rank,
                extra=_others("rank", shape),
            ),
            Case(
                f"top_k k=10 t={T} {tag}",
                lambda x: so.top_k(x, 10, temperature=T)[0],
                jnp.sort,
                (x,),
                "jnp.sort",
                2.0,
                "sorting",
                extra=_others("top_k", shape),
            ),
            Case(
                f"quantile q=.5 t={T} {tag}",
                lambda x: so.quantile(x, 0.5, temperature=T),
                jnp.sort,
                (x,),
                "jnp.sort",
                2.0,
                "sorting",
                extra=_others("quantile", shape),
            ),
        ]
    return out
