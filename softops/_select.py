"""Selection by soft booleans and soft indices: where, take, take_along_axis, choose, dynamic slicing.

Everything here is linear in the selecting probabilities, so it is exact where
they are exactly 0/1 (a one-hot distribution selects one element bit for bit).
The operators take no temperature: the smoothness comes from the soft boolean
or the distribution over indices (``softops.greater``, ``softops.argmax``, ...).

Soft indices: a distribution over the ``n`` positions of an axis is an array
whose last axis has size ``n`` (non-negative entries summing to 1, although
nothing here relies on that: the result is the weighted sum). Mass can only
sit on valid positions, so JAX's out-of-range policies never apply, except in
:func:`dynamic_slice_in_dim`, where a start position whose window would run
past the end is clamped exactly as ``lax.dynamic_slice_in_dim`` clamps it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from softops import _checks
from softops._mechanism import tangent
from softops._registry import _hard_boolean, _soft_boolean, _unit_normal, register, soft_input

Array = jax.Array
ArrayLike = Any
_HIGHEST = lax.Precision.HIGHEST  # exact one-hot contractions on every backend


def _float(x, op, name):
    return _checks.as_float_array(x, op, name)


def _dist(dist, op, dtype):
    """A distribution over indices: floating, cast to the values' working dtype."""
    d = _checks.as_float_array(dist, op, "distribution over indices (integer indices: use jnp)")
    if d.ndim == 0:
        raise ValueError(f"{op} expects a distribution with a trailing index axis, got a scalar")
    return d.astype(_checks.working_dtype(dtype))


# ------------------------------------------------------------------------- where
@jax.custom_jvp
def _where(p, x, y):
    take_x, take_y = p == 1, p == 0
    blend = p * x + (1.0 - p) * y
    return jnp.where(take_x, x, jnp.where(take_y, y, blend))


@_where.defjvp
def _where_jvp(primals, tangents):
    (p, x, y), (dp, dx, dy) = primals, tangents
    take_x, take_y = p == 1, p == 0
    zero = jnp.zeros((), p.dtype)
    # d/dp = x - y, except that a non-finite branch that is not taken adds nothing
    skip_x = take_y & ~jnp.isfinite(x)
    skip_y = take_x & ~jnp.isfinite(y)
    xm = jnp.where(skip_x, zero, x)
    ym = jnp.where(skip_y, zero, y)
    gp = jnp.where(skip_x | skip_y, zero, xm - ym)
    # selections rather than products, so no 0 * nan from the branch not taken
    tx = jnp.where(take_x, dx, jnp.where(take_y, zero, p * dx))
    ty = jnp.where(take_y, dy, jnp.where(take_x, zero, (1.0 - p) * dy))
    return _where(p, x, y), tx + ty + gp * dp


def _blend2(p, x, y):
    """``where`` on broadcast working-dtype arrays."""
    shape = jnp.broadcast_shapes(p.shape, x.shape, y.shape)
    return _where(*(jnp.broadcast_to(a, shape) for a in (p, x, y)))


