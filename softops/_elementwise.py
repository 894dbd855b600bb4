"""Kinks and jumps of one or two arrays: relu, abs, heaviside, sign, clip, maximum, minimum."""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from softops import _checks
from softops._families import (
    ALGEBRAIC_FAR,
    FLAT_STEPS,
    PER_TEMPERATURE_MODES,
    PER_TEMPERATURE_STEPS,
    RESIDUAL_EVERYWHERE,
    SMOOTH_MODES,
    STEP_MODES,
    _algebraic_h,
    family,
    residual,
)
from softops._mechanism import (
    band,
    capped,
    clamped,
    far_tail,
    finish,
    plus_t,
    prepare,
    relax,
    relax_saturated,
    resolve_subgradient,
    scale,
    scale_to_bound,
    tangent,
    times_t,
)
from softops._registry import Kink, OperatorInfo, register

Array = jax.Array
ArrayLike = Any


def _modes(names, smoothness_shift=0):
    return {m: family(m).smoothness + smoothness_shift for m in names}


def _sample1(key, dtype):
    return (np.asarray(jax.random.normal(key, (9,), "float32") * 2).astype(dtype),), {}


def _sample2(key, dtype):
    a, b = jax.random.normal(key, (2, 9), "float32") * 2
    return (np.asarray(a).astype(dtype), np.asarray(b).astype(dtype)), {}


# The relaxations add a smoothing residual to the exact kink (max(x, 0), clip,
# ...). The residual's derivative takes the step as 1/2 at its own kink, so the
# kink term must too: with jax's max/clip that holds, but their derivatives
# divide per element to split ties; the hard operators' own rules below, given
# 1/2, select instead.
_KINK = 0.5


def _clamp(lo, x, hi):
    """``lax.clamp`` broadcast: derivative 1 strictly inside, 0 elsewhere (no tie
    split, no division); only where the value at the bound does not matter."""
    shape = jnp.broadcast_shapes(jnp.shape(lo), x.shape, jnp.shape(hi))
    b = lambda a: jnp.broadcast_to(jnp.asarray(a, x.dtype), shape)
    return lax.clamp(b(lo), b(x), b(hi))


def _side(u):
    """The kink terms' derivative ``H(u)`` (1/2 at 0) read from the scaled
    distance ``u`` that the residual's slope ``cdf(u) - H(u)`` sees: the two
    then add up to ``cdf(u)`` even where ``u`` underflows to 0 for ``x != 0``
    (``|x| < tiny * t``: the CPU flushes it), which ``x``'s own sign would not."""
    one, zero = jnp.ones((), u.dtype), jnp.zeros((), u.dtype)
    return jnp.where(u > 0, one, jnp.where(u < 0, zero, jnp.asarray(_KINK, u.dtype)))


def _ramp(x, u):
    """``max(x, 0)`` differentiated as ``H(u)`` in ``x`` (see :func:`_side`)."""
    # u as a constant (so for every side below): a custom rule whose only live
    # tangent would be u's is never called
    return _ramp_rule(x, lax.stop_gradient(u))


@jax.custom_jvp
def _ramp_rule(x, u):
    # (on u's shape: a temperature may broadcast the result beyond x)
    return jnp.broadcast_to(jnp.maximum(x, jnp.zeros((), x.dtype)), jnp.broadcast_shapes(x.shape, u.shape))


_ramp_rule.defjvps(lambda dx, ans, x, u: _side(u) * dx, None)


# ---------------------------------------------------------------------------- relu
@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _relu_hard(x, c):
    return jnp.maximum(x, jnp.zeros((), x.dtype))


@_relu_hard.defjvp
def _relu_hard_jvp(c, primals, tangents):
    (x,), (dx,) = primals, tangents
    g = jnp.where(x > 0, 1.0, jnp.where(x < 0, 0.0, c)).astype(x.dtype)
    return _relu_hard(x, c), g * dx


