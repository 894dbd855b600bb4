"""Pooling over sliding windows: max_pool, min_pool, avg_pool.

Windows run over the last ``len(window_shape)`` axes of ``x``; the leading axes
are batch axes. A window is gathered as ``prod(window_shape)`` strided slices of
the padded input (one per offset inside the window), so the soft pool is a
handful of fused elementwise passes with no patch tensor materialised.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from softops import _checks
from softops._mechanism import (
    band,
    finite,
    hold,
    min_temperature,
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

POOL_MODES: tuple[str, ...] = ("softmax", "logsumexp")
_Pads = tuple[tuple[int, int], ...]


# ------------------------------------------------------------------ validation
def _ints(v: Any, op: str, name: str, n: int | None) -> tuple[int, ...]:
    if isinstance(v, int | np.integer) and not isinstance(v, bool):
        v = (v,) * (n if n is not None else 1)
    if not isinstance(v, Sequence) or isinstance(v, str):
        raise TypeError(f"{op} expects {name} to be a tuple of positive ints, got {v!r}")
    vals = tuple(v)
    if not vals or any(not isinstance(a, int | np.integer) or isinstance(a, bool) or a < 1 for a in vals):
        raise ValueError(f"{op} expects {name} to be a non-empty tuple of positive ints, got {v!r}")
    if n is not None and len(vals) != n:
        raise ValueError(f"{op}: {name} {v!r} must have one entry per window dimension ({n})")
    return tuple(int(a) for a in vals)


def _geometry(op: str, shape: tuple[int, ...], window_shape: Any, strides: Any, padding: Any):
    """Check the window, strides and padding; return them with the pads and output dims."""
    window = _ints(window_shape, op, "window_shape", None)
    n = len(window)
    if n > len(shape):
        raise ValueError(f"{op}: window_shape {window} has more dimensions than x (shape {shape})")
    stride = (1,) * n if strides is None else _ints(strides, op, "strides", n)
    spatial = shape[len(shape) - n :]
    if isinstance(padding, str):
        if padding.upper() not in ("VALID", "SAME"):
            raise ValueError(f"{op}: padding must be 'VALID', 'SAME' or (low, high) pairs, got {padding!r}")
        pads = tuple(tuple(p) for p in lax.padtype_to_pads(spatial, window, stride, padding.upper()))
    else:
        try:
            pads = tuple((int(lo), int(hi)) for lo, hi in padding)
            ok = len(pads) == n and all(
                lo >= 0 and hi >= 0 and lo == a and hi == b
                for (lo, hi), (a, b) in zip(pads, padding, strict=True)
            )
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(
                f"{op}: padding must be 'VALID', 'SAME' or {n} pairs of non-negative ints, got {padding!r}"
            )
    out = tuple(
        (d + lo + hi - w) // s + 1 for d, (lo, hi), w, s in zip(spatial, pads, window, stride, strict=True)
    )
    if any(o < 1 for o in out):
        raise ValueError(f"{op}: window {window} does not fit in the padded input of spatial shape {spatial}")
    return window, stride, pads, out


def _windows(x: Array, window, stride, pads: _Pads, out, fill: float) -> list[Array]:
    """One strided slice of the padded ``x`` per offset inside the window."""
    lead = x.ndim - len(window)
    fill_value = jnp.asarray(fill, x.dtype)
    xp = lax.pad(x, fill_value, [(0, 0, 0)] * lead + [(lo, hi, 0) for lo, hi in pads])
    slices = []
    for offset in itertools.product(*(range(w) for w in window)):
        start = (0,) * lead + offset
        limit = xp.shape[:lead] + tuple(
            o + (m - 1) * s + 1 for o, m, s in zip(offset, out, stride, strict=True)
        )
        slices.append(lax.slice(xp, start, limit, (1,) * lead + stride))
    return slices


def _fold_max(parts: list[Array]) -> Array:
    return functools.reduce(jnp.maximum, parts)


# ------------------------------------------------------------------ max pool kernels
@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3, 4))
def _hard_max_pool(x, window, stride, pads, out):
    return _fold_max(_windows(x, window, stride, pads, out, -math.inf))


@_hard_max_pool.defjvp
def _hard_max_pool_jvp(window, stride, pads, out, primals, tangents):
    (x,), (dx,) = primals, tangents
    parts = _windows(x, window, stride, pads, out, -math.inf)
    m = _fold_max(parts)
    hits = [p == m for p in parts]
    # Equal shares among the tied maxima of each window (minimum norm); NaN windows give NaN.
    count = functools.reduce(jnp.add, [h.astype(x.dtype) for h in hits])
    dparts = _windows(dx, window, stride, pads, out, 0.0)
    zero = jnp.zeros((), x.dtype)
    total = functools.reduce(jnp.add, [jnp.where(h, d, zero) for h, d in zip(hits, dparts, strict=True)])
    return m, total / count


def _window_terms(x, t, window, stride, pads, out, hard_weights):
    """Per window: the maximum ``m``, ``live`` (finite maximum, usable t), the
    held shift ``m0`` and ``t1``; per offset the scaled scores ``u = (x - m0) / t1``
    in [-L, 0], the shifts ``dc = x - m0`` clamped at ``-L t`` and the weights
    ``e = exp(u)``, exactly 0 for entries off the band (padding included).

    The value (``hard_weights=False``) clamps ``u`` at -L and needs no mask:
    a live window's shifts are finite or ``-inf``, never NaN. The JVP masks
    instead (a double where), so that its own derivatives never see
    ``-inf * 0``; there, windows that are not live weigh their maxima 1 and
    the rest 0, the hard pool's tie-splitting weights, with ``u = -L`` and
    ``dc = 0``.
    """
    parts = _windows(x, window, stride, pads, out, -math.inf)
    m = lax.stop_gradient(_fold_max(parts))
    zero, one = jnp.zeros((), x.dtype), jnp.ones((), x.dtype)
    # (r: 1 / t as two normal numbers, so (x - m) * r is never -inf * 0)
    live, m0, t1, r = hold(m, t)
    floor, low = -band(t1), jnp.asarray(-saturation(x.dtype), x.dtype)
    us, dcs, es = [], [], []
    for p in parts:
        d = p - m0
        if hard_weights:
            inside = live & (d >= floor)
            dc = jnp.where(inside, d, zero)
            u = jnp.where(inside, scale(dc, t1, r), low)
            e = jnp.where(live, jnp.exp(u), jnp.where(p == m, one, zero))
        else:
            u = jnp.maximum((d * r.s) * r.r, low)
            dc = jnp.maximum(d, floor)
            e = jnp.exp(u)
        us.append(u)
        dcs.append(dc)
        es.append(e)
    return m, live, m0, t1, us, dcs, es


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3, 4, 5, 6))
def _soft_window(x, t, window, stride, pads, out, mode):
    """The relaxed pool of every window; the hard pool where a window is not live."""

    def relaxed(x, t):
        return _soft_window_value(*_window_terms(x, t, window, stride, pads, out, False), mode)[0]

    if t.ndim == 0:
        # One temperature: a run-time branch, so that at t = 0 (an annealed,
        # traced 0) only the hard pool runs; both give the hard pool there.
        # When no entry of an image lies more than _SPREAD * t below the image's
        # maximum, one exp per entry, shifted by that maximum, serves every
        # window (rather than one per window and offset, shifted by the window's).
        # (Not in the JVP: reverse mode through a cond keeps its residuals apart
        # from the fused passes, which costs more than it saves.)
        hard = lambda x, t: _fold_max(_windows(x, window, stride, pads, out, -math.inf))
        usable = t > min_temperature(t.dtype)
        if math.prod(window) <= 2 * math.prod(stride):
            # (windows that barely overlap: an exp per window and offset costs
            # about one per entry already)
            return lax.cond(usable, relaxed, hard, x, t)
        shared = lambda x, t: _shared_shift_window(x, t, window, stride, pads, out, mode)
        axes = tuple(range(x.ndim - len(window), x.ndim))
        top, bottom = jnp.max(x, axis=axes), jnp.min(x, axis=axes)
        spread = _SPREAD[jnp.dtype(x.dtype)]
        # (spread * t overflows for t > ~5e36 in float32: that image is not narrow;
        # the expectation sums e (x - m) over a window, which must not overflow either)
        bound = jnp.finfo(x.dtype).max / math.prod(window)
        narrow = jnp.all(
            jnp.isfinite(top) & jnp.isfinite(bottom) & (top - bottom <= jnp.minimum(spread * t, bound))
        ) & jnp.isfinite(spread * t)
        branch = jnp.where(usable, jnp.where(narrow, 2, 1), 0)
        return lax.switch(branch, (hard, relaxed, shared), x, t)
    return relaxed(x, t)


# How far below its image's maximum (in units of t) an entry may lie for the
# shared shift: exp(-spread) stays a normal number (and a window's sum of them
# keeps full relative precision).
_SPREAD = {jnp.dtype(jnp.float32): 64.0, jnp.dtype(jnp.float64): 512.0}


def _shared_shift_window(x, t, window, stride, pads, out, mode):
    """The relaxed pool with one shift per image (its maximum ``M``), from the
    window sums of ``e = exp((x - M) / t)`` (and of ``e (x - M)``). Only for
    images whose entries are all finite and within ``_SPREAD * t`` of ``M``; a
    window of padding alone gives ``-inf``, as the hard pool. The expectation is
    taken about each window's own maximum ``m``, ``m + sum(e (x - m)) / sum(e)``:
    its rounding error is that of the window's entries, not of the image's
    maximum (a window of 1e-5 in an image whose maximum is 60 kept no digit
    right about ``M``), and it never passes ``m`` (``sum(e x) / sum(e)`` could,
    by an ulp). logsumexp's ``M + t log(sum(e))`` keeps an absolute error of a
    few roundings of ``M`` (its windows lie within ``_SPREAD * t`` of ``M``).

    (The sums: logsumexp's one by ``reduce_window``, the expectation's two by
    the window's strided slices, which XLA:CPU runs fastest that way, with ``e``
    written out once; a single sum of slices would be fused with the exp and
    recompute it per offset.)"""
    lead = x.ndim - len(window)
    top = jnp.max(x, axis=tuple(range(lead, x.ndim)), keepdims=True)
    r = reciprocal(t)
    d = x - top
    e = jnp.exp((d * r.s) * r.r)
    zero = np.zeros((), x.dtype)
    if mode == "softmax":
        es = _windows(e, window, stride, pads, out, 0.0)
        xs = _windows(x, window, stride, pads, out, -math.inf)
        m = _fold_max(xs)
        m0 = jnp.where(m > -jnp.inf, m, zero)  # (windows of padding alone: -inf, discarded)
        # every entry lies within spread * t of m (a finite number here), so the
        # floor only maps padding's -inf, whose weight is 0, onto a finite shift
        floor = -_SPREAD[jnp.dtype(x.dtype)] * t
        den = functools.reduce(jnp.add, es)
        terms = [ei * jnp.maximum(xi - m0, floor) for ei, xi in zip(es, xs, strict=True)]
        num = functools.reduce(jnp.add, terms)
        val = m0 + num / jnp.where(den > 0, den, jnp.ones((), x.dtype))
    else:
        dims, steps = (1,) * lead + tuple(window), (1,) * lead + tuple(stride)
        den = lax.reduce_window(e, zero, lax.add, dims, steps, ((0, 0),) * lead + tuple(pads))
        val = top + t * jnp.log(den)
    return jnp.where(den > 0, val, jnp.full((), -jnp.inf, x.dtype))


def _soft_window_value(m, live, m0, t1, us, dcs, es, mode):
    """The pooled value and the weights' sum ``den``."""
    den = functools.reduce(jnp.add, es)
    # 0 only for a window holding NaN (its value is m = NaN): keep 0 / 0 out of
    # the coefficients, which reverse mode would multiply into its neighbours.
    den = jnp.where(den > 0, den, jnp.ones((), den.dtype))
    if mode == "softmax":
        # the mean shift in x's units (not t * mean(u), which underflows at huge t),
        # summed scaled (the shifts reach the largest float at huge t)
        down, up = sum_scale(len(es), m.dtype)
        mean = functools.reduce(jnp.add, [e * (dc * down) for e, dc in zip(es, dcs, strict=True)]) / den
        return jnp.where(live, m0 + mean * up, m), den
    return jnp.where(live, m0 + t1 * jnp.log(den), m), den