def where(p: ArrayLike, x: ArrayLike, y: ArrayLike, /) -> Array:
    r"""Blend two arrays by a soft boolean: ``p * x + (1 - p) * y``.

    Hard operator: ``jnp.where(p, x, y)`` for a 0/1 ``p``. Where ``p`` is
    exactly 1 the result is exactly ``x`` and where it is exactly 0 exactly
    ``y``, even if the other branch is ``inf`` or NaN there. Elsewhere it is
    the expectation of the selection when the condition holds with
    probability ``p``.

    Args:
      p: soft boolean, a floating array with values in [0, 1] (cast to the
        branches' dtype).
      x, y: floating arrays of one dtype; ``p``, ``x`` and ``y`` broadcast.

    Returns:
      The broadcast blend, in the branches' dtype.

    Points of non-differentiability:
      None in ``(p, x, y)`` for finite values: the derivatives are ``p``,
      ``1 - p`` and ``x - y``. Where ``p`` is exactly 0 or 1 the branch not
      taken gets derivative exactly 0 (not ``0 * nan``), and if that branch
      is not finite the derivative w.r.t. ``p`` is 0 rather than NaN or inf.
      (As with ``jnp.where``, a branch whose *own* derivative is NaN there --
      ``sqrt`` of a negative number, say -- still returns NaN through the
      chain rule; guard it with the double-where idiom.) NaN in the taken
      branch, or where ``0 < p < 1``, propagates. No temperature.

    Raises:
      TypeError: non-floating inputs, or ``x`` and ``y`` of different dtypes.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> float(so.where(1.0, 2.0, jnp.inf)), float(so.where(0.25, 4.0, 0.0))
      (2.0, 1.0)
      >>> g = jax.grad(so.where, argnums=(0, 1, 2))(1.0, 2.0, jnp.nan)  # branch not taken
      >>> [float(v) for v in g]
      [0.0, 1.0, 0.0]
    """
    p, x, y = _float(p, "where", "p"), _float(x, "where", "x"), _float(y, "where", "y")
    dtype = _checks.same_float_dtype("where", ("x", "y"), (x, y))
    _checks.broadcast_shapes("where", ("p", "x", "y"), (p, x, y))
    w = _checks.working_dtype(dtype)
    # (via dtype: a Python float branch is rounded as jnp rounds it)
    return _blend2(p.astype(w), x.astype(dtype).astype(w), y.astype(dtype).astype(w)).astype(dtype)


@jax.custom_jvp
def _blend(ws, vs):
    acc = None
    for w, v in zip(ws, vs, strict=True):
        term = jnp.where(w == 0, jnp.zeros((), v.dtype), w * v)
        acc = term if acc is None else acc + term
    return acc


@_blend.defjvp
def _blend_jvp(primals, tangents):
    (ws, vs), (dws, dvs) = primals, tangents
    zero = jnp.zeros((), vs[0].dtype)
    out_t = None
    for w, v, dw, dv in zip(ws, vs, dws, dvs, strict=True):
        off = w == 0
        # the weight's derivative is the value, unless an unused value is not finite
        gv = jnp.where(off & ~jnp.isfinite(v), zero, v)
        term = jnp.where(off, zero, w * dv) + gv * dw
        out_t = term if out_t is None else out_t + term
    return _blend(ws, vs), out_t


def blend(weights: Sequence[Array], values: Sequence[Array]) -> Array:
    """``sum_i w_i v_i`` in which a term with ``w_i == 0`` contributes exactly nothing.

    Its value may be inf or NaN without effect on the result, its derivative
    gets exactly 0 (a selection, not ``0 * dv``), and d/dw_i is ``v_i`` where
    that is finite and 0 otherwise -- the rule of :func:`where`. All arrays are
    in one working dtype; they are broadcast together.
    """
    shape = jnp.broadcast_shapes(*(a.shape for a in (*weights, *values)))
    ws = [jnp.broadcast_to(w, shape) for w in weights]
    vs = [jnp.broadcast_to(v, shape) for v in values]
    return _blend(ws, vs)


# --------------------------------------------------------------------- indexing
@jax.custom_jvp
def _finite_part(a):
    """``a`` with its non-finite entries replaced by 0, differentiated as the
    identity (d/da of an expectation is the weight, also at those entries)."""
    return jnp.where(jnp.isfinite(a), a, jnp.zeros((), a.dtype))


_finite_part.defjvp(lambda primals, tangents: (_finite_part(*primals), tangents[0]))


