r"""Soft sorting and ranking in O(n log n): sort, rank, argsort, sort_by, top-k, quantiles.

Every operator here reduces to one isotonic regression per row, solved
exactly (:mod:`softops._isotonic`), the computation behind Blondel et al.'s
(2020) projections onto the permutahedron; the soft rank is such a
projection, the soft sort a projection onto a related cone (below). For a
row :math:`x` sorted ascending into :math:`x_{(1)} \le \dots \le x_{(n)}`,
temperature :math:`t \ge 0` and an ascending weight vector :math:`w`
(:math:`w = (0, 1, \dots, n-1)` for sorting and ranking; :math:`k` ones at the
top for top-k), let :math:`v` be the non-decreasing fit of
:math:`y = x_{(\cdot)} - t w` and :math:`B` the averaging over its blocks. Then

* the soft sort :math:`s = t w + v` is the Euclidean projection of the sorted
  row onto the rows whose neighbours are at least :math:`t` apart. It equals
  the sort exactly wherever neighbours are more than :math:`t` apart (so an
  outlier never drags the others), and a cluster closer than :math:`t` is
  replaced by equally spaced values around its mean;
* the soft rank :math:`m = B w + (I - B) x_{(\cdot)} / t` is the projection
  of :math:`x / t` onto the permutahedron of :math:`w` (Blondel et al.'s soft
  rank with ``x / t``: ``t`` is in the units of ``x``);
* the soft permutation is :math:`B P`, with :math:`P` the sorting permutation:
  doubly stochastic, and the Jacobian of the soft sort.

:math:`s` and :math:`m` are piecewise linear (C0) in ``x`` and ``t``; their
derivatives, :math:`ds = B\,dx_{(\cdot)} + (w - Bw)\,dt` and
:math:`dm = ((I - B)\,dx_{(\cdot)} - (m - Bw)\,dt) / t`, are applied in O(n)
inside a ``custom_jvp``. Ties are pooled into one block, so tied elements
share the derivative equally (the minimum-norm rule).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from softops import _checks
from softops._isotonic import block_mean, pav_blocks
from softops._mechanism import finite
from softops._registry import Kink, OperatorInfo, register

Array = jax.Array
ArrayLike = Any

MODES = ("l2",)
SCALES = ("absolute", "relative")


# ------------------------------------------------------------------------ kernel
def _weights(n: int, k: int | None, dtype) -> Array:
    """Ascending weights: 0..n-1 (sort, rank) or k ones at the top (top-k mask)."""
    if k is None:
        return jnp.arange(n, dtype=dtype)
    return (jnp.arange(n) >= n - k).astype(dtype)


def _solve(xs, t, k):
    """Soft sort ``s``, soft rank ``m`` and the blocks, for ascending rows ``xs``."""
    n = xs.shape[-1]
    if n == 0:  # an empty axis: nothing to sort
        none = jnp.zeros(xs.shape, jnp.int32)
        return xs, xs, none, none, xs
    w = jnp.broadcast_to(_weights(n, k, xs.dtype), xs.shape)
    nan = jnp.isnan(xs)
    finite = jnp.isfinite(xs)
    # Exact power-of-two rescaling per row, so that neither t * w (t (n - 1) may
    # exceed the largest float) nor the block sums can overflow: the row and
    # t are brought below 1 in magnitude, y = xs - t w below n.
    big = jnp.maximum(jnp.max(jnp.where(finite, jnp.abs(xs), 0), axis=-1, keepdims=True), t)
    _, e = jnp.frexp(big)
    scale = lambda a: jnp.ldexp(a, -e)
    unscale = lambda a: jnp.ldexp(a, e)
    xs_s = jnp.where(finite, scale(xs), 0)
    t_s = scale(t)
    y = jnp.where(finite, xs_s - t_s * w, jnp.where(nan, jnp.inf, xs))
    start, count = pav_blocks(y)
    # t_s == 0: t underflowed against the row's scale (t < 2^-149 of it): hard.
    single = (count == 1) | (t_s == 0)
    # Block means, clamped to the row's scaled range of y: rounding can then never
    # push them past the largest float when scaled back.
    cap = jnp.max(jnp.where(finite, jnp.abs(y), 0), axis=-1, keepdims=True)
    v = jnp.clip(block_mean(jnp.where(finite, y, 0), start, count), -cap, cap)
    bw = block_mean(w, start, count)
    dev = xs_s - block_mean(xs_s, start, count)  # (I - B) xs, in units of 2^e
    t_safe = jnp.where(t_s > 0, t_s, 1)
    s = jnp.where(single, xs, unscale(t_s * w + v))
    lo, hi = jnp.take_along_axis(w, start, -1), jnp.take_along_axis(w, start + count - 1, -1)
    m = jnp.where(single, w, jnp.clip(bw + dev / t_safe, lo, hi))
    return s, m, start, count, bw


@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def _project(xs, t, k):
    s, m, *_ = _solve(xs, t, k)
    return s, m


@_project.defjvp
def _project_jvp(k, primals, tangents):
    xs, t = primals
    dxs, dt = tangents
    s, m, start, count, bw = _solve(xs, t, k)
    w = _weights(xs.shape[-1], k, xs.dtype)
    bdx = block_mean(jnp.where(jnp.isnan(xs), 0, dxs), start, count)
    bdx = jnp.where(jnp.isnan(xs), dxs, bdx)
    ds = bdx + (w - bw) * dt
    t_safe = jnp.where(t > 0, t, 1)
    # (I - E^T)(I - B) with E^T the block sums placed at block starts: equal to
    # (I - B) (centred vectors have zero block sums) but its transpose,
    # (I - B)(I - E), maps block-constant cotangents to exactly 0.
    dev = dxs - bdx
    blocksum = block_mean(dev, start, count) * count.astype(dev.dtype)
    dev = dev - jnp.where(start == jnp.arange(dev.shape[-1], dtype=start.dtype), blocksum, 0)
    dm = jnp.where(t > 0, (dev - (m - bw) * dt) / t_safe, 0)
    return (s, m), (ds, dm)


@jax.custom_jvp
def _with_grad_of(value, soft):
    """``value``, differentiated as ``soft`` (same shape).

    Used for the exact hard result at ``t == 0`` (``soft`` tends to it and its
    derivative there is the minimum-norm one) and for ``straight_through``.
    """
    return value


@_with_grad_of.defjvp
def _with_grad_of_jvp(primals, tangents):
    return primals[0], tangents[1]


# ---------------------------------------------------------------------- plumbing
class _Rows:
    """A validated input viewed as rows (R, n) along ``axis``, sorted.

    ``stable=True`` also records the stable sorting permutation ``perm`` (needed
    by rank, argsort, sort_by and top-k); ``stable=False`` sorts the values only.
    """

    def __init__(
        self,
        op,
        x,
        axis,
        temperature,
        scale,
        descending,
        mode,
        straight_through,
        name="x",
        stable=True,
        top_k_order=False,
    ):
        _checks.mode(mode, MODES, op)
        _checks.boolean(straight_through, op, "straight_through")
        if scale not in SCALES:
            raise ValueError(f"{op}: unknown scale {scale!r}; expected one of 'absolute', 'relative'")
        self.descending = _checks.boolean(descending, op, "descending")
        x = _checks.as_float_array(x, op, name)
        if x.ndim == 0:
            raise ValueError(f"{op} expects {name} with at least one dimension, got a scalar")
        self.dtype = x.dtype
        wdt = _checks.working_dtype(x.dtype)
        self.axis = _checks.axis(axis, x.ndim, op)
        self.original = x
        moved = jnp.moveaxis(x, self.axis, -1)
        self.batch, self.n = moved.shape[:-1], moved.shape[-1]
        self.x = moved.reshape(math.prod(self.batch), self.n).astype(wdt)
        t = _checks.temperature(temperature, op, wdt)
        tshape = list(x.shape)
        tshape[self.axis] = 1
        try:
            t = jnp.broadcast_to(t, tuple(tshape))
        except ValueError as err:
            raise ValueError(
                f"{op}: temperature of shape {t.shape} does not broadcast to {tuple(tshape)}"
            ) from err
        self.t = jnp.moveaxis(t, self.axis, -1).reshape(-1, 1)
        if not stable:
            # Values only (sort, quantiles): a plain sort, differentiated by JAX's own rule.
            self.xs, self.perm = jnp.sort(self.x, axis=-1), None
        else:
            # Stable ascending sort of x (or of x reversed, as jnp.argsort does for a
            # stable descending order) with its permutation; descending outputs are flips.
            iota = jnp.broadcast_to(jnp.arange(self.n, dtype=jnp.int32), self.x.shape)
            src = self.x
            if self.descending:
                src, iota = src[:, ::-1], iota[:, ::-1]
            # Sorting integer keys with the indices and gathering the values
            # measured 1.2x (argsort's order) and 1.45x (top_k's) faster on CPU
            # than sorting the floats with the indices: XLA's float comparator
            # canonicalises both operands at every comparison.
            _, self.perm = lax.sort(
                (_order_key(src, top_k_order), iota), dimension=1, num_keys=1, is_stable=True
            )
            self.xs = jnp.take_along_axis(self.x, self.perm, axis=-1)
        # An infinite (effective) temperature is the largest one: the large-t
        # limit, not the hard result that inf - inf in the rescaling would give.
        # Selects, so that d/dt is 0 beyond it (and the spread's cotangent, 0
        # where the product is clamped, is not multiplied by an infinite t).
        self.t = finite(self.t)
        if scale == "relative":
            self.t = finite(self.t * _spread(self.xs))

    def inverse(self) -> Array:
        """Position of every element in the (ascending) sorted order."""
        r = jnp.arange(self.x.shape[0], dtype=jnp.int32)[:, None]
        iota = jnp.broadcast_to(jnp.arange(self.n, dtype=jnp.int32), self.perm.shape)
        return jnp.zeros_like(self.perm).at[r, self.perm].set(iota)

    def unsort(self, a: Array) -> Array:
        return jnp.take_along_axis(a, self.inverse(), axis=-1)

    def restore(self, rows: Array) -> Array:
        """(R, n') rows back to the input layout with ``n'`` along ``axis``."""
        out = rows.reshape(*self.batch, rows.shape[-1])
        return jnp.moveaxis(out, -1, self.axis).astype(self.dtype)

    def restore_matrix(self, m: Array) -> Array:
        """(R, k, n) -> (*batch, k, n)."""
        return m.reshape(*self.batch, *m.shape[1:]).astype(self.dtype)


def _order_key(x: Array, total: bool) -> Array:
    """Integer keys whose ascending order is the order of ``x`` in ``jnp.sort``
    (``total=False``) or in ``lax.top_k`` (``total=True``), ties included.

    Both compare the IEEE total order of the bit patterns (sign and magnitude):
    ``lax.top_k`` on ``x`` as it is (``-NaN < -inf``, ``-0 < +0``), ``jnp.sort``
    after mapping ``x == 0`` to ``+0`` (``-0`` and, where the platform flushes
    subnormals, those too) and every NaN to one positive NaN (last). Flipping
    the magnitude bits of the negative patterns makes that order the signed
    integer order.
    """
    itype = jnp.int64 if x.dtype == jnp.float64 else jnp.int32
    x = lax.stop_gradient(x)
    bits = lax.bitcast_convert_type(x, itype)
    sign = lax.shift_right_arithmetic(bits, jnp.asarray(jnp.iinfo(itype).bits - 1, itype))
    key = bits ^ (sign & jnp.asarray(jnp.iinfo(itype).max, itype))
    if total:
        return key
    # The compares at run time, also for a constant x (XLA folds constants without
    # flushing subnormals), as the sort's comparator makes them; the canonical
    # +0 and +NaN as integers (a NaN constant would trip jax_debug_nans).
    x = lax.optimization_barrier(x)
    canonical_nan = jnp.asarray(0x7FF8000000000000 if itype == jnp.int64 else 0x7FC00000, itype)
    key = jnp.where(x == 0, jnp.zeros((), itype), key)
    return jnp.where(jnp.isnan(x), canonical_nan, key)


def _spread(xs: Array) -> Array:
    """Robust spread of ascending rows: interquartile range, else max - min.

    The interquartile range ignores outliers; where more than half of a row is
    tied it is 0 and the full range is used (0 only for a constant row, which
    is then sorted exactly). NaN are left out; a non-finite spread gives 0.
    """
    n = xs.shape[-1]
    cnt = jnp.sum(~jnp.isnan(xs), axis=-1, keepdims=True)
    # The quartiles rounded inwards (positions ceil((cnt - 1) / 4) and its mirror),
    # so that one outlier among four or more values is left out.
    lo_i = (cnt + 2) // 4
    hi_i = (cnt - 1) - lo_i
    take = lambda i: jnp.take_along_axis(xs, jnp.clip(i, 0, n - 1), axis=-1)
    iqr = jnp.where(hi_i > lo_i, take(hi_i) - take(lo_i), 0)
    full = take(cnt - 1) - take(jnp.zeros_like(cnt))
    out = jnp.where(iqr > 0, iqr, full)
    return jnp.where(jnp.isfinite(out), out, 0).astype(xs.dtype)


def _block_matrix(rows: _Rows, k=None, first=None):
    """Rows of the soft permutation ``B P`` (ascending order), shape (R, first, n)."""
    _, _, start, count, _ = _solve(rows.xs, rows.t, k)
    start, count = lax.stop_gradient((start, count))
    inv = rows.inverse()
    sel = slice(None) if first is None else slice(rows.n - first, None)
    a, c = start[:, sel, None], count[:, sel, None]
    inside = (inv[:, None, :] >= a) & (inv[:, None, :] < a + c)
    soft = jnp.where(inside, 1 / c.astype(rows.x.dtype), 0).astype(rows.x.dtype)
    hard = jax.nn.one_hot(rows.perm[:, sel], rows.n, dtype=rows.x.dtype)
    return jnp.where(rows.t[:, :, None] > 0, soft, hard)


def _finish(value, soft, straight_through):
    return _with_grad_of(value, soft) if straight_through else soft


_COMMON_ARGS = """
      axis: the axis to sort along (static int, default -1).
      temperature: non-negative, traced; broadcasts against ``x`` with the
        sorted axis of size 1 (one temperature per row). In the units of ``x``
        (``scale="absolute"``) or of each row's spread (``scale="relative"``).
      mode: ``"l2"`` (quadratic regularisation, the only mode; C0).
      scale: ``"absolute"`` (default) or ``"relative"``: the temperature is
        multiplied by the row's interquartile range (its full range when the
        interquartile range is 0), so scaling ``x`` by ``c > 0`` scales the
        result by ``c``.
      straight_through: the hard value with the soft derivative."""


def sort(
    x: ArrayLike,
    /,
    *,
    axis: int = -1,
    descending: bool = False,
    temperature: ArrayLike = 1.0,
    mode: str = "l2",
    scale: str = "absolute",
    straight_through: bool = False,
) -> Array:
    r"""Soft sort: the sorted row, with neighbours closer than ``t`` pooled.

    Hard operator: ``jnp.sort(x, axis=axis, descending=descending)``.
    Relaxation: the projection :math:`s` of the sorted row onto
    :math:`\{s : s_{i+1} - s_i \ge t\}`, computed as :math:`t w + v` with
    :math:`v` the isotonic fit of :math:`x_{(\cdot)} - t w`, :math:`w = (0,
    \dots, n-1)`. Elements more than ``t`` from their neighbours keep their
    exact value (an outlier changes nothing else); a cluster closer than ``t``
    becomes values ``t`` apart centred on its mean. :math:`s = \mathrm{sort}(x)`
    exactly when every gap exceeds ``t`` and at ``t = 0``; the error is at most
    of order ``n t``. Cost O(n log n) time, O(n) memory, forward and backward.

    Args:
      x: floating-point array (float16/bfloat16 are computed in float32).
      descending: sort largest first (the flip of the ascending result).@COMMON@

    Returns:
      An array of ``x``'s shape and dtype, sorted along ``axis``.

    Points of non-differentiability:
      The hard sort has kinks at ties ``x_i == x_j``; softops pools tied
      elements, so ``jax.grad`` at ``t = 0`` splits their share equally (the
      minimum-norm rule), e.g. the smallest of ``[1, 1, 2]`` has gradient
      ``[0.5, 0.5, 0]``. For ``t > 0`` the relaxation is piecewise linear:
      its Jacobian is the doubly stochastic block-averaging matrix ``B P``
      (see :func:`argsort`) and it has kinks where a block forms (a gap equals
      ``t`` after pooling). d/dt is :math:`w - Bw` (0 outside clusters), at
      ``t = 0`` its limit from above. ``+-inf`` are never pooled; NaN sort last
      and stay NaN, and do not change the other entries of their row.

    Raises:
      TypeError: non-floating ``x``, non-integer axis, non-bool ``descending``.
      ValueError: unknown mode or scale, bad axis, scalar ``x``, a concrete
        negative temperature.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> so.sort(jnp.array([3.0, 0.0, 1.0, 1e6]), temperature=0.01)
      Array([0.e+00, 1.e+00, 3.e+00, 1.e+06], dtype=float32)
      >>> so.sort(jnp.array([2.0, 0.0, 2.1]), temperature=1.0)
      Array([0.  , 1.55, 2.55], dtype=float32)
      >>> jax.grad(lambda x: so.sort(x, temperature=0.0)[0])(jnp.array([1.0, 1.0, 2.0]))
      Array([0.5, 0.5, 0. ], dtype=float32)

    References:
      Blondel, Teboul, Berthet & Djolonga, "Fast Differentiable Sorting and
      Ranking", ICML 2020, https://arxiv.org/abs/2002.08871.
    """
    rows = _Rows("sort", x, axis, temperature, scale, descending, mode, straight_through, stable=False)
    s, _ = _project(rows.xs, rows.t, None)
    out = _finish(rows.xs, s, straight_through)
    return rows.restore(out[:, ::-1] if rows.descending else out)


def rank(
    x: ArrayLike,
    /,
    *,
    axis: int = -1,
    descending: bool = False,
    temperature: ArrayLike = 1.0,
    mode: str = "l2",
    scale: str = "absolute",
    straight_through: bool = False,
) -> Array:
    r"""Soft ranks: 0-based positions in the sorted order, relaxed.

    Hard operator: ``jnp.argsort(jnp.argsort(x, axis=axis,
    descending=descending), axis=axis)`` as floats (ties ranked by index).
    Relaxation: the projection of :math:`x / t` onto the permutahedron of
    :math:`(0, \dots, n-1)` (Blondel et al.'s soft rank, with ``t`` in the
    units of ``x``): exact where an element is more than ``t`` from its
    neighbours; inside a cluster the ranks are the cluster's mean rank plus
    :math:`(x_i - \bar x)/t`. Ranks stay in :math:`[0, n-1]` and sum to
    :math:`n(n-1)/2`. Cost O(n log n) time and O(n) memory.

    Args:
      x: floating-point array.
      descending: rank largest first (rank ``n - 1 - r``).@COMMON@

    Returns:
      Ranks of ``x``'s shape and dtype.

    Points of non-differentiability:
      The hard ranks jump at ties; their derivative is 0 everywhere (softops'
      rule for jumps), so ``jax.grad`` at ``t = 0`` is 0. For ``t > 0`` the
      ranks are piecewise linear with slope :math:`(I - B)/t` inside clusters
      (tied elements get equal ranks and equal shares) and kinks where
      clusters form. d/dt is :math:`-(r - Bw)/t`, 0 at ``t = 0``. ``+-inf``
      get exact ranks; NaN rank last (as ``jnp.argsort``) with the hard rank
      and do not change the other ranks.

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode/scale, bad axis,
      concrete negative temperature.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> so.rank(jnp.array([0.3, -1.0, 0.2]), temperature=0.0)
      Array([2., 0., 1.], dtype=float32)
      >>> so.rank(jnp.array([0.3, -1.0, 0.2]), temperature=0.5)
      Array([1.6, 0. , 1.4], dtype=float32)
      >>> jax.grad(lambda x: so.rank(x, temperature=0.0)[0])(jnp.array([1.0, 1.0]))
      Array([0., 0.], dtype=float32)

    References:
      Blondel, Teboul, Berthet & Djolonga, "Fast Differentiable Sorting and
      Ranking", ICML 2020, https://arxiv.org/abs/2002.08871.
    """
    rows = _Rows("rank", x, axis, temperature, scale, descending, mode, straight_through)
    _, m = _project(rows.xs, rows.t, None)
    hard = jnp.broadcast_to(jnp.arange(rows.n, dtype=m.dtype), m.shape)
    out = _finish(hard, m, straight_through)
    if rows.descending:
        out = (rows.n - 1) - out[:, ::-1]
        rows.perm = rows.perm[:, ::-1]
    return rows.restore(rows.unsort(out))


def argsort(
    x: ArrayLike,
    /,
    *,
    axis: int = -1,
    descending: bool = False,
    temperature: ArrayLike = 1.0,
    mode: str = "l2",
    scale: str = "absolute",
    straight_through: bool = False,
) -> Array:
    r"""Soft permutation matrix: row ``i`` is a distribution over the index of the i-th smallest.

    Hard operator: ``jax.nn.one_hot(jnp.argsort(x, descending=descending), n)``
    along ``axis`` moved last. Relaxation: :math:`B P`, the sorting permutation
    :math:`P` followed by averaging over the clusters of the soft sort (the
    Jacobian of :func:`sort`). It is doubly stochastic (rows and columns sum
    to 1) and uniform over each cluster. It is *piecewise constant* in ``x``
    (it jumps when a cluster forms), so its derivative is 0: to learn through
    a soft permutation, differentiate :func:`sort_by` with respect to its
    values, or use :func:`sort`/:func:`rank`. Builds an n x n output; use
    :func:`sort_by` to apply it in O(n log n) without the matrix.

    Args:
      x: floating-point array.
      descending: largest first.@COMMON@

    Returns:
      An array of shape ``(*batch, n, n)``, ``batch`` being ``x.shape`` without
      ``axis``, in ``x``'s dtype; entry ``[..., i, j]`` is the weight of
      ``x[..., j]`` at sorted position ``i``.

    Points of non-differentiability:
      Piecewise constant in ``x`` and ``t``: ``jax.grad`` is 0 everywhere,
      including at ties and where clusters form (jumps). At ``t > 0`` tied
      elements share their rows equally; at ``t = 0`` ties keep jnp's stable
      order (one-hot rows). NaN sort last, one-hot.

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode/scale, bad axis,
      concrete negative temperature.

    Examples:
      >>> import jax.numpy as jnp, softops as so
      >>> so.argsort(jnp.array([2.0, 0.0, 2.1]), temperature=0.0)
      Array([[0., 1., 0.],
             [1., 0., 0.],
             [0., 0., 1.]], dtype=float32)
      >>> so.argsort(jnp.array([2.0, 0.0, 2.1]), temperature=0.5)
      Array([[0. , 1. , 0. ],
             [0.5, 0. , 0.5],
             [0.5, 0. , 0.5]], dtype=float32)

    References:
      Blondel, Teboul, Berthet & Djolonga, "Fast Differentiable Sorting and
      Ranking", ICML 2020, https://arxiv.org/abs/2002.08871.
    """
    rows = _Rows("argsort", x, axis, temperature, scale, descending, mode, straight_through)
    p = _block_matrix(rows)
    if rows.descending:
        p = p[:, ::-1, :]
    if straight_through:
        hard = jax.nn.one_hot(rows.perm[:, ::-1] if rows.descending else rows.perm, rows.n, dtype=p.dtype)
        p = _with_grad_of(hard, p)
    return rows.restore_matrix(p)


def sort_by(
    values: ArrayLike,
    key: ArrayLike,
    /,
    *,
    axis: int = -1,
    descending: bool = False,
    temperature: ArrayLike = 1.0,
    mode: str = "l2",
    scale: str = "absolute",
    straight_through: bool = False,
) -> Array:
    r"""Apply the soft permutation of ``key`` to ``values`` without building it.

    Hard operator: ``jnp.take_along_axis(values, jnp.argsort(key, axis=axis,
    descending=descending), axis=axis)``. Relaxation: ``argsort(key) @ values``
    along ``axis``, i.e. ``values`` in the order of ``key`` averaged over the
    clusters of ``key``'s soft sort, in O(n log n) time and O(n) memory.
    Linear in ``values``; piecewise constant in ``key``.

    Args:
      values: floating-point array of ``key``'s shape.
      key: floating-point array giving the order.
      descending: largest key first.@COMMON@

    Returns:
      An array of ``values``' shape and dtype.

    Points of non-differentiability:
      The derivative with respect to ``values`` is the soft permutation (tied
      keys share equally, also at ``t = 0`` where the value keeps jnp's order);
      with respect to ``key`` it is 0 everywhere (piecewise constant, jumps
      where key clusters form). NaN keys sort last; NaN values propagate only
      within their cluster.

    Raises:
      TypeError: non-floating inputs. ValueError: shape mismatch, unknown
      mode/scale, bad axis, concrete negative temperature.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> v, k = jnp.array([10.0, 20.0, 30.0]), jnp.array([2.0, 0.0, 2.1])
      >>> so.sort_by(v, k, temperature=0.0)
      Array([20., 10., 30.], dtype=float32)
      >>> so.sort_by(v, k, temperature=0.5)
      Array([20., 20., 20.], dtype=float32)
      >>> jax.grad(lambda v: so.sort_by(v, jnp.array([1.0, 1.0]), temperature=0.0)[0])(v[:2])
      Array([0.5, 0.5], dtype=float32)
    """
    vals = _checks.as_float_array(values, "sort_by", "values")
    rows = _Rows("sort_by", key, axis, temperature, scale, descending, mode, straight_through, name="key")
    if vals.shape != rows.original.shape:
        raise ValueError(f"sort_by expects values of the key's shape {rows.original.shape}, got {vals.shape}")
    v = jnp.moveaxis(vals, rows.axis, -1).reshape(rows.x.shape).astype(rows.x.dtype)
    vs = jnp.take_along_axis(v, rows.perm, axis=-1)
    soft = _apply_blocks(rows, vs)
    value = vs if straight_through else jnp.where(rows.t > 0, soft, vs)
    out = _with_grad_of(value, soft)
    if rows.descending:
        out = out[:, ::-1]
    return jnp.moveaxis(out.reshape(*rows.batch, rows.n), -1, rows.axis).astype(vals.dtype)


def _apply_blocks(rows, vs):
    """``B vs`` for the blocks of ``rows`` (ties pooled also at ``t = 0``)."""
    _, _, start, count, _ = _solve(rows.xs, rows.t, None)
    start, count = lax.stop_gradient((start, count))
    soft = block_mean(jnp.where(jnp.isnan(rows.xs), 0, vs), start, count)
    return jnp.where(jnp.isnan(rows.xs) | (count == 1), vs, soft)


def top_k(
    x: ArrayLike,
    /,
    k: int,
    *,
    axis: int = -1,
    temperature: ArrayLike = 1.0,
    mode: str = "l2",
    scale: str = "absolute",
    straight_through: bool = False,
) -> tuple[Array, Array]:
    r"""Soft top-k: the k largest soft-sorted values and their index distributions.

    Hard operator: ``values, idx = lax.top_k(x, k)`` (along ``axis``), returned
    as ``(values, jax.nn.one_hot(idx, n))``. Relaxation: the first ``k`` entries
    of the descending :func:`sort` and the first ``k`` rows of the descending
    :func:`argsort` (cluster-averaged one-hot rows), in O(n log n) time and
    O(n + k n) memory (no n x n intermediate).

    Args:
      x: floating-point array.
      k: static int, ``1 <= k <= n``.
      axis: the axis to select along (default -1).
      temperature: non-negative, traced, one per row (see :func:`sort`).
      mode: ``"l2"``.
      scale: ``"absolute"`` or ``"relative"`` (see :func:`sort`).
      straight_through: hard values and distributions, soft derivative.

    Returns:
      ``(values, dists)``: ``values`` has ``x``'s shape with ``k`` along
      ``axis``; ``dists`` has shape ``(*batch, k, n)`` and rows summing to 1.

    Points of non-differentiability:
      As :func:`sort` for the values (ties share equally: ``jax.grad`` of the
      largest of ``[2, 2, 1]`` at ``t = 0`` is ``[0.5, 0.5, 0]``); the
      distributions are piecewise constant (gradient 0). NaN counts as in
      ``lax.top_k``: the largest value, or below ``-inf`` if its sign bit is
      set (x86 arithmetic's NaN from ``inf - inf`` or ``0 / 0``).

    Raises:
      TypeError: non-floating ``x`` or non-integer ``k``. ValueError: ``k`` out
      of range, unknown mode/scale, bad axis, concrete negative temperature.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> v, d = so.top_k(jnp.array([0.0, 3.0, 1.0, 2.9]), 2, temperature=0.5)
      >>> v
      Array([3.2, 2.7], dtype=float32)
      >>> d
      Array([[0. , 0.5, 0. , 0.5],
             [0. , 0.5, 0. , 0.5]], dtype=float32)
      >>> jax.grad(lambda x: so.top_k(x, 1, temperature=0.0)[0][0])(jnp.array([2.0, 2.0, 1.0]))
      Array([0.5, 0.5, 0. ], dtype=float32)

    References:
      Blondel, Teboul, Berthet & Djolonga, "Fast Differentiable Sorting and
      Ranking", ICML 2020, https://arxiv.org/abs/2002.08871.
    """
    rows = _Rows("top_k", x, axis, temperature, scale, True, mode, straight_through, top_k_order=True)
    k = _check_k("top_k", k, rows.n)
    s, _ = _project(rows.xs, rows.t, None)
    soft_v = s[:, ::-1][:, :k]
    soft_d = _block_matrix(rows, first=k)[:, ::-1, :]
    hv, hi = lax.top_k(rows.x, k)
    hd = jax.nn.one_hot(hi, rows.n, dtype=soft_d.dtype)
    if straight_through:
        v, d = _with_grad_of(hv, soft_v), _with_grad_of(hd, soft_d)
    else:
        tz = rows.t[:, :, None]
        v = _with_grad_of(jnp.where(rows.t > 0, soft_v, hv), soft_v)
        d = jnp.where(tz > 0, soft_d, hd)
    return rows.restore(v), rows.restore_matrix(d)


def top_k_mask(
    x: ArrayLike,
    /,
    k: int,
    *,
    axis: int = -1,
    temperature: ArrayLike = 1.0,
    mode: str = "l2",
    scale: str = "absolute",
    straight_through: bool = False,
) -> Array:
    r"""Soft membership in the k largest: a mask in [0, 1] summing to ``k``.

    Hard operator: the indicator of ``lax.top_k(x, k)``'s indices,
    ``jax.nn.one_hot(idx, n).sum(-2)`` (ties go to the lower index).
    Relaxation: the projection of :math:`x / t` onto the capped simplex
    :math:`\{m \in [0, 1]^n : \sum m = k\}` (the permutahedron of ``k`` ones
    and ``n - k`` zeros), by the same isotonic solver: exactly 0/1 for
    elements farther than ``t`` from the k-th/(k+1)-th boundary, linear in
    ``x / t`` near it. O(n log n) time, O(n) memory.

    Args:
      x: floating-point array.
      k: static int, ``0 <= k <= n``.
      axis: axis along which the mask sums to ``k``.
      temperature: non-negative, traced, one per row (see :func:`sort`).
      mode: ``"l2"``.
      scale: ``"absolute"`` or ``"relative"`` (see :func:`sort`).
      straight_through: hard mask, soft derivative.

    Returns:
      A mask of ``x``'s shape and dtype.

    Points of non-differentiability:
      The hard mask jumps when the k-th and (k+1)-th largest tie; its
      derivative is 0 (``jax.grad`` returns 0 at ``t = 0``). For ``t > 0`` the
      mask is piecewise linear with slope :math:`(I - B)/t` in the boundary
      cluster (tied elements get equal shares) and kinks where it changes.
      d/dt is 0 at ``t = 0``. NaN counts as ``lax.top_k`` counts it: as the
      largest value, or below ``-inf`` if its sign bit is set (the NaN that
      x86 arithmetic makes of ``inf - inf`` or ``0 / 0``); ``+-inf`` are
      masked exactly.

    Raises:
      TypeError: non-floating ``x`` or non-integer ``k``. ValueError: ``k`` out
      of range, unknown mode/scale, bad axis, concrete negative temperature.

    Examples:
      >>> import jax.numpy as jnp, softops as so
      >>> so.top_k_mask(jnp.array([0.0, 3.0, 1.0, 1.2]), 2, temperature=0.0)
      Array([0., 1., 0., 1.], dtype=float32)
      >>> so.top_k_mask(jnp.array([0.0, 3.0, 1.0, 1.25]), 2, temperature=0.5)
      Array([0.  , 1.  , 0.25, 0.75], dtype=float32)
    """
    rows = _Rows("top_k_mask", x, axis, temperature, scale, True, mode, straight_through, top_k_order=True)
    k = _check_k("top_k_mask", k, rows.n, allow_zero=True)
    _, m = _project(rows.xs, rows.t, k)
    soft = rows.unsort(m)
    if k == 0:
        hard = jnp.zeros_like(rows.x)
    else:
        hard = jnp.sum(jax.nn.one_hot(lax.top_k(rows.x, k)[1], rows.n, dtype=rows.x.dtype), axis=-2)
    value = hard if straight_through else jnp.where(rows.t > 0, soft, hard)
    return rows.restore(_with_grad_of(value, soft))


def _check_k(op, k, n, allow_zero=False):
    if isinstance(k, jax.Array) and _checks.is_concrete(k) and k.ndim == 0:
        if jnp.issubdtype(k.dtype, jnp.integer):
            k = int(k)
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"{op} expects a static integer k, got {k!r}")
    lo = 0 if allow_zero else 1
    if not lo <= int(k) <= n:
        raise ValueError(f"{op}: k must satisfy {lo} <= k <= {n} (the axis length), got {k}")
    return int(k)


# -------------------------------------------------------------------- quantiles
def _interp(xs, q, midpoint):
    """jnp.quantile's 'linear' (or jnp.median's 'midpoint') on ascending rows, jnp's arithmetic."""
    n = xs.shape[-1]
    q = q.astype(xs.dtype)
    pos = q * jnp.asarray(n - 1, xs.dtype)
    low, high = jnp.floor(pos), jnp.ceil(pos)
    hw = pos - low
    lw = jnp.ones((), xs.dtype) - hw
    last = jnp.asarray(n - 1, xs.dtype)
    low = jnp.clip(low, 0, last).astype(jnp.int32)
    high = jnp.clip(high, 0, last).astype(jnp.int32)
    lv = jnp.take(xs, low.reshape(-1), axis=-1).reshape(xs.shape[0], *q.shape)
    hv = jnp.take(xs, high.reshape(-1), axis=-1).reshape(xs.shape[0], *q.shape)
    if midpoint:  # halves first: the sum of two large values may overflow
        half = jnp.asarray(0.5, xs.dtype)
        out = lv * half + hv * half
    else:
        out = lv * lw + hv * hw
        # On a grid point (pos an integer i, 0 < i < n - 1) low == high and the
        # slope in q above is 0, outside the one-sided slopes' interval; softops
        # takes its minimum-norm element, the smaller of the two (both >= 0).
        take = lambda i: jnp.take(xs, jnp.clip(i, 0, n - 1).reshape(-1), axis=-1).reshape(lv.shape)
        left, right = lv - take(low - 1), take(high + 1) - hv
        slope = jnp.minimum(left, right) * jnp.asarray(n - 1, xs.dtype)
        on_grid = (hw == 0) & (low > 0) & (low < n - 1)
        out = out + _kink_slope(q, jnp.where(on_grid, lax.stop_gradient(slope), 0))
    bad = jnp.any(jnp.isnan(xs), axis=-1).reshape(-1, *([1] * q.ndim))
    return jnp.where(bad, jnp.nan, out)


@jax.custom_jvp
def _kink_slope(q: Array, slope: Array) -> Array:
    """Exactly 0 (of ``slope``'s shape), with derivative ``slope`` in ``q`` (and 0
    in ``slope``): the minimum-norm slope at a kink, added where autodiff of the
    interpolation gives 0."""
    return jnp.zeros_like(slope)


@_kink_slope.defjvp
def _kink_slope_jvp(primals, tangents):
    q, slope = primals
    return _kink_slope(q, slope), slope * tangents[0]


def _quantile(op, x, q, axis, temperature, mode, scale, straight_through, hard_fn, midpoint=False):
    rows = _Rows(op, x, axis, temperature, scale, False, mode, straight_through, stable=False)
    if rows.n == 0:
        raise ValueError(f"{op}: cannot take a quantile over the empty axis {axis} of shape {x.shape}")
    s, _ = _project(rows.xs, rows.t, None)
    # q outside [0, 1] is clamped on the soft path (jnp extrapolates oddly or gives NaN).
    soft = _interp(s, jnp.clip(q, 0, 1), midpoint)
    # jnp itself on the sorted rows. Re-implementing its interpolation here was off
    # by an ulp once XLA fused it differently (under jit, with a traced q), so the hard
    # path pays for jnp's second sort of already sorted rows to stay bit for bit.
    # (jnp takes a q of rank <= 1: its results for a flattened q, reshaped)
    hard = jnp.moveaxis(hard_fn(rows.xs), -1, 0).reshape(rows.xs.shape[0], *q.shape)
    tq = rows.t.reshape(-1, *([1] * q.ndim))
    value = hard if straight_through else jnp.where(tq > 0, soft, hard)
    out = _with_grad_of(value, soft)  # (R, *q.shape)
    out = out.reshape(*rows.batch, *q.shape)
    out = jnp.moveaxis(out, tuple(range(len(rows.batch), out.ndim)), tuple(range(q.ndim)))
    return out.astype(rows.dtype)


def _check_q(op, q, name="q"):
    q = _checks.as_float_array(q, op, name)
    return q.astype(_checks.working_dtype(q.dtype))


def quantile(
    x: ArrayLike,
    q: ArrayLike,
    /,
    *,
    axis: int = -1,
    temperature: ArrayLike = 1.0,
    mode: str = "l2",
    scale: str = "absolute",
    straight_through: bool = False,
) -> Array:
    r"""Soft quantiles: jnp's linear interpolation between soft-sorted values.

    Hard operator: ``jnp.quantile(x, q, axis=axis)`` (method ``"linear"``).
    Relaxation: the same interpolation at position :math:`q (n - 1)` applied to
    :func:`sort`'s soft-sorted row, so it inherits its properties (exact when
    the neighbours of that position are more than ``t`` apart; no collapse on
    outliers). O(n log n) time, O(n) memory. It tends to the hard quantile as
    ``t -> 0`` (exactly, once the cluster around that position has split), but
    not always monotonically: inside a cluster one position of the soft sort
    can move away from its hard value before the cluster splits (``median`` of
    ``[-2, .5, .3, 0, -.1]``: error 0.025 at ``t = 0.3``, 0.05 at ``t = 0.2``,
    0 below ``t = 0.1``).

    Args:
      x: floating-point array.
      q: floating-point quantile(s) in [0, 1], any shape; out-of-range values
        are clamped to [0, 1] for ``t > 0`` (at ``t = 0`` jnp decides).
      axis: the reduced axis (default -1).
      temperature: non-negative, traced, one per row (see :func:`sort`).
      mode: ``"l2"``.
      scale: ``"absolute"`` or ``"relative"`` (see :func:`sort`).
      straight_through: hard value, soft derivative.

    Returns:
      An array of shape ``q.shape + batch`` (``batch`` = ``x.shape`` without
      ``axis``) in ``x``'s dtype, as ``jnp.quantile``.

    Points of non-differentiability:
      Those of :func:`sort` (ties share equally: at ``t = 0`` the median of
      ``[1, 1, 1]`` has gradient ``[1/3, 1/3, 1/3]``) plus the kinks of the
      interpolation in ``q`` at the integers of :math:`q (n - 1)`, where the
      derivative in ``q`` is the smaller of the two one-sided slopes (the
      minimum-norm one; ``jnp.quantile``'s gradient is 0 there). A NaN
      anywhere in a row makes that row's result NaN (as ``jnp.quantile``)
      without touching other rows.

    Raises:
      TypeError: non-floating ``x`` or ``q``. ValueError: unknown mode/scale,
      bad axis, concrete negative temperature.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> x = jnp.array([0.0, 1.0, 2.0, 1e6])
      >>> so.quantile(x, 0.0, temperature=0.01)
      Array(0., dtype=float32)
      >>> so.quantile(x, jnp.array([0.25, 0.5]), temperature=0.0)
      Array([0.75, 1.5 ], dtype=float32)
      >>> jax.grad(lambda x: so.quantile(x, 0.5, temperature=0.0))(jnp.array([1.0, 1.0, 1.0]))
      Array([0.33333334, 0.33333334, 0.33333334], dtype=float32)
    """
    q = _check_q("quantile", q)
    hard_fn = lambda xs: jnp.quantile(xs, q.reshape(-1), axis=-1)
    return _quantile("quantile", x, q, axis, temperature, mode, scale, straight_through, hard_fn)


def percentile(
    x: ArrayLike,
    p: ArrayLike,
    /,
    *,
    axis: int = -1,
    temperature: ArrayLike = 1.0,
    mode: str = "l2",
    scale: str = "absolute",
    straight_through: bool = False,
) -> Array:
    r"""Soft percentiles: :func:`quantile` at ``p / 100``.

    Hard operator: ``jnp.percentile(x, p, axis=axis)``. Relaxation: as
    :func:`quantile`.

    Args:
      x: floating-point array.
      p: percentile(s) in [0, 100].
      axis: the reduced axis.
      temperature: non-negative, traced, one per row (see :func:`sort`).
      mode: ``"l2"``.
      scale: ``"absolute"`` or ``"relative"``.
      straight_through: hard value, soft derivative.

    Returns:
      An array of shape ``p.shape + batch`` in ``x``'s dtype.

    Points of non-differentiability:
      As :func:`quantile`; NaN in a row gives NaN for that row.

    Raises:
      TypeError: non-floating ``x`` or ``p``. ValueError: unknown mode/scale,
      bad axis, concrete negative temperature.

    Examples:
      >>> import jax.numpy as jnp, softops as so
      >>> so.percentile(jnp.array([0.0, 1.0, 2.0, 3.0]), 50.0, temperature=0.0)
      Array(1.5, dtype=float32)
    """
    p = _check_q("percentile", p, "p")
    q = p / jnp.asarray(100.0, p.dtype)
    hard_fn = lambda xs: jnp.percentile(xs, p.reshape(-1), axis=-1)
    return _quantile("percentile", x, q, axis, temperature, mode, scale, straight_through, hard_fn)


def median(
    x: ArrayLike,
    /,
    *,
    axis: int = -1,
    temperature: ArrayLike = 1.0,
    mode: str = "l2",
    scale: str = "absolute",
    straight_through: bool = False,
) -> Array:
    r"""Soft median: the middle of :func:`sort`'s soft-sorted row.

    Hard operator: ``jnp.median(x, axis=axis)`` (the mean of the two middle
    values for even ``n``). Relaxation: the same on the soft-sorted row.

    Args:
      x: floating-point array.
      axis: the reduced axis.
      temperature: non-negative, traced, one per row (see :func:`sort`).
      mode: ``"l2"``.
      scale: ``"absolute"`` or ``"relative"``.
      straight_through: hard value, soft derivative.

    Returns:
      ``x.shape`` without ``axis``, in ``x``'s dtype.

    Points of non-differentiability:
      As :func:`sort`: at ``t = 0`` tied middle elements share the gradient
      equally; NaN in a row gives NaN for that row.

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode/scale, bad axis,
      concrete negative temperature.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> so.median(jnp.array([3.0, 0.0, 1.0]), temperature=0.0)
      Array(1., dtype=float32)
      >>> jax.grad(lambda x: so.median(x, temperature=0.0))(jnp.array([3.0, 1.0, 1.0]))
      Array([0. , 0.5, 0.5], dtype=float32)
    """
    q = jnp.asarray(0.5, _checks.working_dtype(getattr(x, "dtype", jnp.float32)))
    hard_fn = lambda xs: jnp.median(xs, axis=-1)
    return _quantile("median", x, q, axis, temperature, mode, scale, straight_through, hard_fn, midpoint=True)


for _f in (sort, rank, argsort, sort_by):
    _f.__doc__ = (_f.__doc__ or "").replace("@COMMON@", _COMMON_ARGS)


# --------------------------------------------------------------------- registry
def _sample(key, dtype):
    return (np.asarray(jax.random.normal(key, (2, 7), "float32") * 2).astype(dtype),), {}


def _sample_k(key, dtype):
    (x,), _ = _sample(key, dtype)
    return (x,), {"k": 3}


def _sample_q(key, dtype):
    (x,), _ = _sample(key, dtype)
    return (x, np.asarray([0.1, 0.5, 0.93], dtype)), {}


def _sample_p(key, dtype):
    (x,), _ = _sample(key, dtype)
    return (x, np.asarray([10.0, 50.0, 93.0], dtype)), {}


def _sample_by(key, dtype):
    k1, k2 = jax.random.split(key)
    (v,), _ = _sample(k1, dtype)
    (k,), _ = _sample(k2, dtype)
    return (v, k), {}


def _hard_argsort(x, axis=-1, descending=False):
    x = jnp.moveaxis(jnp.asarray(x), axis, -1)
    return jax.nn.one_hot(jnp.argsort(x, axis=-1, descending=descending), x.shape[-1], dtype=x.dtype)


def _hard_rank(x, axis=-1, descending=False):
    x = jnp.asarray(x)
    return jnp.argsort(jnp.argsort(x, axis=axis, descending=descending), axis=axis).astype(x.dtype)


def _hard_top_k(x, k, axis=-1):
    x = jnp.moveaxis(jnp.asarray(x), axis, -1)
    v, i = lax.top_k(x, k)
    return jnp.moveaxis(v, -1, axis), jax.nn.one_hot(i, x.shape[-1], dtype=x.dtype)


def _hard_top_k_mask(x, k, axis=-1):
    x = jnp.moveaxis(jnp.asarray(x), axis, -1)
    m = jnp.sum(jax.nn.one_hot(lax.top_k(x, k)[1], x.shape[-1], dtype=x.dtype), axis=-2)
    return jnp.moveaxis(m, -1, axis)


def _hard_sort_by(values, key, axis=-1, descending=False):
    return jnp.take_along_axis(values, jnp.argsort(key, axis=axis, descending=descending), axis=axis)


_TIE = Kink("x_i == x_j (ties)", "tie", 0.0, 1.0, None)
_JUMP = Kink("x_i == x_j (ties)", "jump", 0.0, 0.0, None)
_C0 = "Piecewise linear (C0) in x and the temperature: isotonic-regression blocks."
_STEP = "Piecewise constant in x (derivative 0, jumps where clusters form); doubly stochastic."

for _fn, _hard, _sample_fn, _kink, _smooth, _note in (
    (sort, lambda x, **kw: jnp.sort(x, **kw), _sample, _TIE, 0, _C0),
    (rank, _hard_rank, _sample, _JUMP, 0, _C0),
    (argsort, _hard_argsort, _sample, _JUMP, -1, _STEP),
    (sort_by, _hard_sort_by, _sample_by, _TIE, 0, _C0 + " Linear in values; " + _STEP),
    (top_k, _hard_top_k, _sample_k, _TIE, 0, _C0 + " The distributions: " + _STEP),
    (top_k_mask, _hard_top_k_mask, _sample_k, _JUMP, 0, _C0),
    (quantile, lambda x, q, axis=-1: jnp.quantile(x, q, axis=axis), _sample_q, _TIE, 0, _C0),
    (percentile, lambda x, p, axis=-1: jnp.percentile(x, p, axis=axis), _sample_p, _TIE, 0, _C0),
    (median, lambda x, axis=-1: jnp.median(x, axis=axis), _sample, _TIE, 0, _C0),
):
    register(
        OperatorInfo(
            name=_fn.__name__,
            fn=_fn,
            hard=_hard,
            family="sorting",
            kind="other",
            modes={"l2": _smooth},
            default_mode="l2",
            kinks=(_kink,),
            sample=_sample_fn,
            straight_through=True,
            subgradient=False,
            bounded=True,
            # The l2 error of sort, rank, top-k and the soft permutations decreases
            # with t; one position of a soft sort (a quantile) need not.
            monotone=_fn not in (sort_by, quantile, percentile, median),
            nan_policy="custom",
            notes=_note,
        )
    )
