"""Reductions along an axis: argmax, argmin, max, min and logsumexp.

Every relaxation here is a distribution ``p`` over the positions of a slice
(softmax, sparsemax or 1.5-entmax of the scores ``x / t``) and the soft max is
the expectation ``sum(p * x)`` under it (or ``t * logsumexp(x / t)``). All of
them are computed from the shifted scores ``(x - max) / t`` with the shift held
constant (``stop_gradient``), so no exponential overflows and ``t -> 0`` or
``x -> 1e30`` never produce inf or NaN. Slices whose maximum is not finite
(a NaN, a ``+inf`` or only ``-inf``) and ``t == 0`` take the hard branch
through a double ``where``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_derivatives import SymbolicZero

from softops import _checks
from softops._mechanism import (
    band,
    finite,
    hold,
    prepare,
    reciprocal,
    saturation,
    scale,
    straight_through,
    sum_scale,
)
from softops._registry import Kink, OperatorInfo, register

Array = jax.Array
ArrayLike = Any

ARGMAX_MODES: tuple[str, ...] = ("softmax", "sparsemax", "entmax15")
MAX_MODES: tuple[str, ...] = (*ARGMAX_MODES, "logsumexp")


# ------------------------------------------------------------------ validation
def _setup(op: str, x: ArrayLike, temperature: ArrayLike, axis: Any):
    """Validate; broadcast ``x`` against ``t`` (size 1 along ``axis``).

    Returns ``(x, t, axis, dtype)`` with ``x`` in the working dtype and
    ``axis`` non-negative in ``x``'s (possibly larger) rank.
    """
    (x,), t, dtype = prepare(op, ("x",), (x,), temperature)
    if x.ndim == 0:
        raise ValueError(f"{op} expects an array with at least one dimension, got a scalar")
    ax = _checks.axis(axis, x.ndim, op)
    if x.shape[ax] == 0:
        raise ValueError(f"{op}: cannot reduce over the empty axis {axis} of shape {x.shape}")
    pos = ax - x.ndim  # counted from the right, so it survives broadcasting
    if t.ndim >= -pos and t.shape[pos] != 1:
        raise ValueError(
            f"{op} expects a temperature of size 1 along axis {axis} (one temperature per "
            f"slice), got temperature shape {t.shape} for x of shape {x.shape}"
        )
    kshape = x.shape[:ax] + (1,) + x.shape[ax + 1 :]
    try:
        full = jnp.broadcast_shapes(kshape, t.shape)
    except ValueError as err:
        raise ValueError(
            f"{op}: temperature of shape {t.shape} does not broadcast against x of shape {x.shape}"
        ) from err
    full = full[: len(full) + pos] + (x.shape[ax],) + full[len(full) + pos + 1 :]
    x = jnp.broadcast_to(x, full)
    return x, t, len(full) + pos, dtype


# ------------------------------------------------------------------ hard kernels
def _hard_argmax(x: Array, ax: int) -> Array:
    """One-hot at the maximum, ties split equally; NaN slices are all NaN."""
    m = jnp.max(x, ax, keepdims=True)
    hit = x == m
    count = jnp.sum(hit, ax, keepdims=True, dtype=x.dtype)
    # count == 0 only for a slice holding a NaN: 0 / 0 marks the whole slice NaN.
    return lax.stop_gradient(jnp.where(hit, jnp.ones((), x.dtype), jnp.zeros((), x.dtype)) / count)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _hard_max(x: Array, ax: int) -> Array:
    return jnp.max(x, ax, keepdims=True)


@_hard_max.defjvp
def _hard_max_jvp(ax, primals, tangents):
    (x,), (dx,) = primals, tangents
    w = _hard_argmax(x, ax)  # the minimum-norm element: equal shares among ties
    return _hard_max(x, ax), jnp.sum(w * dx, ax, keepdims=True)


# ------------------------------------------------------------------ soft kernels
# A bound on entmax15's threshold search (2 to ~15 passes on real data).
_MAX_PASSES = 64


def _threshold(z: Array, power: int) -> Array:
    """``tau`` with ``sum(max(z - tau, 0) ** power) = 1`` along the last axis.

    Sort-free, one pass over ``z`` per step, starting from the lower bound
    ``max(z) - 1`` (the largest entry alone already has mass 1):

    * ``power = 1`` (sparsemax), Michelot's method: ``tau <- tau + (sum(d) - 1) / |S|``
      over the support ``S = {d > 0}``, ``d = z - tau``, the threshold of that
      support. It only rises and never passes the root, so every pass that does
      not settle a row removes entries from its support: each row settles, on
      the exact threshold, within ``n + 1`` passes (2 to ~15 on real data).
    * ``power = 2`` (1.5-entmax on ``z = u / 2``): Newton steps from below give
      a rising lower bound, and each step also proposes the exact threshold of
      its support (the root of a quadratic). A proposal whose support is the one
      it was computed from is the exact threshold. A row whose lower bound stops
      rising with an unchanged support (an entry within rounding of the
      threshold) takes its support's proposal, which is the threshold to
      rounding; so does a row still unsettled after ``_MAX_PASSES`` passes
      (never seen).

    No sort and no data-dependent branch: under ``vmap`` this stays one loop.
    """
    dtype = z.dtype
    zero, one = jnp.zeros((), dtype), jnp.ones((), dtype)
    zmax = jnp.max(z, -1, keepdims=True)
    cap = z.shape[-1] + 1 if power == 1 else _MAX_PASSES

    def body(state):
        it, lo, cand, c_prev, done = state
        d = z - lo
        pos = d > 0
        dp = jnp.where(pos, d, zero)
        c = jnp.sum(pos, -1, keepdims=True, dtype=dtype)
        a = jnp.sum(dp, -1, keepdims=True)
        if power == 1:
            # lo was computed from the support it now has: the exact threshold.
            settled = done | (c == c_prev)
            new_lo, new_cand = lo + jnp.maximum((a - one) / c, zero), cand
        else:
            b = jnp.sum(dp * dp, -1, keepdims=True)
            excess = b - one  # >= 0 up to rounding: lo is a lower bound
            new_lo = lo + jnp.maximum(excess / (2.0 * a), zero)
            root = jnp.sqrt(jnp.maximum(a * a - c * excess, zero))
            new_cand = lo + jnp.maximum(excess, zero) / (a + root)
            hit = jnp.sum(z > cand, -1, keepdims=True, dtype=dtype) == c_prev
            # cand was proposed from a support of c_prev entries: with c == c_prev
            # that is this support, and a lower bound that no longer rises is done.
            stalled = (c == c_prev) & (new_lo <= lo)
            settled = done | hit | stalled
        return (
            it + 1,
            jnp.where(settled, lo, new_lo),
            jnp.where(settled, cand, new_cand),
            jnp.where(settled, c_prev, c),
            settled,
        )

    def more(state):
        it, *_, done = state
        return (it < cap) & ~jnp.all(done)

    init = (0, zmax - one, zmax, jnp.full_like(zmax, -1.0), jnp.zeros(zmax.shape, bool))
    _, lo, cand, _, _ = lax.while_loop(more, body, init)
    # (a NaN row settles at once: its counts are 0; its result is masked by the caller)
    return lo if power == 1 else cand


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _sparsemax(u: Array, ax: int) -> Array:
    """Euclidean projection of ``u`` onto the simplex along ``ax``."""
    z = jnp.moveaxis(u, ax, -1)
    return jnp.moveaxis(jnp.maximum(z - _threshold(z, 1), 0.0), -1, ax)


@_sparsemax.defjvp
def _sparsemax_jvp(ax, primals, tangents):
    (u,), (du,) = primals, tangents
    p = _sparsemax(u, ax)
    # Jacobian diag(s) - s s^T / |S| on the support S (s its indicator).
    s = (p > 0).astype(u.dtype)
    mean = jnp.sum(s * du, ax, keepdims=True) / jnp.sum(s, ax, keepdims=True)
    return p, s * (du - mean)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _entmax15_root(u: Array, ax: int) -> Array:
    """``g`` with ``g ** 2 = entmax15(u)``: ``g = max(u / 2 - tau, 0)``, ``sum g^2 = 1``.

    Working with the square root keeps every derivative finite at the edge of
    the support (``sqrt(p)`` would not be differentiable at ``p = 0``).
    """
    z = jnp.moveaxis(u, ax, -1) * 0.5
    tau_star = _threshold(z, 2)
    g = jnp.maximum(z - tau_star, 0.0)
    g = g / jnp.sqrt(jnp.sum(g * g, axis=-1, keepdims=True))  # remove rounding drift
    return jnp.moveaxis(g, -1, ax)


@_entmax15_root.defjvp
def _entmax15_root_jvp(ax, primals, tangents):
    (u,), (du,) = primals, tangents
    g = _entmax15_root(u, ax)
    # Differentiating sum g^2 = 1 on the support: dg = s (du/2 - dtau), dtau = <g, du/2> / sum g.
    s = (g > 0).astype(u.dtype)
    dz = 0.5 * du
    dtau = jnp.sum(g * dz, ax, keepdims=True) / jnp.sum(g, ax, keepdims=True)
    return g, s * (dz - dtau)


def _scores(x: Array, t: Array, ax: int):
    """Shifted, clamped scores of the slices that take the soft branch.

    Returns ``(live, m0, t1, dc, u)``: ``live`` marks slices with ``t > 0`` and a
    finite maximum; there ``dc = max(x - max(x), -L t)`` (held shift) and
    ``u = dc / t`` in ``[-L, 0]``, ``-L`` (a weight of exactly 0) for every entry
    off the band, ``-inf`` entries included. On the other slices ``dc`` is a
    benign ``-L`` and ``u`` the scores of the maxima: 0 at every maximum and
    -L elsewhere (NaN for a slice holding a NaN), so that
    ``exp(u) / sum(exp(u))`` is exactly the hard, tie-splitting one-hot.
    """
    m = lax.stop_gradient(jnp.max(x, ax, keepdims=True))
    live, m0, t1, r = hold(m, t)
    zero = jnp.zeros((), x.dtype)
    d = x - m0
    # A mask, not a clamp: beyond t ~ 3e32 (float32) the band reaches the largest
    # float, and a clamped -inf entry would weigh exp(-max / t) > 0.
    floor = -band(t1)
    inside = live & (d >= floor)
    dc = jnp.where(inside, d, floor)
    low = jnp.where(jnp.isnan(m), jnp.full((), jnp.nan, x.dtype), jnp.full((), -saturation(x.dtype), x.dtype))
    u = jnp.where(inside, scale(jnp.where(inside, d, zero), t1, r), jnp.where((x == m) & ~live, zero, low))
    return live, m0, t1, dc, u


def _weighted_sums(e: Array, v: Array, ax: int) -> tuple[Array, Array]:
    """``sum(e)`` and ``sum(e * v)`` along ``ax`` (kept), as one batched product
    of ``e`` with the rows ``[1, v]``.

    One pass over ``e``, which two float sums would write out and read twice.
    On CPU it measured 10-15% faster for a whole soft max than one complex sum
    (whose ``c64`` operand XLA writes out before its pairwise reduction), and
    the product's blocked accumulation stays within ~1e-7 relative of it at
    1e5 entries. ``HIGHEST``: a GPU's default float32 product rounds its
    inputs to TF32 (1e-3).
    """
    e, v = jnp.broadcast_arrays(e, v)
    e_, v_ = jnp.moveaxis(e, ax, -1), jnp.moveaxis(v, ax, -1)
    rows = jnp.stack([jnp.ones_like(v_), v_], axis=-2)
    sums = jnp.einsum("...i,...ki->...k", e_, rows, precision=lax.Precision.HIGHEST)
    return jnp.expand_dims(sums[..., 0], ax), jnp.expand_dims(sums[..., 1], ax)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def _soft_reduce(x: Array, t: Array, ax: int, mode: str) -> Array:
    """The ``softmax`` expectation or the ``logsumexp`` of each slice along
    ``ax`` (kept); the hard max on the slices that are not live.

    The value clamps instead of masking: a live slice's shifts ``x - max`` are
    finite or ``-inf``, and ``max(., -L)`` maps both onto finite scores
    (``-inf`` entries weigh exactly 0); the other slices' garbage is discarded
    by the final select, so the scores take no select per entry. The JVP,
    written out, masks instead (see :func:`_scores`), so that its own
    derivatives never meet ``-inf * 0``.
    """
    m = jnp.max(x, ax, keepdims=True)
    live = hold(m, t)[0]
    # m and t as they are (not hold's benign stand-ins): the slices where they
    # are not finite or usable are discarded below, and per-slice selects
    # ahead of the pass over x would cost it a separate XLA fusion.
    r = reciprocal(t)
    d = x - m
    e = jnp.exp(jnp.maximum((d * r.s) * r.r, jnp.asarray(-saturation(x.dtype), x.dtype)))
    if mode == "logsumexp":
        val = m + t * jnp.log(jnp.sum(e, ax, keepdims=True))
    else:
        # The mean shift in x's units (t * mean(u) underflows at huge t), summed
        # scaled (|dc| reaches the largest float at t ~ 1e32; the axis is never empty)
        down, up = sum_scale(x.shape[ax], x.dtype)
        dc = jnp.maximum(d, -band(t)) * down
        total, moment = _weighted_sums(e, dc, ax)
        val = m + (moment / total) * up
    return jnp.where(live, val, m)


def _soft_reduce_jvp(ax, mode, primals, tangents):
    # With w = softmax(u), u the masked scores of _scores and ubar = sum(w u):
    #   softmax:   dval = sum(w (dx + (dx - u dt)(u - ubar)))  (w + w (u - ubar): +0, not -0, off the support)
    #            = sum(w (1 + u - ubar) dx) - dt var_w(u)
    #   logsumexp: dval = sum(w dx) + dt (log sum(e) - ubar)
    # On a slice that is not live, w is the hard max's tie-splitting one-hot,
    # u = ubar = 0 where w > 0 and dt counts as 0: sum(w dx), the hard max's
    # minimum-norm derivative (NaN for a slice holding a NaN).
    x, t = primals
    dx, dt = tangents
    live, _, _, _, u = _scores(x, t, ax)
    e = jnp.exp(u)
    if mode == "softmax" or not isinstance(dt, SymbolicZero):
        total, moment = _weighted_sums(e, u, ax)
        ubar = moment / total
    else:
        total = jnp.sum(e, ax, keepdims=True)
    terms = []
    if mode == "logsumexp":
        if not isinstance(dx, SymbolicZero):
            terms.append(jnp.sum(e * dx, ax, keepdims=True) / total)
        if not isinstance(dt, SymbolicZero):
            # On a slice with a finite maximum that is not live (t = 0, or below
            # the smallest usable t) the weights are the k tied maxima's, u = 0
            # there: d/dt is log k, its limit from above (the entropy of the
            # softmax), not the hard max's 0.
            finite_max = jnp.isfinite(jnp.max(x, ax, keepdims=True))
            terms.append(jnp.where(finite_max, dt, jnp.zeros((), x.dtype)) * (jnp.log(total) - ubar))
    else:
        if not isinstance(dx, SymbolicZero):
            terms.append(jnp.sum((e + e * (u - ubar)) * dx, ax, keepdims=True) / total)
        if not isinstance(dt, SymbolicZero):
            var = jnp.sum(e * (u * (u - ubar)), ax, keepdims=True) / total
            terms.append(-jnp.where(live, dt, jnp.zeros((), x.dtype)) * var)
    out = _soft_reduce(x, t, ax, mode)
    return out, jnp.broadcast_to(functools.reduce(jnp.add, terms), out.shape)


_soft_reduce.defjvp(_soft_reduce_jvp, symbolic_zeros=True)


def _weights(u: Array, ax: int, mode: str) -> Array:
    if mode == "sparsemax":
        return _sparsemax(u, ax)
    if mode == "entmax15":
        g = _entmax15_root(u, ax)
        return g * g
    e = jnp.exp(u)
    return e / jnp.sum(e, ax, keepdims=True)


def _argmax(op, x, axis, temperature, mode, use_st, sgn):
    x, t, ax, dtype = _setup(op, x, temperature, axis)
    mode = _checks.mode(mode, ARGMAX_MODES, op)
    use_st = _checks.boolean(use_st, op, "straight_through")
    x = sgn * x

    def hard(x, t):
        return _hard_argmax(x, ax)

    def soft(x, t):
        if x.shape[ax] == 1:
            # One position: weight 1 at every temperature, NaN for a NaN. (Else
            # XLA's CPU backend simplifies the normalisation of a one-entry slice
            # at a concrete t = 0 to exp(u - u) and folds that to 1 for a NaN.)
            one = jnp.where(jnp.isnan(x), x, jnp.ones((), x.dtype))
            return jnp.broadcast_to(one, jnp.broadcast_shapes(x.shape, t.shape))
        live, _, _, _, u = _scores(x, t, ax)
        if mode == "softmax":  # exact on the hard branch too (see _scores)
            return jnp.broadcast_to(_weights(u, ax, mode), jnp.broadcast_shapes(x.shape, t.shape))
        return jnp.where(live, _weights(u, ax, mode), hard(x, t))

    out = straight_through(hard, soft, x, t) if use_st else soft(x, t)
    return out.astype(dtype)


def _max(op, x, axis, keepdims, temperature, mode, use_st, sgn, modes=MAX_MODES):
    x, t, ax, dtype = _setup(op, x, temperature, axis)
    mode = _checks.mode(mode, modes, op)
    use_st = _checks.boolean(use_st, op, "straight_through")
    keepdims = _checks.boolean(keepdims, op, "keepdims")
    x = sgn * x

    def hard(x, t):
        return jnp.broadcast_to(
            _hard_max(x, ax), jnp.broadcast_shapes(x.shape[:ax] + (1,) + x.shape[ax + 1 :], t.shape)
        )

    def soft(x, t):
        if mode in ("softmax", "logsumexp"):
            # (logsumexp's m + t log(...) is inf * 0 on a -inf entry at t = inf)
            return _soft_reduce(x, finite(t) if mode == "logsumexp" else t, ax, mode)
        live, m0, t1, dc, u = _scores(x, t, ax)
        val = m0 + jnp.sum(_weights(u, ax, mode) * dc, ax, keepdims=True)
        return jnp.where(live, val, hard(x, t))

    out = straight_through(hard, soft, x, t) if use_st else soft(x, t)
    if not keepdims:
        out = jnp.squeeze(out, ax)
    return (sgn * out).astype(dtype)


# ------------------------------------------------------------------ public API


def argmax(
    x: ArrayLike,
    /,
    *,
    axis: int = -1,
    temperature: ArrayLike = 1.0,
    mode: str = "softmax",
    straight_through: bool = False,
) -> Array:
    r"""Soft argmax: a distribution over the positions of ``x`` along ``axis``.

    Hard operator: the one-hot encoding of ``jnp.argmax(x, axis)``, except that
    tied maxima share the mass equally. Relaxation: a distribution
    :math:`p = \mathrm{map}(x / t)` over the slice, where ``map`` is

    * ``softmax`` (default): :math:`p_i \propto e^{x_i/t}`; at ``t = 1`` this is
      ``jax.nn.softmax(x, axis)``;
    * ``sparsemax``: the Euclidean projection of :math:`x/t` onto the simplex,
      :math:`p_i = \max(x_i/t - \tau, 0)`, exactly zero off a support;
    * ``entmax15``: 1.5-entmax, :math:`p_i = \max(x_i/(2t) - \tau, 0)^2`,
      sparse and C1.

    ``tau`` normalises ``p``; sparsemax and entmax15 find it without sorting,
    by a threshold search that takes a few passes over the slice (2 to ~15 on
    real data): Michelot's method, exact, for sparsemax; Newton steps from
    below with an exact proposal per support, exact to rounding, for entmax15.
    As :math:`t \to 0`, :math:`p` tends to the hard one-hot; at ``t = 0`` it
    is exactly that.

    Args:
      x: floating-point array with at least one dimension.
      axis: the axis holding the positions (static).
      temperature: non-negative, traced; broadcasts against ``x`` with size 1
        along ``axis`` (one temperature per slice).
      mode: ``"softmax"``, ``"sparsemax"`` or ``"entmax15"``.
      straight_through: the hard one-hot as value, the relaxation's derivative.

    Returns:
      An array of ``x``'s shape (broadcast against ``temperature``) and dtype,
      non-negative and summing to 1 along ``axis``.

    Points of non-differentiability:
      The hard operator jumps where the extreme value is tied; it is piecewise
      constant, so ``jax.grad`` through it is 0 everywhere. At a tie the value
      splits equally among the tied positions (the minimum-norm rule; so does
      every relaxation as ``t -> 0``), where ``jnp.argmax`` would name only the first.
      A slice containing NaN is NaN at every position (``jnp.argmax`` treats NaN
      as the extreme). Infinite inputs: a slice holding ``+inf`` is one-hot
      at it (split among several), a slice of only ``-inf`` is uniform; both
      take the hard branch at every temperature. For ``t > 0``, ``softmax`` is
      C-infinity, ``entmax15`` C1 and ``sparsemax`` C0 (piecewise linear, with
      kinks where an entry enters the support); their Jacobians are the closed
      forms ``diag(p) - p p^T`` (over ``t``), ``diag(s) - s s^T / |S|`` and
      ``diag(g) - g g^T / sum(g)`` with ``g = sqrt(p)`` (over ``2 t``). The
      derivative with respect to ``t`` is 0 at ``t = 0``.

    Raises:
      TypeError: non-floating ``x``, non-integer ``axis``.
      ValueError: scalar ``x``, axis out of range or empty, unknown mode,
        concrete negative temperature, temperature not of size 1 along ``axis``.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> so.argmax(jnp.array([1.0, 3.0, 3.0]), temperature=0.0)
      Array([0. , 0.5, 0.5], dtype=float32)
      >>> so.argmax(jnp.array([0.0, 1.5, 2.0]), mode="sparsemax")
      Array([0.  , 0.25, 0.75], dtype=float32)
      >>> g = jax.grad(lambda x: so.argmax(x, temperature=0.0)[1])(jnp.array([1.0, 3.0, 3.0]))
      >>> g  # a tie: the hard operator's derivative is 0
      Array([0., 0., 0.], dtype=float32)

    References:
      Martins & Astudillo, "From Softmax to Sparsemax: A Sparse Model of
      Attention and Multi-Label Classification", ICML 2016
      (https://arxiv.org/abs/1602.02068); Peters, Niculae & Martins, "Sparse
      Sequence-to-Sequence Models", ACL 2019 (https://arxiv.org/abs/1905.05702).
    """
    return _argmax("argmax", x, axis, temperature, mode, straight_through, 1.0)


def argmin(
    x: ArrayLike,
    /,
    *,
    axis: int = -1,
    temperature: ArrayLike = 1.0,
    mode: str = "softmax",
    straight_through: bool = False,
) -> Array:
    r"""Soft argmin: ``argmax(-x)``, a distribution over positions of small entries.

    Hard operator: the one-hot encoding of ``jnp.argmin(x, axis)`` with ties
    split equally. Relaxation: ``softmax(-x / t)`` (default), or sparsemax or
    entmax15 of ``-x / t``; see :func:`argmax` for the details.

    Args:
      x: floating-point array with at least one dimension.
      axis: the axis holding the positions (static).
      temperature: non-negative, traced; size 1 along ``axis``.
      mode: ``"softmax"``, ``"sparsemax"`` or ``"entmax15"``.
      straight_through: hard one-hot value, relaxed derivative.

    Returns:
      A distribution along ``axis`` with ``x``'s shape and dtype.

    Points of non-differentiability:
      The hard operator jumps where the extreme value is tied; it is piecewise
      constant, so ``jax.grad`` through it is 0 everywhere. At a tie the value
      splits equally among the tied positions (the minimum-norm rule; so does
      every relaxation as ``t -> 0``), where ``jnp.argmin`` would name only the first.
      A slice containing NaN is NaN at every position (``jnp.argmin`` treats NaN
      as the extreme). Infinite inputs: a slice holding ``-inf`` is one-hot
      at it (split among several), a slice of only ``+inf`` is uniform; both
      take the hard branch at every temperature. For ``t > 0``, ``softmax`` is
      C-infinity, ``entmax15`` C1 and ``sparsemax`` C0 (piecewise linear, with
      kinks where an entry enters the support); their Jacobians are the closed
      forms ``diag(p) - p p^T`` (over ``t``), ``diag(s) - s s^T / |S|`` and
      ``diag(g) - g g^T / sum(g)`` with ``g = sqrt(p)`` (over ``2 t``). The
      derivative with respect to ``t`` is 0 at ``t = 0``.

    Raises:
      TypeError, ValueError: as :func:`argmax`.

    Examples:
      >>> import jax.numpy as jnp, softops as so
      >>> so.argmin(jnp.array([2.0, -1.0, 5.0]), temperature=0.0)
      Array([0., 1., 0.], dtype=float32)
    """
    return _argmax("argmin", x, axis, temperature, mode, straight_through, -1.0)


def max(  # noqa: A001 - mirrors jnp.max
    x: ArrayLike,
    /,
    *,
    axis: int = -1,
    keepdims: bool = False,
    temperature: ArrayLike = 1.0,
    mode: str = "softmax",
    straight_through: bool = False,
) -> Array:
    r"""Soft maximum along ``axis``.

    Hard operator: ``jnp.max(x, axis, keepdims=keepdims)``. Relaxations at
    temperature :math:`t`:

    * ``softmax`` (default), ``sparsemax``, ``entmax15``: the expectation
      :math:`\sum_i p_i x_i` under ``argmax(x, temperature=t, mode=mode)``;
      a lower bound of the max, increasing monotonically to it as
      :math:`t \to 0`;
    * ``logsumexp``: :math:`t \log \sum_i e^{x_i/t}`, an upper bound exceeding
      the max by at most :math:`t \log n`, decreasing monotonically to it.

    Everything is computed relative to the held maximum, so ``1e30`` or the
    largest float are handled exactly where the relaxation is one-hot.

    Args:
      x: floating-point array with at least one dimension.
      axis: the reduced axis (static).
      keepdims: keep ``axis`` with size 1.
      temperature: non-negative, traced; broadcasts against ``x`` with size 1
        along ``axis``.
      mode: ``"softmax"``, ``"sparsemax"``, ``"entmax15"`` or ``"logsumexp"``.
      straight_through: the hard max as value, the relaxation's derivative.

    Returns:
      ``x`` reduced over ``axis``, in ``x``'s dtype.

    Points of non-differentiability:
      Ties of the maximum. At ``temperature=0`` ``jax.grad`` gives each of the
      ``k`` tied maxima ``1/k`` and every other entry 0 (the minimum-norm
      element of the subdifferential, pinned by a custom JVP; ``jnp.max``'s
      own rule happens to agree). For ``t > 0`` the gradient is ``p`` in
      ``logsumexp`` mode and ``p + J^T x`` for the expectations (C-infinity for
      softmax and logsumexp, C1 for entmax15, C0 for sparsemax). A slice
      containing NaN gives NaN (value and gradient); a slice holding ``+inf``
      gives ``+inf`` and a slice of only ``-inf`` gives ``-inf``, with the
      gradient of the tie rule (finite) at every temperature. The derivative
      with respect to ``t`` at ``t = 0`` is its limit from above: 0 for the
      expectations, ``log k`` for ``k`` tied maxima in ``logsumexp`` mode.

    Raises:
      TypeError: non-floating ``x``; non-integer axis; non-bool keepdims.
      ValueError: scalar ``x``, bad axis, unknown mode, concrete negative
        temperature, temperature not of size 1 along ``axis``.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> x = jnp.array([1.0, 3.0, 3.0])
      >>> float(so.max(x, temperature=0.0))
      3.0
      >>> jax.grad(so.max)(x, temperature=0.0)  # tie: equal shares
      Array([0. , 0.5, 0.5], dtype=float32)
      >>> round(float(so.max(jnp.array([0.0, 0.0]), mode="logsumexp")), 6)  # log 2
      0.693147
    """
    return _max("max", x, axis, keepdims, temperature, mode, straight_through, 1.0)


def min(  # noqa: A001 - mirrors jnp.min
    x: ArrayLike,
    /,
    *,
    axis: int = -1,
    keepdims: bool = False,
    temperature: ArrayLike = 1.0,
    mode: str = "softmax",
    straight_through: bool = False,
) -> Array:
    r"""Soft minimum along ``axis``: ``-max(-x)``.

    Hard operator: ``jnp.min(x, axis, keepdims=keepdims)``. Relaxations: the
    expectation of ``x`` under ``argmin(x, temperature=t, mode=mode)``
    (``softmax``, ``sparsemax``, ``entmax15``; an upper bound) or
    :math:`-t \log \sum_i e^{-x_i/t}` (``logsumexp``; a lower bound). See
    :func:`max`.

    Args:
      x: floating-point array with at least one dimension.
      axis: the reduced axis (static).
      keepdims: keep ``axis`` with size 1.
      temperature: non-negative, traced; size 1 along ``axis``.
      mode: ``"softmax"``, ``"sparsemax"``, ``"entmax15"`` or ``"logsumexp"``.
      straight_through: hard value, relaxed derivative.

    Returns:
      ``x`` reduced over ``axis``, in ``x``'s dtype.

    Points of non-differentiability:
      Ties of the minimum: ``1/k`` to each of ``k`` tied minima at
      ``temperature=0``. NaN, ``-inf`` and only-``+inf`` slices mirror
      :func:`max`.

    Raises:
      TypeError, ValueError: as :func:`max`.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> jax.grad(so.min)(jnp.array([1.0, 1.0, 4.0]), temperature=0.0).tolist()
      [0.5, 0.5, 0.0]
    """
    return _max("min", x, axis, keepdims, temperature, mode, straight_through, -1.0)


def logsumexp(
    x: ArrayLike,
    /,
    *,
    axis: int = -1,
    keepdims: bool = False,
    temperature: ArrayLike = 1.0,
    mode: str = "logsumexp",
) -> Array:
    r"""Tempered log-sum-exp :math:`t \log \sum_i e^{x_i/t}` along ``axis``.

    The smooth maximum; at ``t = 1`` it is ``jax.scipy.special.logsumexp`` and
    at ``t = 0`` exactly ``jnp.max``. It equals ``max(x, mode="logsumexp")``,
    decreasing monotonically to the max as :math:`t \to 0` and never more than
    :math:`t \log n` above it. Unlike ``jax.scipy.special.logsumexp`` its
    gradient on a slice of only ``-inf`` is finite (uniform, ``1/n``) rather
    than NaN; the value there is ``-inf``.

    Args:
      x: floating-point array with at least one dimension.
      axis: the reduced axis (static).
      keepdims: keep ``axis`` with size 1.
      temperature: non-negative, traced; size 1 along ``axis``.
      mode: only ``"logsumexp"`` (accepted so that every reduction shares one
        signature).

    Returns:
      ``x`` reduced over ``axis``, in ``x``'s dtype.

    Points of non-differentiability:
      None for ``t > 0`` (the gradient is ``softmax(x / t)``, C-infinity). At
      ``t = 0`` (``jnp.max``) tied maxima share the gradient equally. A slice
      containing NaN gives NaN; ``+inf`` gives ``+inf``. d/dt is the entropy of
      ``softmax(x / t)`` for ``t > 0`` and its limit from above at ``t = 0``:
      ``log k`` for ``k`` tied maxima (0 for a single one).

    Raises:
      TypeError, ValueError: as :func:`max`.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> x = jnp.array([-jnp.inf, -jnp.inf, -jnp.inf])
      >>> float(so.logsumexp(x)), jax.grad(so.logsumexp)(x).tolist()
      (-inf, [0.3333333432674408, 0.3333333432674408, 0.3333333432674408])
      >>> float(so.logsumexp(jnp.array([0.0, 2.0]), temperature=0.0))
      2.0
    """
    return _max("logsumexp", x, axis, keepdims, temperature, mode, False, 1.0, ("logsumexp",))


# ------------------------------------------------------------------ registry
def _sample(key, dtype):
    x = jax.random.normal(key, (2, 7), "float32") * 2
    return (np.asarray(x).astype(dtype),), {}


def _one_hot_argmax(x, axis=-1):
    return jax.nn.one_hot(jnp.argmax(x, axis), x.shape[axis], dtype=x.dtype, axis=axis)


def _one_hot_argmin(x, axis=-1):
    return jax.nn.one_hot(jnp.argmin(x, axis), x.shape[axis], dtype=x.dtype, axis=axis)


def _hard_reduce_max(x, axis=-1, keepdims=False):
    return jnp.max(x, axis=axis, keepdims=keepdims)


def _hard_reduce_min(x, axis=-1, keepdims=False):
    return jnp.min(x, axis=axis, keepdims=keepdims)


_ARGMAX_SMOOTHNESS = {"softmax": math.inf, "sparsemax": 0, "entmax15": 1}
_JUMP = (Kink("tied maxima along axis", "jump", 0.0, 0.0, None),)
_JUMP_MIN = (Kink("tied minima along axis", "jump", 0.0, 0.0, None),)

register(
    OperatorInfo(
        name="argmax",
        fn=argmax,
        hard=_one_hot_argmax,
        family="reductions",
        kind="other",
        modes=_ARGMAX_SMOOTHNESS,
        default_mode="softmax",
        kinks=_JUMP,
        sample=_sample,
        subgradient=False,
        nan_policy="any",
        notes="Ties split equally at t = 0; a slice containing NaN is NaN throughout.",
    )
)
register(
    OperatorInfo(
        name="argmin",
        fn=argmin,
        hard=_one_hot_argmin,
        family="reductions",
        kind="other",
        modes=_ARGMAX_SMOOTHNESS,
        default_mode="softmax",
        kinks=_JUMP_MIN,
        sample=_sample,
        subgradient=False,
        nan_policy="any",
        notes="Ties split equally at t = 0; a slice containing NaN is NaN throughout.",
    )
)
_MAX_SMOOTHNESS = {**_ARGMAX_SMOOTHNESS, "logsumexp": math.inf}
register(
    OperatorInfo(
        name="max",
        fn=max,
        hard=_hard_reduce_max,
        family="reductions",
        kind="other",
        modes=_MAX_SMOOTHNESS,
        default_mode="softmax",
        kinks=(Kink("tied maxima along axis", "tie", 0.0, 1.0, ((1.0, 1.0),)),),
        sample=_sample,
        subgradient=False,
        nan_policy="any",
        notes="The kink point is a length-2 slice [1, 1]; each entry's gradient there is 0.5.",
    )
)
register(
    OperatorInfo(
        name="min",
        fn=min,
        hard=_hard_reduce_min,
        family="reductions",
        kind="other",
        modes=_MAX_SMOOTHNESS,
        default_mode="softmax",
        kinks=(Kink("tied minima along axis", "tie", 1.0, 0.0, ((1.0, 1.0),)),),
        sample=_sample,
        subgradient=False,
        nan_policy="any",
        notes="The kink point is a length-2 slice [1, 1]; each entry's gradient there is 0.5.",
    )
)
register(
    OperatorInfo(
        name="logsumexp",
        fn=logsumexp,
        hard=_hard_reduce_max,
        family="reductions",
        kind="other",
        modes={"logsumexp": math.inf},
        default_mode="logsumexp",
        kinks=(Kink("tied maxima along axis (t = 0)", "tie", 0.0, 1.0, ((1.0, 1.0),)),),
        sample=_sample,
        straight_through=False,
        subgradient=False,
        nan_policy="any",
        notes="Finite gradient (uniform) on all -inf slices, where jax.scipy.special.logsumexp gives NaN.",
    )
)