def relu(
    x: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
    subgradient: str | float = "min_norm",
) -> Array:
    r"""Rectified linear unit ``max(x, 0)`` and its smooth relaxations.

    Hard operator: :math:`\max(x, 0)` (``jax.nn.relu``). Relaxation at temperature
    :math:`t`: :math:`t\,S(x/t)`, where :math:`S` is the mode's smoothed relu
    (``logistic``: softplus, so ``relu(x)`` equals ``jax.nn.softplus(x)`` at the
    default ``t = 1``; ``algebraic``: :math:`(u + \sqrt{1+u^2})/2`; ``gaussian``:
    :math:`u\Phi(u) + \varphi(u)`; ``ramp``/``cubic``/``quintic``: equal to
    :math:`\max(x, 0)` outside :math:`[-t, t]`). As :math:`t \to 0` it decreases
    monotonically to :math:`\max(x, 0)`; at :math:`t = 0` it is exactly that.

    Args:
      x: floating-point array.
      temperature: non-negative, traced, broadcasts against ``x``.
      mode: relaxation family, one of ``logistic`` (default), ``algebraic``,
        ``gaussian``, ``ramp``, ``cubic``, ``quintic``.
      straight_through: value of the hard operator, derivative of the relaxation.
      subgradient: derivative at the kink of the hard operator: ``"min_norm"``
        (0), ``"left"`` (0), ``"right"`` (1) or a number in [0, 1].

    Returns:
      An array of ``x``'s dtype, broadcast against ``temperature``.

    Points of non-differentiability:
      ``x == 0`` is a kink of the hard operator with one-sided derivatives 0 and 1;
      at ``temperature=0`` ``jax.grad`` returns 0 there (the minimum-norm element
      of [0, 1]) unless ``subgradient`` says otherwise. For ``t > 0`` the
      relaxation is smooth (C-infinity, or C1/C2/C3 for ramp/cubic/quintic) and
      its derivative is the mode's step, ``heaviside(x, temperature=t)``.
      ``x = +-inf`` gives ``inf``/``0`` with derivative 1/0; NaN propagates.
      The derivative with respect to ``t`` is :math:`S(u) - u S'(u)`, which at
      ``t = 0`` is its limit from above: ``S(0)`` at ``x == 0`` and 0 elsewhere.

    Raises:
      TypeError: if ``x`` is not floating point.
      ValueError: for an unknown mode, a bad subgradient or a concrete negative
        temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.relu(0.0))  # log(2), softplus at t = 1
      0.6931471...
      >>> float(so.relu(-2.0, temperature=0.0))
      0.0
      >>> float(jax.grad(so.relu)(0.0, temperature=0.0))  # the kink
      0.0
      >>> float(jax.grad(so.relu)(0.0, temperature=0.0, subgradient="right"))
      1.0

    References:
      Dugas et al., "Incorporating second-order functional knowledge for better
      option pricing", NeurIPS 2000 (softplus).
    """
    (x,), t, dtype = prepare("relu", ("x",), (x,), temperature)
    fam = family(_checks.mode(mode, SMOOTH_MODES, "relu"))
    c = resolve_subgradient(subgradient, 0.0, 1.0, "relu")

    def soft(x, t):
        t = capped(t)  # (t = inf: see capped)
        hard = _relu_hard(x, c)
        outer = jnp.where(x == 0, hard + t * fam.s0, hard)
        # max(x, 0) + t * tail(-|x| / t): the kink in x itself, so d/dt is the
        # residual's own derivative (t * max(x / t, 0) would cancel in d/dt).
        # (the kink's tie rule, 1/2, is the residual's: see _KINK)
        if fam.name in PER_TEMPERATURE_MODES:
            to_bound = scale_to_bound(fam.name, RESIDUAL_EVERYWHERE)

            def light(t, r):
                u = to_bound(x, t, r)
                return _ramp(x, u) + times_t(residual(fam, u), t)  # (NaN x: NaN kink, see times_t)

            return relax_saturated(t, light, outer)

        def kernel(x, t, r):
            u = scale(x, t, r)
            return _ramp(x, u) + t * residual(fam, u)

        return relax(x, t, (x,), kernel, outer)

    return finish(lambda x: _relu_hard(x, c), soft, (x, t), straight_through, dtype, op="relu")


# ----------------------------------------------------------------------------- abs
@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _abs_hard(x, c):
    return jnp.abs(x)


@_abs_hard.defjvp
def _abs_hard_jvp(c, primals, tangents):
    (x,), (dx,) = primals, tangents
    g = jnp.where(x > 0, 1.0, jnp.where(x < 0, -1.0, c)).astype(x.dtype)
    return _abs_hard(x, c), g * dx


def abs(  # noqa: A001 - mirrors jnp.abs
    x: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "algebraic",
    straight_through: bool = False,
    subgradient: str | float = "min_norm",
) -> Array:
    r"""Absolute value ``|x|`` and its smooth relaxations.

    Hard operator: :math:`|x|` (``jnp.abs``). Relaxation:
    :math:`t\,(S(u) + S(-u) - 2S(0))`, :math:`u = x/t`, which is 0 at 0 and
    :math:`|x| - 2S(0)\,t` far from 0. The default ``algebraic`` mode is
    :math:`\sqrt{x^2 + t^2} - t` (so ``abs(x)`` equals ``sqrt(1 + x**2) - 1``
    at ``t = 1``); ``ramp`` is the Huber function :math:`x^2/(2t)` for
    :math:`|x| \le t`, :math:`|x| - t/2` beyond. Converges monotonically to
    :math:`|x|` from below as :math:`t \to 0`; exactly :math:`|x|` at 0.

    Args:
      x: floating-point array.
      temperature: non-negative, traced, broadcasts against ``x``.
      mode: ``algebraic`` (default), ``logistic``, ``gaussian``, ``ramp``,
        ``cubic`` or ``quintic``.
      straight_through: hard value, relaxed derivative.
      subgradient: derivative at 0 of the hard operator: ``"min_norm"`` (0),
        ``"left"`` (-1), ``"right"`` (1) or a number in [-1, 1].

    Returns:
      An array of ``x``'s dtype, broadcast against ``temperature``.

    Points of non-differentiability:
      ``x == 0``: one-sided derivatives -1 and 1; ``jax.grad`` returns 0 at
      ``temperature=0`` (minimum norm). For ``t > 0`` the relaxation is smooth
      with derivative ``sign(x, temperature=t)``. ``+-inf`` give ``inf``; NaN
      propagates. The value carries an absolute rounding error of a few
      ``eps * (|x| + t)`` and is floored at 0 (the derivatives are the
      relaxation's own). d/dt is :math:`2(S(-|u|) + |u| S'(-|u|) - S(0))`; at ``t = 0``
      its limit ``-2 S(0)`` for ``x != 0`` and 0 at ``x == 0``.

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode, bad subgradient,
      concrete negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.abs(3.0, temperature=0.0)), round(float(so.abs(1.0)), 6)
      (3.0, 0.414214)
      >>> float(jax.grad(so.abs)(0.0, temperature=0.0))
      0.0

    References:
      Huber, "Robust Estimation of a Location Parameter", 1964;
      Charbonnier et al., "Two deterministic half-quadratic regularization
      algorithms for computed imaging", ICIP 1994 (the algebraic form).
    """
    (x,), t, dtype = prepare("abs", ("x",), (x,), temperature)
    fam = family(_checks.mode(mode, SMOOTH_MODES, "abs"))
    c = resolve_subgradient(subgradient, -1.0, 1.0, "abs")

    def soft(x, t):
        t = capped(t)  # (t = inf: see capped)
        hard = _abs_hard(x, c)
        # (below the smallest usable temperature; |x| < 2 S(0) t there would go negative)
        outer = jnp.where(x == 0, hard, jnp.maximum(hard - 2.0 * fam.s0 * t, jnp.zeros((), x.dtype)))
        if fam.name == "algebraic":
            return relax_saturated(t, lambda t, r: _abs_algebraic(x, t, r), outer)
        if fam.name in _ABS_POLY:
            kernel = functools.partial(_abs_compact, _ABS_POLY[fam.name], fam.sign, fam.s0, x)
            return relax_saturated(t, kernel, outer)

        # |x| as 2 max(x, 0) - x (derivative 0 at 0), plus the smoothing in units of t.
        def kernel(x, t, r):
            u = scale(x, t, r)
            return _non_negative(2.0 * _ramp(x, u) - x + t * (2.0 * residual(fam, u) - 2.0 * fam.s0))

        return relax(x, t, (x,), kernel, outer)

    return finish(lambda x: _abs_hard(x, c), soft, (x, t), straight_through, dtype, op="abs")