@_soft_window.defjvp
def _soft_window_jvp(window, stride, pads, out, mode, primals, tangents):
    # Written out (rather than differentiated through the offsets): with weights
    # w = e / den and mean score ubar, dval = sum w (dx + (dx - u dt)(u - ubar))
    # for the expectation, sum w dx + dt (log den - sum w u) for logsumexp.
    x, t = primals
    dx, dt = tangents
    m, live, m0, t1, us, dcs, es = _window_terms(x, t, window, stride, pads, out, True)
    val, den = _soft_window_value(m, live, m0, t1, us, dcs, es, mode)
    dxs = _windows(dx, window, stride, pads, out, 0.0)
    dt1 = jnp.where(live, dt, jnp.zeros((), x.dtype))
    if mode == "softmax":
        ubar = functools.reduce(jnp.add, [e * u for e, u in zip(es, us, strict=True)]) / den
        terms = [e * (d + (d - u * dt1) * (u - ubar)) for e, d, u in zip(es, dxs, us, strict=True)]
        dval = functools.reduce(jnp.add, terms) / den
    else:
        dval = (
            functools.reduce(jnp.add, [e * (d - u * dt1) for e, d, u in zip(es, dxs, us, strict=True)]) / den
        )
        # (dt as such on the windows with a finite maximum that are not live: their
        # weights are 1 on the k tied maxima, so den = k and d/dt is log k, the
        # limit from above, as for softops.max)
        dval = dval + jnp.where(jnp.isfinite(m), dt, jnp.zeros((), x.dtype)) * jnp.log(den)
    # (windows that are not live: dt1 = 0 and u = ubar = -L, so sum(w dx), the hard
    # pool's tie-splitting derivative; a window holding NaN gives NaN, as a constant)
    return val, jnp.where(jnp.isnan(m), jnp.full((), jnp.nan, x.dtype), dval)