@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def _expectation(a, weights, contract):
    """``contract(a, weights)`` for a contraction linear in each (a matrix
    product of ``a`` with the weights), in which a term of weight exactly 0
    contributes nothing.

    A one-hot distribution gives its entry exactly even where other entries
    are ``+-inf`` or NaN (a matrix product would give ``0 * inf``: NaN). The
    plain product is tried first: every entry of ``a`` is a term of some
    output, so when every output is finite so is every entry of ``a``, and the
    product is the answer (one pass, a check on the outputs only). Otherwise
    (a ``lax.cond``; both sides under ``vmap``) the product runs again on
    ``a`` with its non-finite entries zeroed, and three more find the outputs
    that give those positive weight: NaN for a NaN or for both infinities,
    else the infinity (a product that overflows keeps its infinity).
    Derivatives (written out, so that no cotangent meets a non-finite entry):
    d/da is the weight everywhere; d/d weights is ``a`` where finite and 0 at
    its non-finite entries.
    """
    plain = contract(a, weights)

    def with_non_finite(plain):
        base = contract(_finite_part(a), weights)
        pos, neg, nan = (
            contract(m.astype(a.dtype), weights) != 0 for m in (a == jnp.inf, a == -jnp.inf, jnp.isnan(a))
        )
        fixed = jnp.where(pos, jnp.full((), jnp.inf, a.dtype), base)
        fixed = jnp.where(neg, jnp.full((), -jnp.inf, a.dtype), fixed)
        return jnp.where(nan | (pos & neg), jnp.full((), jnp.nan, a.dtype), fixed)

    return lax.cond(jnp.all(jnp.isfinite(plain)), lambda p: p, with_non_finite, plain)


def _expectation_jvp(contract, primals, tangents):
    (a, weights), (da, dw) = primals, tangents
    return _expectation(a, weights, contract), tangent(
        (da, lambda d: contract(d, weights)), (dw, lambda d: contract(_finite_part(a), d))
    )


_expectation.defjvp(_expectation_jvp, symbolic_zeros=True)


def _check_size(op, dist, n, what):
    if dist.shape[-1] != n:
        raise ValueError(
            f"{op} expects the distribution's last axis to have size {n} ({what}), got shape {dist.shape}"
        )


def take(a: ArrayLike, dist: ArrayLike, /, *, axis: int | None = None) -> Array:
    r"""Soft ``jnp.take``: the expectation of ``a`` at a random index along ``axis``.

    Hard operator: ``jnp.take(a, i, axis=axis)`` for integer indices ``i``.
    Here ``dist`` holds, for each index ``i`` that ``jnp.take`` would receive,
    a distribution over the ``n = a.shape[axis]`` positions (so
    ``dist.shape == i.shape + (n,)``), and the result is
    :math:`\sum_k \mathrm{dist}[..., k]\, a[..., k, ...]`, in which
    positions of probability exactly 0 contribute nothing. A one-hot
    distribution gives ``jnp.take`` exactly, even where other entries of ``a``
    are ``+-inf`` or NaN; mass cannot fall out of range, so ``jnp.take``'s
    ``mode`` has no counterpart.

    Args:
      a: floating array.
      dist: floating array of shape ``index_shape + (n,)``; with ``axis=None``
        ``n = a.size`` and ``a`` is flattened, as in ``jnp.take``.
      axis: the axis to index (``None``: flattened ``a``).

    Returns:
      An array of shape ``a.shape[:axis] + index_shape + a.shape[axis+1:]`` in
      ``a``'s dtype.

    Points of non-differentiability:
      None: the result is bilinear in ``a`` and ``dist`` (d/d dist is the
      selected slice of ``a``; 0 at its non-finite entries, as in
      :func:`where`). A non-finite entry of ``a`` with positive probability
      gives that infinity (NaN for a NaN, or for both infinities). No
      temperature.

    Raises:
      TypeError: non-floating ``a`` or ``dist``. ValueError: bad axis, or a
      distribution whose last axis is not ``n``.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> a = jnp.array([10.0, 20.0, 30.0])
      >>> so.take(a, jnp.array([[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]]))
      Array([30., 15.], dtype=float32)
      >>> jax.grad(lambda d: so.take(a, d))(jnp.array([0.0, 1.0, 0.0]))
      Array([10., 20., 30.], dtype=float32)
    """
    a = _float(a, "take", "a")
    dist = _dist(dist, "take", a.dtype)
    w = _checks.working_dtype(a.dtype)
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis = _checks.axis(axis, a.ndim, "take")
    if a.ndim == 0:
        raise ValueError("take expects an array with at least one axis")
    _check_size("take", dist, a.shape[axis], f"a.shape[{axis}]")
    out = _expectation(
        a.astype(w),
        dist,
        lambda v, d: jnp.tensordot(v, d, axes=([axis], [d.ndim - 1]), precision=_HIGHEST),
    )
    k = dist.ndim - 1
    src = list(range(out.ndim - k, out.ndim))
    out = jnp.moveaxis(out, src, [axis + j for j in range(k)])
    return out.astype(a.dtype)