# The compact modes' abs inside its band, t A(x / t) with A(u) = 2 int_0^u odd =
# u^2 P(u^2): Huber's u^2 / 2 for the ramp, u^2 (6 - u^2) / 8 for the cubic,
# u^2 (15 - 5 u^2 + u^4) / 16 for the quintic.
_ABS_POLY = {
    "ramp": lambda s: 0.5,
    "cubic": lambda s: (6.0 - s) / 8.0,
    "quintic": lambda s: (15.0 + s * (s - 5.0)) / 16.0,
}


def _abs_compact_parts(x, t, r):
    inside = jnp.abs(x) <= t
    xi = jnp.where(inside, x, jnp.zeros((), x.dtype))
    return inside, xi, scale(xi, t, r)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0, 1, 2))
def _abs_compact(poly, sign, s0, x, t, r):
    """``x u P(u^2)`` (``u = x / t``) for ``|x| <= t``, ``|x| - 2 S(0) t`` beyond:
    the polynomial in ``x`` itself has no cancellation near 0 (the general
    ``|x| + t (2 S(u) - 2 S(0))`` loses every digit below ``|x| ~ sqrt(eps) t``),
    and the far form is exact (double where: ``x / t`` only inside).

    Derivatives written out: the mode's relaxed ``sign(u)`` in ``x``
    (differentiated as its density; autodiff of the polynomial cancels near
    ``|u| = 1``, where the curvature vanishes) and ``A(u) - u sign(u)`` in ``t``."""
    inside, xi, u = _abs_compact_parts(x, t, r)
    return jnp.where(inside, (xi * u) * poly(u * u), jnp.abs(x) - (2.0 * s0) * t)


def _abs_compact_jvp(poly, sign, s0, primals, tangents):
    (x, t, r), (dx, dt, _) = primals, tangents
    inside, _, u = _abs_compact_parts(x, t, r)
    su = sign(u)
    far_t = jnp.asarray(-2.0 * s0, x.dtype)
    return _abs_compact(poly, sign, s0, x, t, r), tangent(
        (dx, lambda d: jnp.where(inside, su, jnp.sign(x)) * d),
        (dt, lambda d: jnp.where(inside, (u * u) * poly(u * u) - u * su, far_t) * d),
    )


_abs_compact.defjvp(_abs_compact_jvp, symbolic_zeros=True)


def _abs_algebraic_parts(x, t, r):
    # (beyond ALGEBRAIC_FAR the factor below is 1 to working precision: its
    # relative correction t / |x| is under 1e-18)
    u = clamped(x, t, r, ALGEBRAIC_FAR)
    return u, _algebraic_h(u)


@jax.custom_jvp
def _abs_algebraic_dt(u):
    """``1 / h - 1 = -u^2 / (h (h + 1))``, the algebraic abs's derivative in
    ``t``, differentiated as ``-u / h^3`` (autodiff of the quotient cancels)."""
    h = _algebraic_h(u)
    return -(u * u) / (h * (h + 1.0))


_abs_algebraic_dt.defjvps(lambda du, ans, u: -u / _algebraic_h(u) ** 3 * du)


@jax.custom_jvp
def _abs_algebraic(x, t, r):
    """``sqrt(x^2 + t^2) - t`` as ``|x| a / (h + 1)``, ``a = |x / t|``,
    ``h = sqrt(1 + a^2)``: no cancellation near 0 (``h - 1`` would lose all
    digits for ``|x| < sqrt(eps) t``) and no overflow far away, where the clamp
    of ``a`` to ``ALGEBRAIC_FAR`` leaves the factor at exactly 1, so an infinite
    ``x / t`` (a huge ``x`` or a tiny ``t``) gives ``|x|``.

    Derivatives written out to every order: ``u / h`` in ``x`` (the algebraic
    sign, differentiated as its density ``1 / h^3``) and ``1 / h - 1`` in ``t``
    (as ``-u / h^3``); autodiff of either quotient cancels for ``|u| >> 1``."""
    u, h = _abs_algebraic_parts(x, t, r)
    return jnp.abs(x) * (jnp.abs(u) / (h + 1.0))