def _pool(op, x, window_shape, strides, padding, temperature, mode, use_st, sgn):
    (x,), t, dtype = prepare(op, ("x",), (x,), temperature)
    mode = _checks.mode(mode, POOL_MODES, op)
    use_st = _checks.boolean(use_st, op, "straight_through")
    window, stride, pads, out = _geometry(op, x.shape, window_shape, strides, padding)
    out_shape = x.shape[: x.ndim - len(window)] + out
    try:
        shape = jnp.broadcast_shapes(out_shape, t.shape)
    except ValueError as err:
        raise ValueError(
            f"{op}: temperature of shape {t.shape} does not broadcast against the output shape {out_shape}"
        ) from err
    x = sgn * x

    def hard(x, t):
        return jnp.broadcast_to(_hard_max_pool(x, window, stride, pads, out), shape)

    def soft(x, t):
        if mode == "logsumexp":  # M + t log(...): t = inf gives inf * 0 (see finite)
            t = finite(t)
        return _soft_window(x, t, window, stride, pads, out, mode)

    res = straight_through(hard, soft, x, t) if use_st else soft(x, t)
    return (sgn * res).astype(dtype)


# ------------------------------------------------------------------ public API
def max_pool(
    x: ArrayLike,
    /,
    window_shape: Sequence[int] | int,
    *,
    strides: Sequence[int] | int | None = None,
    padding: str | Sequence[tuple[int, int]] = "VALID",
    temperature: ArrayLike = 1.0,
    mode: str = "softmax",
    straight_through: bool = False,
) -> Array:
    r"""Max pooling over sliding windows and its softmax-weighted relaxation.

    Hard operator: ``lax.reduce_window(x, -inf, lax.max, (1,) * b + window_shape,
    (1,) * b + strides, padding)`` with ``b`` leading batch axes; padding
    cells are ``-inf`` and never win. Relaxation, per window :math:`W`:

    * ``softmax`` (default): :math:`\sum_{i\in W} x_i e^{x_i/t} / \sum_{i\in W} e^{x_i/t}`,
      the expectation under the window's softmax (a lower bound of the max);
    * ``logsumexp``: :math:`t \log \sum_{i \in W} e^{x_i/t}` (an upper bound).

    Both are computed relative to the (held) window maximum, so they never
    overflow, and converge monotonically to the max pool as :math:`t \to 0`;
    at ``t = 0`` the value is exactly the max pool.

    Args:
      x: floating-point array; its last ``len(window_shape)`` axes are pooled.
      window_shape: window size per pooled axis (an int means every axis of a
        1-d window).
      strides: step per pooled axis; default 1 (as ``flax.linen.max_pool``).
      padding: ``"VALID"``, ``"SAME"`` or one ``(low, high)`` pair of
        non-negative ints per pooled axis.
      temperature: non-negative, traced; broadcasts against the output.
      mode: ``"softmax"`` or ``"logsumexp"``.
      straight_through: the hard max pool as value, the relaxation's derivative.

    Returns:
      The pooled array in ``x``'s dtype.

    Points of non-differentiability:
      Ties inside a window. At ``temperature=0`` each window sends its
      gradient to its maximum, split equally among tied maxima (the minimum-norm
      rule, pinned by a custom JVP; ``jax.grad`` of ``lax.reduce_window`` picks
      one of them instead); overlapping windows add up. For ``t > 0`` the
      relaxation is C-infinity. A window containing NaN gives NaN; a window
      holding ``+inf`` gives ``+inf`` (gradient to the ``+inf`` entries) at every
      temperature. The derivative with respect to ``t`` at ``t = 0`` is its
      limit from above: 0 for the expectation, ``log k`` for a window with
      ``k`` tied maxima in ``logsumexp`` mode.

    Raises:
      TypeError: non-floating ``x``. ValueError: window_shape or strides not
        positive ints.
      ValueError: non-positive or mismatched window/strides, bad padding, a
        window larger than the padded input, unknown mode, concrete negative
        temperature.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> x = jnp.array([[1.0, 5.0, 5.0, 2.0]])
      >>> so.max_pool(x, (2,), strides=(2,), temperature=0.0)
      Array([[5., 5.]], dtype=float32)
      >>> jax.grad(lambda x: so.max_pool(x, (4,), temperature=0.0).sum())(x)  # tie
      Array([[0. , 0.5, 0.5, 0. ]], dtype=float32)

    References:
      Boureau, Ponce & LeCun, "A Theoretical Analysis of Feature Pooling in
      Visual Recognition", ICML 2010 (smooth pooling between average and max).
    """
    return _pool("max_pool", x, window_shape, strides, padding, temperature, mode, straight_through, 1.0)


