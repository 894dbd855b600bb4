"""Singular functions made safe: sqrt, log, divide and the Euclidean norm.

Their hard forms return jnp's values bit for bit but report a finite derivative
at the singular point (where jnp gives inf or NaN); their relaxations remove the
singularity altogether. Unlike the kinks elsewhere in softops these operators
have unbounded derivatives near the singularity, so their ``bounded`` registry
flag is False: values and derivatives overflow where the exact ones do.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from softops import _checks
from softops._mechanism import (
    finish,
    known_moderate,
    min_temperature,
    prepare,
    reciprocal,
    scale,
    soft_region,
    tangent,
)
from softops._registry import Kink, OperatorInfo, register

Array = jax.Array
ArrayLike = Any
_MODES = {"algebraic": float("inf")}


def _check_mode(mode, op):
    return _checks.mode(mode, tuple(_MODES), op)


def _pole_den(x):
    """``x`` where it is non-zero, ``inf`` elsewhere: ``c / _pole_den(x)`` is
    ``c / x`` with 0 at the pole in one select, and its derivative
    ``-c / x^2`` is ``-0`` there (the select passes no cotangent to ``x``)."""
    return jnp.where(x == 0, jnp.asarray(jnp.inf, x.dtype), x)


# ---------------------------------------------------------------------------- sqrt
@jax.custom_jvp
def _sqrt_hard(x):
    return jnp.sqrt(x)


@_sqrt_hard.defjvp
def _sqrt_hard_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return _sqrt_hard(x), 0.5 * _rsqrt_power(x, 0) * dx


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _rsqrt_power(x, k):
    """``x ** -(k + 1/2)``, and 0 at ``x == 0`` (-0. included): the derivatives
    of ``sqrt`` with the hard rule's 0 at the origin, to every order.

    The select follows the reciprocal root, so that XLA keeps ``rsqrt`` (which
    a select before it, or a division by the root, would cost ~1.3x in a
    gradient); its own derivative is this function again, one power up, so no
    autodiff of the select meets ``0 * inf`` at the origin.
    """
    r = lax.rsqrt(x)
    if k:
        r = r / x**k
    return jnp.where(x == 0, jnp.zeros((), x.dtype), r)


@_rsqrt_power.defjvp
def _rsqrt_power_jvp(k, primals, tangents):
    (x,), (dx,) = primals, tangents
    return _rsqrt_power(x, k), -(k + 0.5) * _rsqrt_power(x, k + 1) * dx


def _root_parts(x, t):
    """``(live, c, arg)`` for :func:`_shifted_root`: ``arg = c^2 (x + t^2)``.

    ``live`` is per temperature (above the smallest usable one). ``c`` is a
    power of two, 1 unless ``t`` is so large that ``x + t^2`` could overflow
    (``t^2`` beyond half an ulp of the largest float). Below the smallest usable
    temperature ``arg`` is ``x + (-0.)``, so that ``sqrt(arg)`` is jnp's
    ``sqrt(x)`` bit for bit (also at ``x = -0.``).
    """
    finfo = jnp.finfo(x.dtype)
    big = 2.0 ** ((finfo.maxexp - finfo.nmant) // 2 - 2)
    live = t > min_temperature(t.dtype)
    c = jnp.where(t > big, jnp.asarray(2.0 ** -(finfo.maxexp // 2 + 2), t.dtype), jnp.ones((), t.dtype))
    ct = c * t
    tt = jnp.where(live, ct * ct, jnp.asarray(-0.0, t.dtype))
    return live, c, (c * x) * c + tt


@jax.custom_jvp
def _shifted_root(x, t):
    """``sqrt(x + t^2) - t`` as ``x / (sqrt(x + t^2) + t)`` (no cancellation for
    ``x << t^2``): one root and one division per element. NaN for ``x < 0``,
    ``inf`` at ``x = inf``; ``sqrt(x)`` below the smallest usable temperature.

    Its derivatives are written out (``1 / (2 s)`` and ``-k / s`` with ``s =
    sqrt(x + t^2)``): autodiff of the quotient form cancels in d/dt for
    ``x >> t^2``.
    """
    live, c, arg = _root_parts(x, t)
    big_s = jnp.sqrt(arg)
    k = jnp.where(live, (c * x) / (big_s + c * t), big_s)
    return jnp.where(x < 0, jnp.asarray(jnp.nan, x.dtype), jnp.where(x == jnp.inf, x, k))


def _shifted_root_jvp(primals, tangents):
    # live: d/dx = 1 / (2 s), d/dt = -k / s with s = sqrt(arg) / c. Otherwise the
    # hard rule: 1 / (2 sqrt(x)), 0 at x == 0, and d/dt = -1 (0 at x == 0): the
    # limit of the relaxation's t-derivative.
    (x, t), (dx, dt) = primals, tangents
    live, c, arg = _root_parts(x, t)
    k = _shifted_root(x, t)
    one, zero = jnp.ones((), x.dtype), jnp.zeros((), x.dtype)
    # 1 / s; 0 where arg == 0 (x == 0 below the smallest usable temperature)
    inv = c / jnp.sqrt(_pole_den(arg))
    inv = jnp.where(x < 0, jnp.asarray(jnp.nan, x.dtype), inv)
    gt = jnp.where(live & (x < jnp.inf), -k * inv, jnp.where(x == 0, zero, -one))
    return k, tangent((dx, lambda d: 0.5 * inv * d), (dt, lambda d: gt * d))


_shifted_root.defjvp(_shifted_root_jvp, symbolic_zeros=True)


def sqrt(
    x: ArrayLike, /, *, temperature: ArrayLike = 1.0, mode: str = "algebraic", straight_through: bool = False
) -> Array:
    r"""Square root with a finite derivative at 0, and its smooth relaxation.

    Hard operator: ``jnp.sqrt`` (values bit for bit). Relaxation:
    :math:`\sqrt{x + t^2} - t`, which is 0 at 0 with derivative :math:`1/(2t)`
    there and approaches :math:`\sqrt{x} - t` for :math:`x \gg t^2`; it is the
    algebraic :func:`abs` applied to :math:`\sqrt{x}`. Computed as
    :math:`x / (\sqrt{x + t^2} + t)`, without cancellation or overflow.

    Args:
      x: floating-point array, ``x >= 0`` (negative entries give NaN, as jnp).
      temperature: non-negative, traced, in the units of ``sqrt(x)``.
      mode: ``algebraic`` (the only one).
      straight_through: hard value, relaxed derivative.

    Returns:
      An array of ``x``'s dtype.

    Points of non-differentiability:
      ``x == 0``: the right derivative is :math:`+\infty` (``jax.grad(jnp.sqrt)(0.)``
      is inf); softops reports 0 there at ``temperature=0``, so that
      ``sqrt(sum(x**2))`` has the minimum-norm subgradient 0 at the origin.
      For ``t > 0`` the derivative is finite everywhere on ``x >= 0``.
      ``inf`` gives ``inf``; NaN and negative inputs give NaN.

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode, concrete
      negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.sqrt(4.0, temperature=0.0)), float(jax.grad(so.sqrt)(0.0, temperature=0.0))
      (2.0, 0.0)
      >>> float(jax.grad(so.sqrt)(0.0, temperature=0.5))
      1.0
    """
    (x,), t, dtype = prepare("sqrt", ("x",), (x,), temperature)
    _check_mode(mode, "sqrt")

    def soft(x, t):
        return _shifted_root(x, t)

    return finish(_sqrt_hard, soft, (x, t), straight_through, dtype, op="sqrt")


# ----------------------------------------------------------------------------- log
@jax.custom_jvp
def _log_hard(x):
    return jnp.log(x)


@_log_hard.defjvp
def _log_hard_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    g = 1.0 / _pole_den(x)
    return _log_hard(x), g * dx


def log(
    x: ArrayLike, /, *, temperature: ArrayLike = 1.0, mode: str = "algebraic", straight_through: bool = False
) -> Array:
    r"""Natural logarithm with a finite derivative at 0, and the shifted relaxation.

    Hard operator: ``jnp.log`` (values bit for bit, ``log(0) = -inf``).
    Relaxation: :math:`\log(x + t)` (``log(1 + x)`` at the default ``t = 1``),
    finite at 0. It is one ``log`` per element, as accurate as ``jnp.log(x + t)``
    (near ``x + t = 1`` the error is absolute, about ``1e-7`` in float32: for
    ``x`` far below ``t = 1`` prefer ``jnp.log1p``), and it does not overflow
    where ``x + t`` would.

    Args:
      x: floating-point array, ``x >= 0`` (negative entries give NaN).
      temperature: non-negative, traced, in the units of ``x``.
      mode: ``algebraic`` (the only one).
      straight_through: hard value, relaxed derivative.

    Returns:
      An array of ``x``'s dtype.

    Points of non-differentiability:
      ``x == 0``: the value is ``-inf`` and the derivative :math:`+\infty`;
      softops reports 0 there at ``temperature=0`` rather than inf, so a
      masked-out ``log(0)`` does not poison a gradient. For ``t > 0`` the
      derivative :math:`1/(x + t)` is finite. d/dt is :math:`1/(x+t)`; at
      ``t = 0`` its limit ``1/x`` (0 reported at ``x == 0``).

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode, concrete
      negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.log(0.0, temperature=0.0)), float(jax.grad(so.log)(0.0, temperature=0.0))
      (-inf, 0.0)
      >>> float(so.log(0.0, temperature=1.0))
      0.0
    """
    (x,), t, dtype = prepare("log", ("x",), (x,), temperature)
    _check_mode(mode, "log")
    return finish(_log_hard, _shifted_log, (x, t), straight_through, dtype, op="log")


@jax.custom_jvp
def _shifted_log(x, t):
    """``log(x + t)`` with one ``log`` per element, NaN for ``x < 0``.

    At ``t = 0`` it is ``log(x + 0)``, jnp's ``log(x)`` bit for bit. ``x + t``
    overflows only when ``t`` exceeds half an ulp of the largest float (~1e31
    in float32); such temperatures scale both terms by 1/2 first.
    """
    finfo = jnp.finfo(t.dtype)
    huge = jnp.asarray(finfo.max * finfo.eps / 8, t.dtype)
    c = jnp.where(t > huge, jnp.asarray(0.5, t.dtype), jnp.ones((), t.dtype))
    val = jnp.log(c * x + c * t) - jnp.log(c)
    return jnp.where(x < 0, jnp.asarray(jnp.nan, x.dtype), val)


@jax.custom_jvp
def _log_slope(x, t):
    """``1 / (x + t)``, the derivative of :func:`_shifted_log` in both arguments;
    0 at ``x + t == 0`` (the hard rule at the pole), NaN for ``x < 0 < t``."""
    arg = x + t  # an overflow here gives 1 / inf = 0, the derivative to working precision
    g = 1.0 / _pole_den(arg)
    return jnp.where((x < 0) & (t > 0), jnp.asarray(jnp.nan, x.dtype), g)


def _log_slope_jvp(primals, tangents):
    # -g^2 in both arguments, but exactly 0 in t at t == 0: there the slope is
    # the hard 1 / x (which need not be differentiable in t: -1 / x^2 overflows
    # for tiny x, and inf * 0 would be NaN).
    (x, t), (dx, dt) = primals, tangents
    g = _log_slope(x, t)
    g2 = -g * g
    g2t = jnp.where(t > 0, g2, jnp.zeros((), g.dtype))
    return g, tangent((dx, lambda d: g2 * d), (dt, lambda d: g2t * d))


_log_slope.defjvp(_log_slope_jvp, symbolic_zeros=True)


def _shifted_log_jvp(primals, tangents):
    (x, t), (dx, dt) = primals, tangents
    g = _log_slope(x, t)
    return _shifted_log(x, t), tangent((dx, lambda d: g * d), (dt, lambda d: g * d))


_shifted_log.defjvp(_shifted_log_jvp, symbolic_zeros=True)


# -------------------------------------------------------------------------- divide
@jax.custom_jvp
def _div_hard(a, b):
    return jnp.divide(a, b)


def _div_hard_jvp(primals, tangents):
    (a, b), (da, db) = primals, tangents
    pole = b == 0
    # the one division; -a / b^2 is then -(a * (1 / b)) * (1 / b), never
    # a / (b * b), which overflows (b ~ 2e19 in float32) where the result does not
    inv = 1.0 / _pole_den(b)  # (0 at the pole)
    zero = jnp.zeros((), b.dtype)
    # (symbolic zeros: a quotient differentiated in b alone, 1 / x, takes no
    # coefficient for a, which XLA cannot drop as 0 * (1 / b))
    return _div_hard(a, b), tangent(
        (da, lambda d: inv * d),
        (db, lambda d: jnp.where(pole, zero, -(a * inv) * inv) * d),
    )


_div_hard.defjvp(_div_hard_jvp, symbolic_zeros=True)


def divide(
    a: ArrayLike,
    b: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "algebraic",
    straight_through: bool = False,
) -> Array:
    r"""Division ``a / b`` with finite derivatives at ``b == 0``, and Tikhonov relaxation.

    Hard operator: ``jnp.divide`` (values bit for bit: ``1/0 = inf``,
    ``0/0 = nan``). Relaxation: :math:`a\,b / (b^2 + t^2)`, which is 0 at
    :math:`b = 0`, bounded by :math:`|a| / (2t)`, and equal to :math:`a/b`
    up to a relative :math:`(t/b)^2` for :math:`|b| \gg t`.

    Args:
      a, b: floating-point arrays (broadcast together).
      temperature: non-negative, traced, in the units of ``b``.
      mode: ``algebraic`` (the only one).
      straight_through: hard value, relaxed derivative.

    Returns:
      The broadcast quotient in the inputs' dtype.

    Points of non-differentiability:
      ``b == 0``: a pole. At ``temperature=0`` the value is jnp's (inf or
      NaN) and ``jax.grad`` reports 0 w.r.t. both arguments there instead of
      inf/NaN. For ``t > 0`` the relaxation is smooth everywhere and 0 at
      ``b == 0`` (below the smallest usable temperature, ``1e-18`` in float32,
      it is ``a / b`` off the pole, with the hard derivatives). An infinite
      ``a`` gives ``a / b``, the hard limit (``inf / 0 = inf``), and the hard
      derivatives with it: ``1 / b`` w.r.t. ``a``, ``-a / b**2`` w.r.t. ``b``
      (0 at the pole) and 0 w.r.t. ``t``. Values and derivatives can still
      overflow where the exact quotient does.

    Raises:
      TypeError: non-floating input. ValueError: unknown mode, concrete
      negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.divide(1.0, 4.0, temperature=0.0)), float(so.divide(1.0, 0.0))
      (0.25, 0.0)
      >>> jax.grad(so.divide, argnums=(0, 1))(1.0, 0.0, temperature=0.0)
      (Array(0., dtype=float32, weak_type=True), Array(0., dtype=float32, weak_type=True))
    """
    (a, b), t, dtype = prepare("divide", ("a", "b"), (a, b), temperature)
    _check_mode(mode, "divide")

    moderate = known_moderate(temperature, t.dtype)
    return finish(
        _div_hard,
        lambda a, b, t: _tikhonov(a, b, t, moderate),
        (a, b, t),
        straight_through,
        dtype,
        op="divide",
    )


def _tikhonov_parts(a, b, t):
    """Where the relaxation ``a b / (b^2 + t^2)`` is used (``|b| <= L t``, ``t``
    usable), ``u = b / t`` and ``a`` there (0 elsewhere: double where).

    Near the pole the quotient is ``(a u / (1 + u^2)) / t``; elsewhere it is
    ``a / b``, which the relaxation equals to a relative ``(t / b)^2 < 1 / L^2``,
    and jnp's quotient bit for bit, also at a traced ``t = 0``. The numerator
    and denominator are selected before the one division per element, and ``a``
    is multiplied by ``u / (1 + u^2)`` (at most 1/2) before the division by
    ``t``, so nothing overflows where the result does not.
    """
    # (an infinite a takes a / b, the hard limit, where the relaxation would
    # give inf * 0 at the pole; near it, both are the same signed infinity)
    near = soft_region(b, t) & jnp.isfinite(a)
    zero = jnp.zeros((), b.dtype)
    r = reciprocal(t)  # of t = 1 where t is not usable (no lane is near there)
    u = scale(jnp.where(near, b, zero), t, r)
    return near, u, jnp.where(near, a, zero), r


@functools.partial(jax.custom_jvp, nondiff_argnums=(3,))
def _tikhonov(a, b, t, moderate):
    """``moderate``: ``t`` is known when tracing to be usable and at most
    ``2**64`` (:func:`known_moderate`), so that the pole lies in the band and
    ``r.s`` is 1; the selects for the other temperatures are left out."""
    one = jnp.ones((), b.dtype)
    near, u, _, r = _tikhonov_parts(a, b, t)
    if moderate:
        # (unmasked, one select less: the far lanes' b / t may overflow, and is not taken)
        u = b * r.r
    else:
        # On the pole every t > 0 gives the relaxation's 0, also below the smallest
        # usable temperature, where the rest is a / b (u is 0 there: 0 / 1 * a; the
        # derivatives there are the far field's, the hard rule's 0 at the pole).
        near = near | ((b == 0) & (t > 0) & jnp.isfinite(a))
    p = jnp.where(near, u, a) / jnp.where(near, 1.0 + u * u, b)
    # p used once (XLA would otherwise split the division into its own pass):
    # near, (p a) s r = (a u / (1 + u^2)) / t; far, p * 1 * 1 * 1 = a / b exactly
    pa = p * jnp.where(near, a, one)
    if not moderate:
        pa = pa * jnp.where(near, r.s, one)
    return pa * jnp.where(near, r.r, one)


def _tikhonov_jvp(moderate, primals, tangents):
    # Written out: autodiff of (a / t) u / (1 + u^2) cancels in d/dt for |b| >> t
    # (two terms ~ 1 / u whose sum is 2 / u^3). With w = 1 / (1 + u^2):
    # d/da = u w / t, d/db = a (1 - u^2) w^2 / t^2, d/dt = -2 a u w^2 / t^2;
    # and a / b's own derivatives in the far field (0 at b == 0, as the hard rule).
    (a, b, t), (da, db, dt) = primals, tangents
    near, u, an, r = _tikhonov_parts(a, b, t)
    zero = jnp.zeros((), b.dtype)
    pole = b == 0  # used only in the far field, where b == 0 means t is not usable
    w = 1.0 / jnp.where(near, 1.0 + u * u, _pole_den(b))  # 1 / b in the far field (0 at the pole)

    def over_t2(v):
        return scale(scale(v, t, r), t, r)

    ga = jnp.where(near, scale(u * w, t, r), w)
    gb = jnp.where(near, over_t2(an * (w * (1.0 - u * u) * w)), jnp.where(pole, zero, -(a * w) * w))
    gt = jnp.where(near, -2.0 * over_t2(an * (u * w * w)), zero)
    return _tikhonov(a, b, t, moderate), tangent(
        (da, lambda d: ga * d), (db, lambda d: gb * d), (dt, lambda d: gt * d)
    )


_tikhonov.defjvp(_tikhonov_jvp, symbolic_zeros=True)


# ---------------------------------------------------------------------------- norm
@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _norm_hard(x, axes, keepdims):
    """jnp.linalg.norm's arithmetic (sqrt of the sum of squares), differentiated safely.

    The derivative is the unit vector ``x / |x|``, computed from ``x / max|x|``
    so that it is right also where the sum of squares underflows (``|x| ~ 1e-25``
    in float32) or overflows; at the zero vector it is 0, the minimum-norm
    element of the unit ball.
    """
    return jnp.sqrt(jnp.sum(x * x, axis=axes, keepdims=keepdims))


def _squares_kept(ss):
    """Whether a sum of squares is large enough that the entries whose squares
    flush below ``finfo.tiny`` cannot matter beside it."""
    finfo = jnp.finfo(ss.dtype)
    return ss >= finfo.tiny / finfo.eps**3


def _unit_factors(x, ss, axes):
    """Per slice ``(a, b)`` with ``(x * a) * b`` the unit vector ``x / |x|`` (0 for
    the zero vector).

    Where every sum of squares ``ss`` is a normal, finite number, ``a = 1`` and
    ``b = 1 / sqrt(ss)``: no more passes over ``x``. Otherwise (an entry beyond
    ``sqrt(finfo.max)``, every entry so small that ``x * x`` underflows, ``|x|
    ~ 1e-25`` in float32, or the zero vector) ``a = 1 / max|x|`` and ``b`` is
    one over the norm of ``x a``: two more passes, which a ``lax.cond`` on one
    flag runs only when some slice needs them; only per-slice numbers cross it.
    Two factors, not their product, so that the derivative of the unit vector
    holds one power of ``1 / max|x|``, not two (which overflow for tiny ``x``).
    Infinite entries are handled by :func:`_unit` (``b`` is 0 on their slices).
    """
    one, zero = jnp.ones((), x.dtype), jnp.zeros((), x.dtype)
    normal = _squares_kept(ss) & (ss <= jnp.finfo(x.dtype).max)

    def direct():
        return jnp.ones_like(ss), jnp.where(normal, 1.0 / jnp.sqrt(jnp.where(normal, ss, one)), zero)

    def rescaled():
        m = lax.stop_gradient(jnp.max(jnp.abs(x), axis=axes, keepdims=True))
        live = (m > 0) & jnp.isfinite(m)
        # (at least the smallest normal number: 1 / m is subnormal, flushed to 0
        # on CPU, for m beyond ~8.5e37 in float32; x * tiny is then at most ~4)
        inv = jnp.maximum(1.0 / jnp.where(live, m, one), jnp.finfo(x.dtype).tiny)
        xs = x * inv
        r = jnp.sqrt(jnp.sum(xs * xs, axis=axes, keepdims=True))
        return jnp.broadcast_to(inv, ss.shape), jnp.where(live, 1.0 / jnp.where(live, r, one), zero)

    # (a zero sum is a zero vector or an underflow: only max|x| tells them apart)
    return lax.cond(jnp.all(normal), direct, rescaled)


def _unit(x, factors):
    a, b = factors
    # an infinite entry: the norm is inf and its direction the infinite axes
    return jnp.where(jnp.isinf(x), jnp.sign(x), (x * a) * b)


@_norm_hard.defjvp
def _norm_hard_jvp(axes, keepdims, primals, tangents):
    (x,), (dx,) = primals, tangents
    ss = jnp.sum(x * x, axis=axes, keepdims=True)
    unit = _unit(x, _unit_factors(x, ss, axes))
    return _norm_hard(x, axes, keepdims), jnp.sum(unit * dx, axis=axes, keepdims=keepdims)


def _huber_parts(x, ss, t, axes):
    """Per slice (keepdims; ``t`` has that shape), given the sum of squares
    ``ss``: the hard norm, where the relaxation is used (``|x| <= L t``), its
    value ``k = sqrt(|x|^2 + t^2) - t`` there as ``t g(w)``, ``w = |x|^2 / t^2``
    (no cancellation), and ``t`` there.

    ``w`` is the sum of squares times ``1 / t^2`` unless some such slice's sum
    of squares is not a normal number (entries below ~1e-19 in float32, whose
    squares flush to 0); then (``lax.cond``) it is the sum of ``(x / t)^2``.
    ``x`` is None where every sum of squares is known to be normal.
    """
    zero = jnp.zeros((), ss.dtype)
    h = jnp.sqrt(ss)
    live = soft_region(h, t)
    tl = jnp.where(live, t, jnp.ones((), t.dtype))
    rl = reciprocal(t).keep(live)

    # k = t w / (sqrt(1 + w) + 1) is formed as q / (sqrt(1 + w) + 1) with q =
    # |x|^2 / t: at large t, w underflows long before k does (|x| = 5, t =
    # 1e30: k = 1.25e-29), and t * w would be inf * 0 at t = inf.
    def from_sum():
        q = scale(jnp.where(live, ss, zero), tl, rl)
        return q, scale(q, tl, rl)

    def from_entries():
        xl = jnp.where(live, x, zero)
        xs = scale(xl, tl, rl)
        return jnp.sum(xl * xs, axis=axes, keepdims=True), jnp.sum(xs * xs, axis=axes, keepdims=True)

    q, w = from_sum() if x is None else lax.cond(jnp.all(_squares_kept(ss) | ~live), from_sum, from_entries)
    k = q / (jnp.sqrt(1.0 + w) + 1.0)
    return h, live, k, tl


def _huber_rows(x, t, axes, derivatives):
    """Per slice (keepdims): the relaxed norm and, if ``derivatives``, the
    factors ``(a, b)`` of its unit vector ``(x a) b`` and its derivative in ``t``.

    One ``lax.cond`` on whether every sum of squares is a normal number (the
    usual case): then everything follows from the sums of squares, per slice,
    in one branch; otherwise :func:`_huber_parts` and :func:`_unit_factors`
    take the extra passes over ``x`` that tiny or huge entries need. (Per-slice
    selects and two conds cost a dozen small XLA kernels, more than the pass
    over ``x`` itself on CPU.)
    """
    one, zero = jnp.ones((), x.dtype), jnp.zeros((), x.dtype)
    ss = jnp.sum(x * x, axis=axes, keepdims=True)

    def rows(x, ss, t):
        h, live, k, tl = _huber_parts(x, ss, t, axes)
        out = jnp.where(live, k, jnp.where(h == 0, h, h - t))
        if not derivatives:
            return (out,)
        if x is None:  # every ss normal: the unit vector is x / |x| off the band
            a, b = jnp.ones_like(ss), 1.0 / h
        else:  # (the hard unit vector's factors only off the band)
            a, b = _unit_factors(x, jnp.where(live, one, ss), axes)
        b = jnp.where(live, 1.0 / (k + tl), b)
        gt = jnp.where(live, -k / (k + tl), jnp.where(h == 0, zero, -one))
        return out, jnp.where(live, one, a), b, gt

    normal = jnp.all(_squares_kept(ss) & (ss <= jnp.finfo(x.dtype).max))
    return lax.cond(normal, lambda x, ss, t: rows(None, ss, t), rows, x, ss, t)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def _norm_relaxed(x, t, axes, keepdims):
    """``sqrt(|x|^2 + t^2) - t`` over ``axes`` where ``|x| <= L t``; ``|x| - t``
    beyond (``|x|`` itself at the zero vector and below the smallest usable ``t``).

    ``t`` has the keepdims shape. One pass over ``x`` (its sum of squares);
    derivatives written out: ``x / s`` and ``-k / s`` with ``s = k + t``
    (autodiff of the quotient form cancels in d/dt for ``|x| >> t``).
    """
    (out,) = _huber_rows(x, t, axes, derivatives=False)
    return out if keepdims else jnp.squeeze(out, axes)


def _norm_relaxed_jvp(axes, keepdims, primals, tangents):
    (x, t), (dx, dt) = primals, tangents
    out, a, b, gt = _huber_rows(x, t, axes, derivatives=True)
    sq = (lambda v: v) if keepdims else (lambda v: jnp.squeeze(v, axes))
    return sq(out), tangent(
        (dx, lambda d: sq(jnp.sum(_unit(x, (a, b)) * d, axis=axes, keepdims=True))),
        (dt, lambda d: sq(gt * d)),
    )


_norm_relaxed.defjvp(_norm_relaxed_jvp, symbolic_zeros=True)


def norm(
    x: ArrayLike,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    temperature: ArrayLike = 1.0,
    mode: str = "algebraic",
    straight_through: bool = False,
) -> Array:
    r"""Euclidean norm with the minimum-norm subgradient at 0, and the pseudo-Huber relaxation.

    Hard operator: ``jnp.linalg.norm(x, axis=axis, keepdims=keepdims)`` (the
    2-norm; values bit for bit in float32 and float64). float16 and bfloat16
    are summed in float32 and rounded once, as every softops operator computes
    them: more accurate than jnp's half-precision norm, which overflows past
    256 in float16. Relaxation: :math:`\sqrt{\|x\|^2 + t^2} - t`
    (the algebraic :func:`abs` of the norm; the pseudo-Huber function), smooth
    at the origin with Hessian :math:`I/t` there.

    Args:
      x: floating-point array.
      axis: axis or axes to reduce (``None``: all).
      keepdims: keep reduced axes with size 1.
      temperature: non-negative, traced, broadcastable to the result's shape.
      mode: ``algebraic`` (the only one).
      straight_through: hard value, relaxed derivative.

    Returns:
      The norms, in ``x``'s dtype.

    Points of non-differentiability:
      ``x == 0`` (the zero vector): the subdifferential is the unit ball and
      ``jax.grad`` returns its minimum-norm element, the zero vector, where
      ``jax.grad(jnp.linalg.norm)`` gives NaN. ``inf`` entries give ``inf``;
      NaN propagates. Sums of squares overflow as in jnp for entries beyond
      ``sqrt(finfo.max)``.

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode, concrete
      negative temperature, a temperature that does not broadcast to the
      result's shape.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> float(so.norm(jnp.array([3.0, 4.0]), temperature=0.0))
      5.0
      >>> jax.grad(so.norm)(jnp.zeros(2), temperature=0.0)
      Array([0., 0.], dtype=float32)
    """
    (x,), t, dtype = prepare("norm", ("x",), (x,), temperature)
    _check_mode(mode, "norm")
    _checks.boolean(keepdims, "norm", "keepdims")
    axes = (
        tuple(range(x.ndim)) if axis is None else tuple(axis) if isinstance(axis, tuple | list) else (axis,)
    )
    axes = tuple(_checks.axis(a, x.ndim, "norm") for a in axes)

    def hard(x):
        return _norm_hard(x, axes, keepdims)

    kept = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
    result = kept if keepdims else tuple(n for i, n in enumerate(x.shape) if i not in axes)
    try:
        fits = np.broadcast_shapes(t.shape, result) == result
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"norm expects a temperature that broadcasts to the result's shape {result}, got shape {t.shape}"
        )

    def soft(x, t):
        # t on the keepdims shape of the result
        t = jnp.broadcast_to(t, result)
        return _norm_relaxed(x, t if keepdims else jnp.reshape(t, kept), axes, keepdims)

    return finish(
        hard, soft, (x, t), straight_through, dtype, op="norm", elementwise=False
    )  # (checked above)


def _positive(key, dtype):
    return (np.asarray(jax.random.uniform(key, (9,), "float32", 0.1, 4.0)).astype(dtype),), {}


_NOTE = "Derivatives are unbounded near the singular point, as the exact function's are."
register(
    OperatorInfo(
        name="sqrt",
        fn=sqrt,
        hard=jnp.sqrt,
        family="safe",
        kind="other",
        modes=_MODES,
        default_mode="algebraic",
        kinks=(Kink("x == 0", "singular", 0.0, 0.0, (0.0,)),),
        sample=_positive,
        subgradient=False,
        bounded=False,
        notes=_NOTE,
    )
)
register(
    OperatorInfo(
        name="log",
        fn=log,
        hard=jnp.log,
        family="safe",
        kind="other",
        modes=_MODES,
        default_mode="algebraic",
        kinks=(Kink("x == 0", "singular", 0.0, 0.0, (0.0,)),),
        sample=_positive,
        subgradient=False,
        bounded=False,
        notes=_NOTE,
    )
)
register(
    OperatorInfo(
        name="divide",
        fn=divide,
        hard=jnp.divide,
        family="safe",
        kind="other",
        modes=_MODES,
        default_mode="algebraic",
        kinks=(Kink("b == 0", "singular", 0.0, 0.0, (1.0, 0.0)),),
        sample=lambda key, dtype: (
            (
                np.asarray(jax.random.normal(key, (9,), "float32")).astype(dtype),
                np.asarray(jax.random.uniform(jax.random.fold_in(key, 1), (9,), "float32", 0.5, 3.0)).astype(
                    dtype
                ),
            ),
            {},
        ),
        subgradient=False,
        bounded=False,
        notes=_NOTE,
    )
)
register(
    OperatorInfo(
        name="norm",
        fn=norm,
        hard=lambda x, **kw: jnp.linalg.norm(x, **kw),
        family="safe",
        kind="other",
        modes=_MODES,
        default_mode="algebraic",
        kinks=(Kink("x == 0 (the zero vector)", "kink", -1.0, 1.0, (0.0,)),),
        sample=lambda key, dtype: (
            (np.asarray(jax.random.normal(key, (3, 4), "float32")).astype(dtype),),
            {"axis": -1},
        ),
        kink_kwargs={},
        subgradient=False,
        bounded=False,
        notes="Gradient at the zero vector is 0.",
    )
)