def _abs_algebraic_jvp(primals, tangents):
    (x, t, r), (dx, dt, _) = primals, tangents
    u, _ = _abs_algebraic_parts(x, t, r)
    return _abs_algebraic(x, t, r), tangent(
        (dx, lambda d: family("algebraic").sign(u) * d), (dt, lambda d: _abs_algebraic_dt(u) * d)
    )


_abs_algebraic.defjvp(_abs_algebraic_jvp, symbolic_zeros=True)


@jax.custom_jvp
def _non_negative(v):
    """``max(v, 0)`` in value, ``v``'s own derivatives (abs's relaxation is
    non-negative, but ``|x| + t (2 S(u) - 2 S(0))`` cancels and can round below
    0 for ``|x|`` under ~``sqrt(eps) t``; its derivatives there are right)."""
    return jnp.maximum(v, jnp.zeros((), v.dtype))


_non_negative.defjvps(lambda dv, ans, v: dv)


# ------------------------------------------------------------------ heaviside, sign
@jax.custom_jvp
def _jump(value):
    return value


_jump.defjvps(lambda g, ans, value: jnp.zeros_like(ans))


def heaviside(
    x: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
    at_zero: float = 0.5,
) -> Array:
    r"""The unit step ``1[x > 0]`` and its relaxations (sigmoids, surrogate gradients).

    Hard operator: ``jnp.heaviside(x, at_zero)``: 0 for :math:`x<0`, 1 for
    :math:`x>0`, ``at_zero`` at 0. Relaxation: the mode's CDF :math:`F(x/t)`
    (``logistic``: ``jax.nn.sigmoid(x / t)``, the default; ``algebraic``,
    ``gaussian``, ``ramp``, ``cubic``, ``quintic``). The spiking-network
    surrogates ``arctan``, ``fast_sigmoid`` (SuperSpike), ``triangular`` and
    ``boxcar`` are further modes: with ``straight_through=True`` the forward
    pass spikes exactly and the backward pass uses the surrogate derivative
    :math:`F'(x/t)/t`. Converges monotonically to the step away from 0.

    Args:
      x: floating-point array.
      temperature: non-negative, traced, broadcasts against ``x``.
      mode: one of the modes above.
      straight_through: hard value, relaxed derivative.
      at_zero: value of the hard step at exactly 0 (default 0.5, the midpoint
        every relaxation passes through).

    Returns:
      An array of ``x``'s dtype in [0, 1], broadcast against ``temperature``.

    Points of non-differentiability:
      A jump at ``x == 0``; the hard operator's derivative is 0 everywhere,
      including there (the derivative of a jump is 0, softops' rule). For
      ``t > 0`` the derivative is :math:`F'(x/t)/t`, peaked at 0. ``+-inf`` give
      1/0, NaN propagates. d/dt is :math:`-F'(u)\,u/t`; at ``t = 0`` it is its
      limit from above: 0 in the light-tailed modes, the first-order term of
      the heavy-tailed surrogates (``arctan``, ``fast_sigmoid``).

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode, concrete negative
      temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.heaviside(0.0)), float(so.heaviside(-1.0, temperature=0.0))
      (0.5, 0.0)
      >>> spike = lambda v: so.heaviside(v, temperature=0.5, mode="fast_sigmoid", straight_through=True)
      >>> float(spike(0.2)), float(jax.grad(spike)(0.0))
      (1.0, 1.0)

    References:
      Zenke & Ganguli, "SuperSpike: Supervised learning in multilayer spiking
      neural networks", 2018; Neftci et al., "Surrogate gradient learning in
      spiking neural networks", 2019.
    """
    (x,), t, dtype = prepare("heaviside", ("x",), (x,), temperature)
    fam = family(_checks.mode(mode, STEP_MODES, "heaviside"))
    h0 = float(at_zero)

    def hard(x):
        return _jump(jnp.heaviside(x, jnp.asarray(h0, x.dtype)))

    def soft(x, t):
        # The hard step, except that on the jump itself every t > 0 gives the
        # midpoint 1/2 (also below the smallest usable temperature, where relax
        # takes this far-field form): one per-temperature value at x == 0.
        one, zero = jnp.ones((), x.dtype), jnp.zeros((), x.dtype)
        mid = jnp.where(t > 0, jnp.asarray(0.5, x.dtype), jnp.asarray(h0, x.dtype))
        step = _jump(jnp.where(x < 0, zero, jnp.where(x > 0, one, jnp.where(x == 0, mid, x))))  # NaN stays
        outer = step - far_tail(fam.tail_coef, x, t)
        if fam.name in PER_TEMPERATURE_STEPS:
            to_bound = scale_to_bound(fam.name, FLAT_STEPS)
            return relax_saturated(t, lambda t, r: fam.cdf(to_bound(x, t, r)), outer)
        return relax(x, t, (x,), lambda x, t, r: fam.cdf(scale(x, t, r)), outer)

    return finish(hard, soft, (x, t), straight_through, dtype, op="heaviside")