def min_pool(
    x: ArrayLike,
    /,
    window_shape: Sequence[int] | int,
    *,
    strides: Sequence[int] | int | None = None,
    padding: str | Sequence[tuple[int, int]] = "VALID",
    temperature: ArrayLike = 1.0,
    mode: str = "softmax",
    straight_through: bool = False,
) -> Array:
    r"""Min pooling, ``-max_pool(-x)``, and its relaxations.

    Hard operator: ``lax.reduce_window(x, inf, lax.min, ...)``. Relaxations:
    the expectation under the window's ``softmax(-x / t)`` (``softmax``, an
    upper bound) or :math:`-t \log \sum e^{-x_i/t}` (``logsumexp``, a lower
    bound). Arguments as :func:`max_pool`.

    Args:
      x: floating-point array; its last ``len(window_shape)`` axes are pooled.
      window_shape: window size per pooled axis.
      strides: step per pooled axis (default 1).
      padding: ``"VALID"``, ``"SAME"`` or ``(low, high)`` pairs.
      temperature: non-negative, traced; broadcasts against the output.
      mode: ``"softmax"`` or ``"logsumexp"``.
      straight_through: hard value, relaxed derivative.

    Returns:
      The pooled array in ``x``'s dtype.

    Points of non-differentiability:
      Ties of a window's minimum: equal shares at ``temperature=0``. NaN,
      ``-inf`` mirror :func:`max_pool`.

    Raises:
      TypeError, ValueError: as :func:`max_pool`.

    Examples:
      >>> import jax.numpy as jnp, softops as so
      >>> so.min_pool(jnp.array([3.0, 1.0, 2.0]), (2,), temperature=0.0)
      Array([1., 1.], dtype=float32)
    """
    return _pool("min_pool", x, window_shape, strides, padding, temperature, mode, straight_through, -1.0)