def take_along_axis(a: ArrayLike, dist: ArrayLike, /, *, axis: int | None) -> Array:
    r"""Soft ``jnp.take_along_axis``: per-position expectations along ``axis``.

    Hard operator: ``jnp.take_along_axis(a, i, axis)`` with ``i.ndim ==
    a.ndim``. Here ``dist.shape == i.shape + (n,)``, ``n = a.shape[axis]``: a
    distribution over the positions of ``axis`` for each output element, which
    gets :math:`\sum_k \mathrm{dist}[..., j, ..., k]\, a[..., k, ...]`. The
    non-``axis`` dimensions of ``dist`` (without its last axis) and ``a``
    broadcast, as in ``jnp.take_along_axis``. One-hot distributions give the
    hard result exactly, even where other entries of ``a`` are ``+-inf`` or
    NaN (``-inf`` log-probabilities of masked actions, say): positions of
    probability 0 contribute nothing. Out-of-range mass is impossible.
    Typical use: ``take_along_axis(x, so.argmax(x, axis=-1)[..., None, :], axis=-1)``.

    Args:
      a: floating array.
      dist: floating array with ``dist.ndim == a.ndim + 1`` (``axis=None``:
        ``a`` is flattened and ``dist`` has shape ``(m, a.size)``).
      axis: the axis to index, or ``None``.

    Returns:
      An array of the broadcast index shape, in ``a``'s dtype.

    Points of non-differentiability:
      None: bilinear in ``a`` and ``dist`` (d/d dist is ``a``, 0 at its
      non-finite entries). A non-finite entry with positive probability gives
      that infinity (NaN for a NaN, or for both infinities). No temperature.

    Raises:
      TypeError: non-floating inputs. ValueError: bad axis, wrong rank of
      ``dist``, or a last axis that is not ``n``.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> a = jnp.array([[1.0, 5.0, 3.0]])
      >>> so.take_along_axis(a, jnp.array([[[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]]), axis=1)
      Array([[5., 2.]], dtype=float32)
    """
    a = _float(a, "take_along_axis", "a")
    dist = _dist(dist, "take_along_axis", a.dtype)
    w = _checks.working_dtype(a.dtype)
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis = _checks.axis(axis, a.ndim, "take_along_axis")
    if a.ndim == 0 or dist.ndim != a.ndim + 1:
        raise ValueError(
            f"take_along_axis expects dist.ndim == a.ndim + 1 == {a.ndim + 1} "
            f"(index shape plus a distribution axis), got shape {dist.shape}"
        )
    _check_size("take_along_axis", dist, a.shape[axis], f"a.shape[{axis}]")
    A = jnp.moveaxis(a.astype(w), axis, -1)[..., :, None]  # (..., n, 1)
    D = jnp.moveaxis(dist, axis, -2)  # (..., m, n)
    out = _expectation(A, D, lambda v, d: jnp.matmul(d, v, precision=_HIGHEST))[..., 0]  # (..., m)
    return jnp.moveaxis(out, -1, axis).astype(a.dtype)