def sign(
    x: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""The sign function and its relaxations ``2 F(x / t) - 1``.

    Hard operator: ``jnp.sign`` (-1, 0, 1). Relaxation: :math:`2F(x/t) - 1` for
    the mode's CDF :math:`F` (``logistic``: :math:`\tanh(x / 2t)`;
    ``algebraic``: :math:`x/\sqrt{x^2+t^2}`), the derivative of ``abs`` in the
    same mode. Modes as :func:`heaviside`.

    Args:
      x: floating-point array.
      temperature: non-negative, traced, broadcasts against ``x``.
      mode: relaxation family (see :func:`heaviside`).
      straight_through: hard value, relaxed derivative.

    Returns:
      An array of ``x``'s dtype in [-1, 1].

    Points of non-differentiability:
      A jump at ``x == 0``; ``jax.grad`` of the hard operator is 0 everywhere.
      ``+-inf`` give +-1, NaN propagates.

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode, concrete negative
      temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.sign(-3.0, temperature=0.0)), float(so.sign(0.0))
      (-1.0, 0.0)
      >>> float(jax.grad(so.sign)(0.0, temperature=0.0))
      0.0
    """
    (x,), t, dtype = prepare("sign", ("x",), (x,), temperature)
    fam = family(_checks.mode(mode, STEP_MODES, "sign"))

    def hard(x):
        return _jump(jnp.sign(x))

    def soft(x, t):
        outer = hard(x) - 2.0 * far_tail(fam.tail_coef, x, t)
        if fam.name in PER_TEMPERATURE_STEPS:
            to_bound = scale_to_bound(fam.name, FLAT_STEPS)
            return relax_saturated(t, lambda t, r: fam.sign(to_bound(x, t, r)), outer)
        return relax(x, t, (x,), lambda x, t, r: fam.sign(scale(x, t, r)), outer)

    return finish(hard, soft, (x, t), straight_through, dtype, op="sign")


# ---------------------------------------------------------------- maximum, minimum
@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def _max_hard(a, b, lam):
    return jnp.maximum(a, b)


def _max_hard_jvp(lam, primals, tangents):
    (a, b), (da, db) = primals, tangents
    wa = jnp.where(a > b, 1.0, jnp.where(a < b, 0.0, lam)).astype(a.dtype)
    return _max_hard(a, b, lam), tangent((da, lambda d: wa * d), (db, lambda d: (1.0 - wa) * d))


_max_hard.defjvp(_max_hard_jvp, symbolic_zeros=True)


def _max_by(a, b, u):
    """``max(a, b)`` differentiated with weight ``H(u)`` on ``a`` (see :func:`_side`)."""
    return _max_rule(a, b, lax.stop_gradient(u))


@jax.custom_jvp
def _max_rule(a, b, u):
    # (on u's shape too: a temperature may broadcast the result beyond a and b,
    # and the tangent wa * da has that shape)
    return jnp.broadcast_to(jnp.maximum(a, b), jnp.broadcast_shapes(a.shape, b.shape, u.shape))


def _max_rule_jvp(primals, tangents):
    (a, b, u), (da, db, _) = primals, tangents
    wa = _side(u)
    return _max_rule(a, b, u), tangent((da, lambda d: wa * d), (db, lambda d: (1.0 - wa) * d))


_max_rule.defjvp(_max_rule_jvp, symbolic_zeros=True)


def _soft_max2(fam, a, b, t, r):
    """Smoothed max(a, b) = max(a, b) + t * tail(-|a - b| / t): exact far apart, no overflow.

    Only inside :func:`relax`'s band, ``|a - b| <= L t``: ``(a - b) / t`` needs no clamp.
    """
    u = scale(a - b, t, r)
    return _max_by(a, b, u) + t * residual(fam, u)


def _extreme2(op, a, b, temperature, mode, straight_through, subgradient, sgn, names=("a", "b")):
    a_in, b_in = a, b
    (a, b), t, dtype = prepare(op, names, (a, b), temperature)
    # a - b is NaN for non-NaN inputs only at a tie of two infinities, which a
    # finite operand known at trace time (in the result dtype) rules out
    finite_operand = any(_checks.known_finite(v, dtype) for v in (a_in, b_in))
    fam = family(_checks.mode(mode, SMOOTH_MODES, op))
    # ``left``/``right`` refer to moving ``a``; for minimum they mirror maximum's.
    left, right = (0.0, 1.0) if sgn > 0 else (1.0, 0.0)
    lam = resolve_subgradient(subgradient, left, right, op, tie=True)

    def hard(a, b):
        return sgn * _max_hard(sgn * a, sgn * b, lam)

    def soft(a, b, t):
        t = capped(t)  # (t = inf: see capped)
        h = _max_hard(sgn * a, sgn * b, lam)
        outer = jnp.where(a == b, plus_t(h, t, fam.s0), h)
        if fam.name in PER_TEMPERATURE_MODES:
            p, q = sgn * a, sgn * b
            d, odd = p - q, None
            if not finite_operand:
                # NaN distances (a tie of two infinities, a NaN input) take the hard branch
                odd = jnp.isnan(d)
                d = jnp.where(odd, jnp.zeros((), d.dtype), d)
            to_bound = scale_to_bound(fam.name, RESIDUAL_EVERYWHERE)

            def kernel(t, r):
                u = to_bound(d, t, r)
                # (a NaN input is NaN in the kink: see times_t)
                return _max_by(p, q, u) + times_t(residual(fam, u), t)

            return sgn * relax_saturated(t, kernel, outer, odd)
        val = relax(
            sgn * (a - b), t, (sgn * a, sgn * b), lambda p, q, t, r: _soft_max2(fam, p, q, t, r), outer
        )
        return sgn * val

    return finish(hard, soft, (a, b, t), straight_through, dtype, op=op)


def maximum(
    a: ArrayLike,
    b: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
    subgradient: str | float = "min_norm",
) -> Array:
    r"""Elementwise maximum of two arrays and its relaxations.

    Hard operator: ``jnp.maximum(a, b)``. Relaxation: :math:`b + t\,S((a-b)/t)`
    (symmetric in ``a`` and ``b``); ``logistic`` is
    :math:`t \log(e^{a/t} + e^{b/t})`. It is computed as
    :math:`\max(a,b) + t\,S(-|a-b|/t)`, so it never overflows and is exact for
    far-apart inputs. Decreases monotonically to ``jnp.maximum`` as :math:`t\to 0`.

    Args:
      a, b: floating-point arrays (broadcast together).
      temperature: non-negative, traced, broadcasts against the inputs.
      mode: ``logistic`` (default), ``algebraic``, ``gaussian``, ``ramp``,
        ``cubic``, ``quintic``.
      straight_through: hard value, relaxed derivative.
      subgradient: weight on ``a`` at a tie ``a == b`` (``b`` gets one minus
        it): ``"min_norm"`` (0.5), ``"left"`` (0), ``"right"`` (1) or a number
        in [0, 1].

    Returns:
      The broadcast result in the inputs' dtype.

    Points of non-differentiability:
      Ties ``a == b``: the gradient is split 0.5/0.5 by default (the
      minimum-norm convex combination), where ``jnp.maximum`` also splits.
      For ``t > 0`` the derivative w.r.t. ``a`` is :math:`F((a-b)/t)`.
      Infinite inputs give the hard result; NaN propagates.

    Raises:
      TypeError: non-floating input. ValueError: unknown mode, bad subgradient,
      concrete negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.maximum(1.0, 3.0, temperature=0.0))
      3.0
      >>> jax.grad(so.maximum, argnums=(0, 1))(2.0, 2.0, temperature=0.0)
      (Array(0.5, dtype=float32, weak_type=True), Array(0.5, dtype=float32, weak_type=True))
    """
    return _extreme2("maximum", a, b, temperature, mode, straight_through, subgradient, 1.0)


def minimum(
    a: ArrayLike,
    b: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
    subgradient: str | float = "min_norm",
) -> Array:
    r"""Elementwise minimum of two arrays and its relaxations, ``-maximum(-a, -b)``.

    Hard operator: ``jnp.minimum(a, b)``; relaxation :math:`a - t\,S((a-b)/t)`
    (``logistic``: :math:`-t\log(e^{-a/t} + e^{-b/t})`), increasing
    monotonically to ``jnp.minimum`` as :math:`t \to 0`.

    Args:
      a, b: floating-point arrays (broadcast together).
      temperature: non-negative, traced.
      mode: as :func:`maximum`.
      straight_through: hard value, relaxed derivative.
      subgradient: weight on ``a`` at a tie: ``"min_norm"`` (0.5),
        ``"left"`` (1: lowering ``a`` makes it the minimum), ``"right"`` (0) or
        a number in [0, 1].

    Returns:
      The broadcast result in the inputs' dtype.

    Points of non-differentiability:
      Ties ``a == b``: split 0.5/0.5 by default. Infinite inputs give the hard
      result; NaN propagates.

    Raises:
      TypeError, ValueError: as :func:`maximum`.

    Examples:
      >>> import jax, softops as so
      >>> float(so.minimum(1.0, 3.0, temperature=0.0))
      1.0
      >>> float(jax.grad(so.minimum)(2.0, 2.0, temperature=0.0))
      0.5
    """
    return _extreme2("minimum", a, b, temperature, mode, straight_through, subgradient, -1.0)


# ---------------------------------------------------------------------------- clip
@functools.partial(jax.custom_jvp, nondiff_argnums=(3, 4))
def _clip_hard(x, lo, hi, c_lo, c_hi):
    return jnp.clip(x, lo, hi)


def _clip_hard_jvp(c_lo, c_hi, primals, tangents):
    (x, lo, hi), (dx, dlo, dhi) = primals, tangents
    one, zero = jnp.ones((), x.dtype), jnp.zeros((), x.dtype)
    # weight on x; the rest goes to the active bound
    w_lo = jnp.where(x > lo, one, jnp.where(x < lo, zero, c_lo))
    w_hi = jnp.where(x < hi, one, jnp.where(x > hi, zero, c_hi))
    below = x <= lo
    wx = jnp.where(below, w_lo, w_hi)
    wlo = jnp.where(below, 1.0 - w_lo, zero)
    whi = jnp.where(below, zero, 1.0 - w_hi)
    return _clip_hard(x, lo, hi, c_lo, c_hi), tangent(
        (dx, lambda d: wx * d), (dlo, lambda d: wlo * d), (dhi, lambda d: whi * d)
    )


_clip_hard.defjvp(_clip_hard_jvp, symbolic_zeros=True)


def _clip_kink(x, lo, hi, u_lo, u_hi):
    """``jnp.clip(x, lo, hi)`` differentiated as ``lo + relu(x - lo) - relu(x - hi)``
    with each relu's tie at 1/2 (the residual's): at ``x == lo`` the weight on x
    is 1/2, and 0 at ``x == lo == hi``, where the relaxation is constant in x.
    The sides are read from the scaled distances ``u_lo``, ``u_hi`` (see
    :func:`_side`)."""
    return _clip_rule(x, lo, hi, lax.stop_gradient(u_lo), lax.stop_gradient(u_hi))


@jax.custom_jvp
def _clip_rule(x, lo, hi, u_lo, u_hi):
    # (on the scaled distances' shape too, as _max_rule)
    shape = jnp.broadcast_shapes(x.shape, lo.shape, hi.shape, u_lo.shape, u_hi.shape)
    return jnp.broadcast_to(jnp.clip(x, lo, hi), shape)


def _clip_rule_jvp(primals, tangents):
    (x, lo, hi, u_lo, u_hi), (dx, dlo, dhi, _, _) = primals, tangents
    above_lo, above_hi = _side(u_lo), _side(u_hi)
    return _clip_rule(x, lo, hi, u_lo, u_hi), tangent(
        (dx, lambda d: (above_lo - above_hi) * d),
        (dlo, lambda d: (1.0 - above_lo) * d),
        (dhi, lambda d: above_hi * d),
    )


_clip_rule.defjvp(_clip_rule_jvp, symbolic_zeros=True)


def clip(
    x: ArrayLike,
    /,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
    subgradient: str | float = "min_norm",
) -> Array:
    r"""Clip ``x`` to ``[lower, upper]`` (either bound optional) and its relaxations.

    Hard operator: ``jnp.clip(x, lower, upper)``. Relaxation: the two smoothed
    kinks :math:`l + t\,S((x-l)/t) - t\,S((x-u)/t)`, evaluated from whichever
    side is nearer so it is exact far from the band: ``clip(1e10, -1, 1)`` is
    exactly 1 at every temperature. It stays inside ``[lower, upper]`` and
    converges to the hard clip as :math:`t \to 0`. With one bound it is
    :func:`maximum` (``x``, ``lower``) or :func:`minimum` (``x``, ``upper``).

    Args:
      x: floating-point array.
      lower, upper: bounds (arrays or scalars, broadcast against ``x``), or
        ``None``; concrete bounds must satisfy ``lower <= upper``.
      temperature: non-negative, traced.
      mode: ``logistic`` (default), ``algebraic``, ``gaussian``, ``ramp``,
        ``cubic``, ``quintic``.
      straight_through: hard value, relaxed derivative.
      subgradient: derivative w.r.t. ``x`` at ``x == lower`` and ``x == upper``:
        ``"min_norm"`` (0), ``"left"`` (0 at lower, 1 at upper), ``"right"``
        (1 at lower, 0 at upper), or a number in [0, 1] (the bound gets one
        minus it).

    Returns:
      An array of the inputs' dtype.

    Points of non-differentiability:
      Kinks at ``x == lower`` (one-sided derivatives 0 and 1) and
      ``x == upper`` (1 and 0); by default ``jax.grad`` returns 0 w.r.t. ``x``
      there and 1 w.r.t. the bound. ``+-inf`` give the bounds; NaN propagates.

    Raises:
      TypeError: non-floating input. ValueError: unknown mode, bad subgradient,
      concrete ``lower > upper`` or negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.clip(1e10, -1.0, 1.0)), float(so.clip(0.5, 0.0, 1.0, temperature=0.0))
      (1.0, 0.5)
      >>> float(jax.grad(so.clip)(1.0, 0.0, 1.0, temperature=0.0))
      0.0
    """
    if lower is None and upper is None:
        (x,), t, dtype = prepare("clip", ("x",), (x,), temperature)
        _checks.mode(mode, SMOOTH_MODES, "clip")
        # x itself, broadcast against t (no 0 * t: NaN at t = inf; no x + 0: -0.0 -> +0.0)
        same = lambda x, t: jnp.broadcast_to(x, jnp.broadcast_shapes(x.shape, t.shape))
        return finish(lambda x: x, same, (x, t), straight_through, dtype, op="clip")
    c_lo = resolve_subgradient(subgradient, 0.0, 1.0, "clip")
    c_hi = resolve_subgradient(subgradient, 1.0, 0.0, "clip")
    # One bound: clip is maximum(x, lower) or minimum(x, upper), with clip's rule
    # at the bound (a number: the weight on x) rather than the tie split.
    if lower is None:
        return _extreme2(
            "clip", x, upper, temperature, mode, straight_through, c_hi, -1.0, names=("x", "upper")
        )
    if upper is None:
        return _extreme2(
            "clip", x, lower, temperature, mode, straight_through, c_lo, 1.0, names=("x", "lower")
        )
    (x, lo, hi), t, dtype = prepare("clip", ("x", "lower", "upper"), (x, lower, upper), temperature)
    if _checks.is_concrete(lo) and _checks.is_concrete(hi) and bool(np.any(np.asarray(lo) > np.asarray(hi))):
        raise ValueError("clip expects lower <= upper")
    fam = family(_checks.mode(mode, SMOOTH_MODES, "clip"))
    # x - lower and x - upper are NaN for a finite x only if a bound is infinite
    # (judged on the arguments, cast: under jit even a Python float is traced once cast)
    finite_bounds = _checks.known_finite(lower, dtype) and _checks.known_finite(upper, dtype)

    def hard(x, lo, hi):
        return _clip_hard(x, lo, hi, c_lo, c_hi)

    def soft(x, lo, hi, t):
        t = capped(t)  # (t = inf: see capped)
        h = hard(x, lo, hi)
        # (on x == lower == upper the relaxation is the constant bound: d/dt = 0)
        apart = lo != hi
        at_lo, at_hi = (x == lo) & apart, (x == hi) & apart
        outer = jnp.where(at_lo, plus_t(h, t, fam.s0), jnp.where(at_hi, plus_t(h, t, -fam.s0), h))
        if fam.name in PER_TEMPERATURE_MODES:
            return _soft_clip_light(fam, x, lo, hi, t, outer, finite_bounds)
        z = jnp.minimum(jnp.abs(x - lo), jnp.abs(x - hi))
        # Only x is masked: the bounds and the band come from the closure, per
        # temperature (masked lanes see x = 0, t = 1 and clamped distances).
        bound = band(t)

        def kernel(x, t, r):
            # lo + t S((x-lo)/t) - t S((x-hi)/t), written as the exact clip plus the
            # two small residuals: exact far from the band (clip(1e10, -1, 1) == 1).
            # Only the nearer edge is within the band; the other distance is
            # clamped to it (where its residual is 0) so that it cannot overflow.
            u_lo, u_hi = (scale(_clamp(-bound, d, bound), t, r) for d in (x - lo, x - hi))
            v = _clip_kink(x, lo, hi, u_lo, u_hi) + t * (residual(fam, u_lo) - residual(fam, u_hi))
            # in range by selects: on a tie (a compact mode past the band, a
            # residual absorbed by rounding, lower == upper) the value's own
            # derivative passes, where lax.clamp's would be 0 and jnp.clip's halved
            return jnp.where(v < lo, lo, jnp.where(v > hi, hi, v))

        return relax(z, t, (x,), kernel, outer)

    return finish(hard, soft, (x, lo, hi, t), straight_through, dtype, op="clip")


def _soft_clip_light(fam, x, lo, hi, t, outer, finite_bounds):
    """clip's relaxation in the :data:`PER_TEMPERATURE_MODES`: each distance is
    scaled, and clamped to ``[-L, L]`` in units of ``t`` where the residual is
    exactly 0 there (gaussian) or left to take an infinite distance as its
    limit (the others), so an edge beyond the band adds exactly 0 (with zero
    derivatives) or its exact far tail (algebraic), and the branch is chosen per
    temperature: ``outer`` (the hard clip plus its first-order term) only below
    the smallest usable temperature, ``t = 0`` included."""
    d_lo, d_hi, odd = x - lo, x - hi, None
    if not finite_bounds:
        # NaN distances: x on an infinite bound (inf - inf), or a NaN x or bound.
        # Those lanes take the hard clip (its value and its rule at a bound).
        odd = jnp.isnan(d_lo) | jnp.isnan(d_hi)
        zero = jnp.zeros((), x.dtype)
        d_lo, d_hi = jnp.where(odd, zero, d_lo), jnp.where(odd, zero, d_hi)
    to_bound = scale_to_bound(fam.name, RESIDUAL_EVERYWHERE)

    def kernel(t, r):
        # lo + t S((x-lo)/t) - t S((x-hi)/t) as the exact clip less the difference
        # of the two small residuals (subtracted, so that a difference of +0
        # leaves a signed zero as it is); a NaN x is NaN in the kink (see times_t)
        u_lo, u_hi = to_bound(d_lo, t, r), to_bound(d_hi, t, r)
        v = _clip_kink(x, lo, hi, u_lo, u_hi) - times_t(residual(fam, u_hi) - residual(fam, u_lo), t)
        # in range by selects (see the general path)
        return jnp.where(v < lo, lo, jnp.where(v > hi, hi, v))

    return relax_saturated(t, kernel, outer, odd)


# ------------------------------------------------------------------------ registry
def _np_relu(x):
    return np.maximum(x, 0)


register(
    OperatorInfo(
        name="relu",
        fn=relu,
        hard=jax.nn.relu,
        family="elementwise",
        kind="relu-like",
        modes=_modes(SMOOTH_MODES, 1),
        default_mode="logistic",
        kinks=(Kink("x == 0", "kink", 0.0, 1.0, (0.0,)),),
        sample=_sample1,
    )
)
register(
    OperatorInfo(
        name="abs",
        fn=abs,
        hard=jnp.abs,
        family="elementwise",
        kind="relu-like",
        modes=_modes(SMOOTH_MODES, 1),
        default_mode="algebraic",
        kinks=(Kink("x == 0", "kink", -1.0, 1.0, (0.0,)),),
        sample=_sample1,
        notes="abs(0) == 0 in every mode; far from 0 the relaxation is |x| - 2 S(0) t.",
    )
)
register(
    OperatorInfo(
        name="heaviside",
        fn=heaviside,
        hard=lambda x: jnp.heaviside(x, jnp.asarray(0.5, x.dtype)),
        family="elementwise",
        kind="step-like",
        modes=_modes(STEP_MODES),
        default_mode="logistic",
        kinks=(Kink("x == 0", "jump", 0.0, 0.0, (0.0,)),),
        sample=_sample1,
        subgradient=False,
    )
)
register(
    OperatorInfo(
        name="sign",
        fn=sign,
        hard=jnp.sign,
        family="elementwise",
        kind="step-like",
        modes=_modes(STEP_MODES),
        default_mode="logistic",
        kinks=(Kink("x == 0", "jump", 0.0, 0.0, (0.0,)),),
        sample=_sample1,
        subgradient=False,
    )
)
register(
    OperatorInfo(
        name="maximum",
        fn=maximum,
        hard=jnp.maximum,
        family="elementwise",
        kind="relu-like",
        modes=_modes(SMOOTH_MODES, 1),
        default_mode="logistic",
        kinks=(Kink("a == b", "tie", 0.0, 1.0, (1.0, 1.0)),),
        sample=_sample2,
    )
)
register(
    OperatorInfo(
        name="minimum",
        fn=minimum,
        hard=jnp.minimum,
        family="elementwise",
        kind="relu-like",
        modes=_modes(SMOOTH_MODES, 1),
        default_mode="logistic",
        kinks=(Kink("a == b", "tie", 1.0, 0.0, (1.0, 1.0)),),
        sample=_sample2,
    )
)
register(
    OperatorInfo(
        name="clip",
        fn=clip,
        hard=jnp.clip,
        family="elementwise",
        kind="relu-like",
        modes=_modes(SMOOTH_MODES, 1),
        default_mode="logistic",
        kinks=(
            Kink("x == lower", "kink", 0.0, 1.0, (-1.0, -1.0, 1.0)),
            Kink("x == upper", "kink", 1.0, 0.0, (1.0, -1.0, 1.0)),
        ),
        sample=lambda key, dtype: (
            (_sample1(key, dtype)[0][0], np.asarray(-1.0, dtype), np.asarray(1.0, dtype)),
            {},
        ),
    )
)
del math