def avg_pool(
    x: ArrayLike,
    /,
    window_shape: Sequence[int] | int,
    *,
    strides: Sequence[int] | int | None = None,
    padding: str | Sequence[tuple[int, int]] = "VALID",
    count_include_pad: bool = True,
    temperature: ArrayLike = 1.0,
    mode: str = "mean",
) -> Array:
    r"""Average pooling over sliding windows.

    The window mean ``lax.reduce_window(x, 0, lax.add, ...) / n``. Averaging is
    linear, so there is nothing to relax: ``temperature`` and ``mode`` are
    accepted (and validated) only so that ``avg_pool`` can stand in for
    :func:`max_pool`; the value never depends on them. As in
    ``flax.linen.avg_pool``, padding cells count as zeros and ``n`` is the
    window size (``count_include_pad=True``); with ``count_include_pad=False``
    ``n`` is the number of real cells in each window. In float32 and float64
    exactly the ``lax.reduce_window`` expression; float16 and bfloat16 are
    summed in float32 (their window sums overflow long before the mean) and
    rounded once, which can differ in the last bit from a half-precision sum.

    Args:
      x: floating-point array; its last ``len(window_shape)`` axes are pooled.
      window_shape: window size per pooled axis.
      strides: step per pooled axis (default 1).
      padding: ``"VALID"``, ``"SAME"`` or ``(low, high)`` pairs.
      count_include_pad: divide by the full window size (default) or by the
        number of non-padding cells.
      temperature: non-negative, traced; no effect on the value.
      mode: only ``"mean"``.

    Returns:
      The pooled array in ``x``'s dtype, broadcast against ``temperature``.

    Points of non-differentiability:
      None: each input receives ``1/n`` from every window containing it
      (``1/prod(window_shape)`` by default). NaN and infinities propagate to
      the windows holding them. The derivative with respect to ``t`` is 0.

    Raises:
      TypeError, ValueError: as :func:`max_pool`; ``mode`` other than ``"mean"``.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> so.avg_pool(jnp.array([1.0, 3.0, 2.0]), (2,))
      Array([2. , 2.5], dtype=float32)
      >>> jax.grad(lambda x: so.avg_pool(x, (2,), strides=(2,)).sum())(jnp.array([1.0, 3.0]))
      Array([0.5, 0.5], dtype=float32)
    """
    op = "avg_pool"
    x = _checks.as_float_array(x, op)
    t = _checks.temperature(temperature, op, _checks.working_dtype(x.dtype))
    _checks.mode(mode, ("mean",), op)
    count_include_pad = _checks.boolean(count_include_pad, op, "count_include_pad")
    window, stride, pads, out = _geometry(op, x.shape, window_shape, strides, padding)
    lead = x.ndim - len(window)
    dims, steps = (1,) * lead + window, (1,) * lead + stride
    full_pads = ((0, 0),) * lead + pads
    dtype = x.dtype
    x = x.astype(_checks.working_dtype(dtype))  # float16 window sums overflow long before their mean
    # A concrete NumPy init value lets JAX recognise the sum (and differentiate it).
    total = lax.reduce_window(x, np.zeros((), x.dtype), lax.add, dims, steps, full_pads)
    if count_include_pad:
        res = total / jnp.asarray(math.prod(window), x.dtype)
    else:
        res = total / jnp.asarray(_real_counts(x.shape[lead:], window, stride, pads, out), x.dtype)
    try:
        shape = jnp.broadcast_shapes(res.shape, t.shape)
    except ValueError as err:
        raise ValueError(
            f"{op}: temperature of shape {t.shape} does not broadcast against the output shape {res.shape}"
        ) from err
    return jnp.broadcast_to(res, shape).astype(dtype)