def choose(dist: ArrayLike, choices: Sequence[ArrayLike], /) -> Array:
    r"""Soft ``jnp.choose``: blend ``n`` arrays by a distribution over which to pick.

    Hard operator: ``jnp.choose(i, choices)``. Here ``dist[..., k]`` is the
    probability of ``choices[k]`` and the result is
    :math:`\sum_k \mathrm{dist}[..., k]\,\mathrm{choices}[k]` (all broadcast
    together). Terms of probability exactly 0 are skipped, so a one-hot
    distribution gives ``jnp.choose`` exactly even where other choices are
    ``inf`` or NaN. ``jnp.choose``'s ``mode`` (out-of-range handling) has no
    counterpart: a distribution over ``n`` choices cannot leave the range.

    Args:
      dist: floating array of shape ``index_shape + (n,)``.
      choices: a sequence of ``n`` floating arrays of one dtype.

    Returns:
      The broadcast blend in the choices' dtype.

    Points of non-differentiability:
      None: linear in each argument; a choice with probability exactly 0 gets
      derivative exactly 0 and contributes nothing to d/d dist if it is not
      finite. NaN elsewhere propagates. No temperature.

    Raises:
      TypeError: non-floating inputs or mixed dtypes among the choices.
      ValueError: no choices, or a last axis of ``dist`` that is not ``n``.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> so.choose(jnp.array([[1.0, 0.0], [0.25, 0.75]]), [jnp.array([1.0, jnp.inf]), jnp.array([3.0, 7.0])])
      Array([ 1., inf], dtype=float32)
    """
    choices = [_float(c, "choose", f"choices[{i}]") for i, c in enumerate(choices)]
    if not choices:
        raise ValueError("choose expects at least one choice")
    names = [f"choices[{i}]" for i in range(len(choices))]
    dtype = _checks.same_float_dtype("choose", names, choices)
    dist = _dist(dist, "choose", dtype)
    _check_size("choose", dist, len(choices), "the number of choices")
    shape = _checks.broadcast_shapes("choose", ["dist[..., 0]", *names], [dist[..., 0], *choices])
    w = _checks.working_dtype(dtype)
    out = blend([dist[..., k] for k in range(len(choices))], [c.astype(dtype).astype(w) for c in choices])
    return jnp.broadcast_to(out, shape).astype(dtype)


def _scalar_dist(dist, op, dtype, n):
    dist = _dist(dist, op, dtype)
    if dist.ndim != 1:
        raise ValueError(
            f"{op} expects a distribution of shape ({n},) over the axis (one index), "
            f"got shape {dist.shape}; use jax.vmap for several"
        )
    _check_size(op, dist, n, "the size of the axis")
    return dist


def dynamic_index_in_dim(a: ArrayLike, dist: ArrayLike, /, *, axis: int = 0, keepdims: bool = True) -> Array:
    r"""Soft ``lax.dynamic_index_in_dim``: the expected slice at a random index.

    Hard operator: ``lax.dynamic_index_in_dim(a, i, axis, keepdims)`` (which
    clamps ``i`` into range). Here ``dist`` is a distribution of shape ``(n,)``
    over the positions of ``axis`` and the result is
    :math:`\sum_k \mathrm{dist}_k\, a[..., k, ...]`; every position is in range,
    so clamping never applies. One-hot gives the hard result exactly (finite
    ``a``).

    Args:
      a: floating array.
      dist: floating array of shape ``(a.shape[axis],)``.
      axis: the axis to index.
      keepdims: keep ``axis`` with size 1 (the default, as in lax).

    Returns:
      The slice in ``a``'s dtype.

    Points of non-differentiability:
      None (bilinear). Positions of probability 0 contribute nothing, so a
      one-hot distribution is exact even next to ``+-inf`` or NaN entries; a
      non-finite entry with positive probability gives that infinity (NaN for
      a NaN). No temperature.

    Raises:
      TypeError: non-floating inputs or non-bool keepdims. ValueError: bad
      axis or a distribution of the wrong shape.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> a = jnp.arange(6.0).reshape(3, 2)
      >>> so.dynamic_index_in_dim(a, jnp.array([0.0, 0.5, 0.5]), keepdims=False)
      Array([3., 4.], dtype=float32)
    """
    keepdims = _checks.boolean(keepdims, "dynamic_index_in_dim", "keepdims")
    a = _float(a, "dynamic_index_in_dim", "a")
    axis = _checks.axis(axis, a.ndim, "dynamic_index_in_dim")
    dist = _scalar_dist(dist, "dynamic_index_in_dim", a.dtype, a.shape[axis] if a.ndim else 0)
    out = take(a, dist, axis=axis)
    return jnp.expand_dims(out, axis) if keepdims else out