def _real_counts(spatial, window, stride, pads, out) -> np.ndarray:
    """Number of non-padding cells in each window (a product over the pooled axes)."""
    counts = np.ones((), np.float64)
    for d, w, s, (lo, _), o in zip(spatial, window, stride, pads, out, strict=True):
        start = np.arange(o) * s - lo
        per_axis = np.minimum(start + w, d) - np.maximum(start, 0)
        counts = counts[..., None] * per_axis.astype(np.float64)
    return counts


# ------------------------------------------------------------------ registry
_SAMPLE_KW = {"window_shape": (2, 3), "strides": (1, 2), "padding": "SAME"}


def _sample(key, dtype):
    x = jax.random.normal(key, (2, 5, 6), "float32") * 2
    return (np.asarray(x).astype(dtype),), dict(_SAMPLE_KW)


def _lax_pool(x, window_shape, strides=None, padding="VALID", *, init, reducer):
    window = tuple(window_shape)
    lead = x.ndim - len(window)
    stride = (1,) * len(window) if strides is None else tuple(strides)
    if not isinstance(padding, str):
        padding = ((0, 0),) * lead + tuple(tuple(p) for p in padding)
    return lax.reduce_window(
        x, np.asarray(init, x.dtype), reducer, (1,) * lead + window, (1,) * lead + stride, padding
    )