def dynamic_slice_in_dim(a: ArrayLike, dist: ArrayLike, slice_size: int, /, *, axis: int = 0) -> Array:
    r"""Soft ``lax.dynamic_slice_in_dim``: the expected window at a random start.

    Hard operator: ``lax.dynamic_slice_in_dim(a, s, slice_size, axis)``, which
    clamps the start ``s`` to ``[0, n - slice_size]`` so the window fits.
    Here ``dist`` is a distribution of shape ``(n,)`` over start positions
    ``0 .. n - 1`` (what :func:`softops.argmax` gives over the axis); the mass
    on a start ``k > n - slice_size`` moves to ``n - slice_size``, exactly JAX's
    clamping, and the result is the expected window
    :math:`\sum_s e_s\, a[..., s:s + \mathrm{size}, ...]`. One-hot gives the
    hard result exactly. Cost: a gather of
    ``(n - slice_size + 1) * slice_size`` slices.

    Args:
      a: floating array.
      dist: floating array of shape ``(a.shape[axis],)``.
      slice_size: static window length, ``0 <= slice_size <= n``.
      axis: the axis to slice.

    Returns:
      An array like ``a`` with ``axis`` of length ``slice_size``, ``a``'s dtype.

    Points of non-differentiability:
      None (bilinear). Clamped starts send their derivative to the last
      valid window. Starts of probability 0 contribute nothing, so a one-hot
      distribution is exact even next to ``+-inf`` or NaN entries; a
      non-finite entry in a window of positive probability gives that
      infinity (NaN for a NaN). No temperature.

    Raises:
      TypeError: non-floating inputs, non-integer slice_size. ValueError: bad
      axis, slice_size out of range, distribution of the wrong shape.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> a = jnp.arange(5.0)
      >>> so.dynamic_slice_in_dim(a, jnp.array([0.0, 0.0, 0.0, 0.0, 1.0]), 2)  # start 4 clamps to 3
      Array([3., 4.], dtype=float32)
    """
    op = "dynamic_slice_in_dim"
    a = _float(a, op, "a")
    axis = _checks.axis(axis, a.ndim, op)
    if a.ndim == 0:
        raise ValueError(f"{op} expects an array with at least one axis")
    n = a.shape[axis]
    try:
        size = operator.index(slice_size)
    except TypeError as err:
        raise TypeError(f"{op} expects an integer slice_size, got {slice_size!r}") from err
    if not 0 <= size <= n:
        raise ValueError(f"{op}: slice_size {size} is out of range for an axis of length {n}")
    dist = _scalar_dist(dist, op, a.dtype, n)
    if size == 0:
        return lax.slice_in_dim(a, 0, 0, axis=axis)
    last = n - size  # the largest start JAX allows
    starts = dist[: last + 1].at[last].add(jnp.sum(dist[last + 1 :]))
    windows = jnp.arange(last + 1)[:, None] + jnp.arange(size)[None, :]
    w = _checks.working_dtype(a.dtype)
    gathered = jnp.take(a.astype(w), windows, axis=axis)  # a.shape[:axis] + (last+1, size) + rest
    out = _expectation(
        gathered, starts, lambda v, s: jnp.tensordot(v, s, axes=([axis], [0]), precision=_HIGHEST)
    )
    return out.astype(a.dtype)