def _lax_max_pool(x, window_shape, strides=None, padding="VALID"):
    return _lax_pool(x, window_shape, strides, padding, init=-math.inf, reducer=lax.max)


def _lax_min_pool(x, window_shape, strides=None, padding="VALID"):
    return _lax_pool(x, window_shape, strides, padding, init=math.inf, reducer=lax.min)


def _lax_avg_pool(x, window_shape, strides=None, padding="VALID"):
    total = _lax_pool(x, window_shape, strides, padding, init=0.0, reducer=lax.add)
    return total / jnp.asarray(math.prod(window_shape), x.dtype)


_TIE_NOTE = "The kink is a tie inside a window (no single point); equal shares at t = 0."
register(
    OperatorInfo(
        name="max_pool",
        fn=max_pool,
        hard=_lax_max_pool,
        family="pooling",
        kind="other",
        modes={"softmax": math.inf, "logsumexp": math.inf},
        default_mode="softmax",
        kinks=(Kink("tied maxima inside a window", "tie", 0.0, 1.0, None),),
        sample=_sample,
        subgradient=False,
        nan_policy="any",
        notes=_TIE_NOTE,
    )
)
register(
    OperatorInfo(
        name="min_pool",
        fn=min_pool,
        hard=_lax_min_pool,
        family="pooling",
        kind="other",
        modes={"softmax": math.inf, "logsumexp": math.inf},
        default_mode="softmax",
        kinks=(Kink("tied minima inside a window", "tie", 1.0, 0.0, None),),
        sample=_sample,
        subgradient=False,
        nan_policy="any",
        notes=_TIE_NOTE,
    )
)
register(
    OperatorInfo(
        name="avg_pool",
        fn=avg_pool,
        hard=_lax_avg_pool,
        family="pooling",
        kind="linear",
        modes={"mean": math.inf},
        default_mode="mean",
        kinks=(),
        sample=_sample,
        straight_through=False,
        subgradient=False,
        nan_policy="any",
        notes="Linear: temperature and mode are accepted for a uniform signature and have no effect.",
    )
)