# -------------------------------------------------------------------- registry
def _f(key, shape, dtype):
    return _unit_normal(key, dtype, shape) * 2


def _soft_dist(key, shape, dtype):
    return np.asarray(jax.nn.softmax(jax.random.normal(key, shape, "float32"), axis=-1)).astype(dtype)


def _one_hot(key, shape, dtype):
    i = jax.random.randint(key, shape[:-1], 0, shape[-1])
    return np.asarray(jax.nn.one_hot(i, shape[-1], dtype="float32")).astype(dtype)


def _sampler(build):
    """``build(key, dtype, dist)`` -> (args, kwargs), as ``sample`` (a soft
    distribution) and ``hard_sample`` (a one-hot one)."""
    return (lambda key, dtype: build(key, dtype, _soft_dist)), (
        lambda key, dtype: build(key, dtype, _one_hot)
    )


def _where_sample(key, dtype):
    k1, k2, k3 = jax.random.split(key, 3)
    return (_soft_boolean(k1, dtype), _f(k2, (7,), dtype), _f(k3, (7,), dtype)), {}


def _where_hard(key, dtype):
    (p, x, y), kw = _where_sample(key, dtype)
    return (_hard_boolean(key, dtype, p.shape), x, y), kw


def _take_build(key, dtype, dist):
    k1, k2 = jax.random.split(key)
    return (_f(k1, (5, 3), dtype), dist(k2, (2, 5), dtype)), {"axis": 0}


def _along_build(key, dtype, dist):
    k1, k2 = jax.random.split(key)
    return (_f(k1, (3, 5), dtype), dist(k2, (3, 2, 5), dtype)), {"axis": 1}


def _choose_build(key, dtype, dist):
    k1, k2 = jax.random.split(key)
    return (dist(k1, (4, 3), dtype), tuple(_f(k, (4,), dtype) for k in jax.random.split(k2, 3))), {}


def _index_build(key, dtype, dist):
    k1, k2 = jax.random.split(key)
    return (_f(k1, (5, 3), dtype), dist(k2, (5,), dtype)), {"axis": 0}


def _slice_build(key, dtype, dist):
    k1, k2 = jax.random.split(key)
    return (_f(k1, (6, 2), dtype), dist(k2, (6,), dtype), 3), {"axis": 0}


def _argmax(dist):
    return jnp.argmax(dist, axis=-1)


_SELECT_NOTE = (
    "Blends by a soft boolean or an index distribution (no temperature: the producer of "
    "the distribution carries it); exactly the jnp/lax operator on 0/1 or one-hot inputs."
)


def _register_select(name, fn, hard, samplers, nan_policy="custom"):
    register(soft_input(name, fn, hard, "select", *samplers, _SELECT_NOTE, nan_policy=nan_policy))


_register_select(
    "where", where, lambda p, x, y: jnp.where(p != 0, x, y), (_where_sample, _where_hard), "elementwise"
)
_register_select(
    "take", take, lambda a, dist, axis=None: jnp.take(a, _argmax(dist), axis=axis), _sampler(_take_build)
)
_register_select(
    "take_along_axis",
    take_along_axis,
    lambda a, dist, axis: jnp.take_along_axis(a, _argmax(dist), axis=axis),
    _sampler(_along_build),
)
_register_select(
    "choose", choose, lambda dist, choices: jnp.choose(_argmax(dist), choices), _sampler(_choose_build)
)
_register_select(
    "dynamic_index_in_dim",
    dynamic_index_in_dim,
    lambda a, dist, axis=0, keepdims=True: lax.dynamic_index_in_dim(a, _argmax(dist), axis, keepdims),
    _sampler(_index_build),
)
_register_select(
    "dynamic_slice_in_dim",
    dynamic_slice_in_dim,
    lambda a, dist, size, axis=0: lax.dynamic_slice_in_dim(a, _argmax(dist), size, axis),
    _sampler(_slice_build),
)
