"""Relaxation families: the smooth step kernels behind every mode.

A family is a cumulative distribution ``cdf(u)`` of a symmetric density ``pdf``
(the smoothed step) together with its integral ``tail(v) = int_{-inf}^v cdf``
evaluated on ``v <= 0`` only (the smoothed relu below its kink, which is where
it is small and can be computed without cancellation). Every operator with
temperature ``t`` evaluates these at ``u = x / t``:

* step-like operators use ``cdf(x / t)``;
* relu-like operators use ``t * S(x / t)`` with ``S(u) = max(u, 0) + tail(-|u|)``.

Symmetry gives ``cdf(-u) = 1 - cdf(u)`` and ``S(u) - S(-u) = u``; each kernel
below is written branch-wise from those identities so that it is accurate on
both sides and has a finite derivative of every order for all finite ``u``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.special import ndtr

Kernel = Callable[[jax.Array], jax.Array]


@dataclasses.dataclass(frozen=True)
class Family:
    """One relaxation family (one ``mode`` value)."""

    name: str
    cdf: Kernel
    tail: Kernel | None
    """``S(v)`` for ``v <= 0``; ``None`` when the density has no finite mean."""
    s0: float
    """``S(0)``: the relu relaxation's value at 0 in units of the temperature."""
    smoothness: float
    """Differentiability class of ``cdf`` (``math.inf`` for C-infinity)."""
    support: float | None
    """Half-width of the density's support in units of ``t``; ``None`` if unbounded."""
    description: str
    odd: Kernel
    """``cdf(u) - 1/2``, accurate near ``u = 0`` (an odd function)."""
    tail_coef: float = 0.0
    """``c`` with ``1 - cdf(u) ~ c / u`` as ``u -> inf`` for the heavy-tailed
    surrogates (``arctan``, ``fast_sigmoid``); 0 for the families whose tails
    vanish faster than ``1/u``. It gives the first-order far-field term
    ``-c t / x`` of a step, which carries the derivative with respect to the
    temperature where the kernel itself is not evaluated (``|x| > L t``, ``t = 0``)."""
    lower: Callable[[jax.Array], tuple[jax.Array, jax.Array]] | None = None
    """``a -> (tail(-a), cdf(-a))`` for ``a >= 0``: the smoothed relu below its
    kink and the lower tail of the step, computed together (they share an
    exp, a sqrt or an ndtr). :func:`residual` and its derivative use it;
    ``None`` where ``tail`` is."""
    sign: Kernel | None = None
    """``2 * odd(u)``, the relaxed sign, differentiated as ``2 * pdf``; written
    directly where the factor 2 cancels a constant of ``odd`` (XLA does not
    fold ``2 * (0.5 * v)``, a multiply per element)."""


def probability(p: jax.Array) -> jax.Array:
    """``p`` clamped to [0, 1]: polynomial and product forms can round to 1 + eps.

    A ``where`` rather than ``jnp.clip``: the derivative is the kernel's own
    wherever the value is in range (``jnp.clip`` halves it at exactly 1).
    """
    one, zero = jnp.ones((), p.dtype), jnp.zeros((), p.dtype)
    return jnp.where(p > one, one, jnp.where(p < zero, zero, p))


def _unit_interval(cdf: Kernel) -> Kernel:
    """``cdf`` followed by :func:`probability`."""
    return lambda u: probability(cdf(u))


def _split(u: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Double-where helper: the negative and non-negative halves of ``u``."""
    neg = u < 0
    zero = jnp.zeros_like(u)
    return neg, jnp.where(neg, u, zero), jnp.where(neg, zero, u)


# --- logistic: C-infinity, the textbook sigmoid / softplus --------------------------
def _logistic_cdf(u):
    return jax.nn.sigmoid(u)


def _logistic_tail(v):
    return jax.nn.softplus(v)


# --- algebraic: built on sqrt(u^2 + 1) ----------------------------------------------
# Evaluated at every u, infinite ones included: sqrt(1 + u^2) overflows to inf
# beyond |u| ~ 1.8e19 in float32, and each kernel below then takes its limit
# (the tails 1 / (h + |u|) and 1 / (h (h + |u|)) are 0, the cdf 0 or 1). The
# kernels that would form inf / inf (the sign, the density's derivatives) clamp u to
# ALGEBRAIC_FAR first, where they have reached their limit to working precision.
ALGEBRAIC_FAR = 1e18


def _algebraic_h(u):
    return jnp.sqrt(1.0 + u * u)


def _far_clamped(u):
    far = jnp.asarray(ALGEBRAIC_FAR, u.dtype)
    return lax.clamp(-far, u, far)


@jax.custom_jvp
def _algebraic_cdf(u):
    # 1/2 (1 + u / h) from the lower tail q = 1/2 (1 - |u| / h), without cancellation.
    h = _algebraic_h(u)
    q = 0.5 / (h * (h + jnp.abs(u)))
    return jnp.where(u < 0, q, 1.0 - q)


def _algebraic_pdf(u):
    # (|u| clamped: the derivatives of 1 / h^3 form u / h, NaN at an infinite u)
    return 0.5 / _algebraic_h(_far_clamped(u)) ** 3


_algebraic_cdf.defjvps(lambda g, ans, u: _algebraic_pdf(u) * g)


def _algebraic_tail(v):
    # (v + sqrt(1 + v^2)) / 2 = 1 / (2 (sqrt(1 + v^2) - v)), exact for v <= 0.
    return 0.5 / (_algebraic_h(v) - v)


# --- gaussian: normal CDF -----------------------------------------------------------
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _gaussian_cdf(u):
    return ndtr(u)


def _gaussian_tail(v):
    return v * ndtr(v) + _INV_SQRT_2PI * jnp.exp(-0.5 * v * v)


# --- compactly supported piecewise polynomials on [-1, 1] ----------------------------
# Clamps by min/max: every cdf and odd part is differentiated as its density
# (_with_density) and every tail through `residual`'s rule, never by autodiff,
# so the clamps' tie rules at the band edges do not matter.
def _unit(u):
    """(u + 1) / 2 clamped to [0, 1]."""
    return jnp.clip(0.5 * u + 0.5, 0.0, 1.0)


def _unit_below(v):
    """(v + 1) / 2 clamped at 0, for v <= 0 (where the tails are evaluated)."""
    return jnp.maximum(0.5 * v + 0.5, 0.0)


def _ramp_cdf(u):
    return _unit(u)


def _ramp_tail(v):
    return jnp.square(_unit_below(v))


def _cubic_cdf(u):
    v = _unit(u)
    return v * v * (3.0 - 2.0 * v)


def _cubic_tail(v):
    w = _unit_below(v)
    return w**3 * (2.0 - w)


def _quintic_cdf(u):
    v = _unit(u)
    return v**3 * (10.0 + v * (-15.0 + 6.0 * v))


def _quintic_tail(v):
    w = _unit_below(v)
    return w**4 * (5.0 + w * (-6.0 + 2.0 * w))


# --- (tail(-a), cdf(-a)) for a >= 0, each pair from one shared evaluation ----------
def _logistic_lower(a):
    e = jnp.exp(-a)
    return jnp.log1p(e), e / (1.0 + e)


def _algebraic_lower(a):
    h = _algebraic_h(a)
    return 0.5 / (h + a), 0.5 / (h * (h + a))  # (a derivative alone needs one division)


def _gaussian_lower(a):
    low = ndtr(-a)
    return _INV_SQRT_2PI * jnp.exp(-0.5 * a * a) - a * low, low


def _polynomial_lower(tail, cdf):
    def lower(a):
        w = jnp.maximum(0.5 - 0.5 * a, 0.0)
        return tail(w), cdf(w)

    return lower


_LOWER = {
    "logistic": _logistic_lower,
    "algebraic": _algebraic_lower,
    "gaussian": _gaussian_lower,
    "ramp": _polynomial_lower(jnp.square, lambda w: w),
    "cubic": _polynomial_lower(lambda w: w**3 * (2.0 - w), lambda w: w * w * (3.0 - 2.0 * w)),
    "quintic": _polynomial_lower(
        lambda w: w**4 * (5.0 + w * (-6.0 + 2.0 * w)), lambda w: w**3 * (10.0 + w * (-15.0 + 6.0 * w))
    ),
}


# --- surrogate-gradient kernels for spiking networks (step-like operators only) -----
def _arctan_cdf(u):
    return 0.5 + jnp.arctan(0.5 * math.pi * u) / math.pi


def _fast_sigmoid_cdf(u):
    return 0.5 * (1.0 + u / (1.0 + jnp.abs(u)))


def _triangular_cdf(u):
    neg, un, up = _split(_clip1(u))
    return jnp.where(neg, 0.5 * jnp.square(1.0 + un), 1.0 - 0.5 * jnp.square(1.0 - up))


def _triangular_tail(v):
    return jnp.maximum(1.0 + v, 0.0) ** 3 / 6.0


def _clip1(u):
    # (differentiated only through the densities, so jnp.clip's tie rule, which
    # would halve the derivative at exactly +-1, never applies)
    return jnp.clip(u, -1.0, 1.0)


_ODD = {
    "logistic": lambda u: 0.5 * jnp.tanh(0.5 * u),
    "algebraic": lambda u: 0.5 * u / _algebraic_h(u),  # (finite u only: the staircases)
    "gaussian": lambda u: 0.5 * jax.scipy.special.erf(u * (1.0 / math.sqrt(2.0))),
    "ramp": lambda u: 0.5 * _clip1(u),
    "cubic": lambda u: 0.25 * _clip1(u) * (3.0 - jnp.square(_clip1(u))),
    "quintic": lambda u: (lambda w: w * (15.0 + w * w * (-10.0 + 3.0 * w * w)) / 16.0)(_clip1(u)),
    "arctan": lambda u: jnp.arctan(0.5 * math.pi * u) / math.pi,
    "fast_sigmoid": lambda u: 0.5 * u / (1.0 + jnp.abs(u)),
    "triangular": lambda u: (lambda w: w - 0.5 * w * jnp.abs(w))(_clip1(u)),
}
_ODD["boxcar"] = _ODD["ramp"]
# 2 * odd, where it is simpler than doubling odd (the others double it).
_SIGN = {
    "logistic": lambda u: jnp.tanh(0.5 * u),
    "algebraic": lambda u: (lambda w: w / _algebraic_h(w))(_far_clamped(u)),
}


def _band(u, inner):
    """``inner(u)`` on ``|u| <= 1`` and 0 outside (double where)."""
    inside = jnp.abs(u) <= 1
    return jnp.where(inside, inner(jnp.where(inside, u, 0.0)), 0.0)


def _logistic_pdf(u):
    e = jnp.exp(-jnp.abs(u))
    return e / jnp.square(1.0 + e)


# The densities ``cdf'``, each written so that it is accurate in its tails.
# Autodiff of the cdf formulas would cancel there (sigmoid' = s (1 - s),
# tanh' = 1 - tanh^2, (1 + u / (1 + |u|))' as a difference of two 1/u terms),
# and the temperature derivative ``-u / t * cdf'(u)`` multiplies that error by
# ``|u| / t``.
_PDF = {
    "logistic": _logistic_pdf,
    "algebraic": _algebraic_pdf,
    "gaussian": lambda u: _INV_SQRT_2PI * jnp.exp(-0.5 * u * u),
    "ramp": lambda u: _band(u, lambda w: jnp.full_like(w, 0.5)),
    "cubic": lambda u: _band(u, lambda w: 0.75 * (1.0 + w) * (1.0 - w)),
    "quintic": lambda u: _band(u, lambda w: (15.0 / 16.0) * jnp.square((1.0 + w) * (1.0 - w))),
    "arctan": lambda u: 0.5 / (1.0 + jnp.square(0.5 * math.pi * u)),
    "fast_sigmoid": lambda u: 0.5 / jnp.square(1.0 + jnp.abs(u)),
    "triangular": lambda u: _band(u, lambda w: 1.0 - jnp.abs(w)),
}
_PDF["boxcar"] = _PDF["ramp"]


def _with_density(f: Kernel, pdf: Kernel) -> Kernel:
    """``f`` (a cdf, or the cdf less 1/2) differentiated as ``pdf``, to every order."""
    g = jax.custom_jvp(f)
    g.defjvps(lambda du, ans, u: pdf(u) * du)
    return g


# The steps that provably stay in [0, 1] in floating point (a logistic, 1 - q
# with 0 <= q <= 1/2, and jax's ndtr: (1 + erf(w)) / 2 for |w| < 1/sqrt(2),
# else erfc(|w|) / 2 or (2 - erfc(|w|)) / 2 with 0 <= erfc(|w|) <= erfc(1/sqrt(2)))
# skip the clamp: two compares and two selects per element, and in reverse mode
# the clamp's masks would need the step's value, which the derivative does not.
# So do the ramp, a clip to [0, 1], and the cubic v^2 (3 - 2v), v in [0, 1]:
# 3 - 2v is exact for v >= 1/2, and with 1 - v = e the computed product is at
# most (1 - 3e^2 + 2e^3)(1 + 2^-p), below the midpoint 1 + 2^-p between 1 and
# the next float, so it never rounds above 1 (below v = 1/2 it is below 1/2).
_IN_RANGE = ("logistic", "algebraic", "gaussian", "ramp", "boxcar", "cubic")
# The quintic v^3 (10 - 15v + 6v^2) is never negative (its factor is >= 1 on
# [0, 1]) but does round to 1 + eps: one compare and one select.
_AT_MOST_ONE = ("quintic",)


def _at_most_one(cdf: Kernel) -> Kernel:
    def capped(u):
        p = cdf(u)
        one = jnp.ones((), p.dtype)
        return jnp.where(p > one, one, p)

    return capped


def _step(f: Family) -> Kernel:
    """``f``'s cdf differentiated as its density, clamped to [0, 1] unless in range."""
    cdf = _with_density(f.cdf, _PDF[f.name])
    if f.name in _IN_RANGE:
        return cdf
    return _at_most_one(cdf) if f.name in _AT_MOST_ONE else _unit_interval(cdf)


def _sign(f: Family) -> Kernel:
    """``2 * odd``, differentiated as ``2 * pdf``."""
    odd, pdf = f.odd, _PDF[f.name]
    return _with_density(_SIGN.get(f.name, lambda u: 2.0 * odd(u)), lambda u: 2.0 * pdf(u))


FAMILIES: dict[str, Family] = {
    f.name: dataclasses.replace(
        f,
        cdf=_step(f),
        odd=_with_density(f.odd, _PDF[f.name]),
        sign=_sign(f),
        lower=_LOWER.get(f.name),
    )
    for f in (
        Family(
            "logistic",
            _logistic_cdf,
            _logistic_tail,
            math.log(2.0),
            math.inf,
            None,
            "logistic sigmoid / softplus (C-infinity)",
            _ODD["logistic"],
        ),
        Family(
            "algebraic",
            _algebraic_cdf,
            _algebraic_tail,
            0.5,
            math.inf,
            None,
            "(1 + u / sqrt(1 + u^2)) / 2 and its integral (C-infinity, polynomial tails)",
            _ODD["algebraic"],
        ),
        Family(
            "gaussian",
            _gaussian_cdf,
            _gaussian_tail,
            _INV_SQRT_2PI,
            math.inf,
            None,
            "standard normal CDF (C-infinity)",
            _ODD["gaussian"],
        ),
        Family(
            "ramp",
            _ramp_cdf,
            _ramp_tail,
            0.25,
            0,
            1.0,
            "linear ramp on [-t, t]: C0 step, Huber-like relu",
            _ODD["ramp"],
        ),
        Family(
            "cubic",
            _cubic_cdf,
            _cubic_tail,
            3.0 / 16.0,
            1,
            1.0,
            "cubic smoothstep on [-t, t]: C1 step",
            _ODD["cubic"],
        ),
        Family(
            "quintic",
            _quintic_cdf,
            _quintic_tail,
            5.0 / 32.0,
            2,
            1.0,
            "quintic smootherstep on [-t, t]: C2 step",
            _ODD["quintic"],
        ),
        Family(
            "arctan",
            _arctan_cdf,
            None,
            math.nan,
            math.inf,
            None,
            "arctan surrogate, 1/2 + arctan(pi u / 2) / pi (Fang et al. 2021)",
            _ODD["arctan"],
            2.0 / math.pi**2,
        ),
        Family(
            "fast_sigmoid",
            _fast_sigmoid_cdf,
            None,
            math.nan,
            1,
            None,
            "fast sigmoid / SuperSpike surrogate, derivative 1/(2 (1 + |u|)^2)",
            _ODD["fast_sigmoid"],
            0.5,
        ),
        Family(
            "triangular",
            _triangular_cdf,
            _triangular_tail,
            1.0 / 6.0,
            1,
            1.0,
            "triangular surrogate, derivative max(0, 1 - |u|)",
            _ODD["triangular"],
        ),
        Family(
            "boxcar",
            _ramp_cdf,
            _ramp_tail,
            0.25,
            0,
            1.0,
            "boxcar surrogate, derivative 1/2 on [-1, 1] (the ramp family)",
            _ODD["boxcar"],
        ),
    )
}

#: Modes every relu-like and step-like operator offers (finite-mean densities).
SMOOTH_MODES: tuple[str, ...] = ("logistic", "algebraic", "gaussian", "ramp", "cubic", "quintic")
#: Extra modes for the step-like operators used as spiking nonlinearities.
SURROGATE_MODES: tuple[str, ...] = ("arctan", "fast_sigmoid", "triangular", "boxcar")
STEP_MODES: tuple[str, ...] = SMOOTH_MODES + SURROGATE_MODES
#: Modes whose residual ``tail(-|u|)`` is exactly 0 at the saturation bound
#: ``|u| = L`` (exponential or compact tails; the algebraic tail is ``1 / (4 L)``
#: there): a relaxation built on them can clamp ``x / t`` to ``L`` and land on
#: its hard value without choosing a branch per element.
LIGHT_TAIL_MODES: tuple[str, ...] = ("logistic", "gaussian", "ramp", "cubic", "quintic")
#: Modes whose residual ``tail(-|u|)`` takes an infinite argument as its limit,
#: 0, with every derivative (not gaussian: its ``a * ndtr(-a)`` is ``inf * 0``
#: there): a relu-like kernel on them scales without clamping
#: (:func:`softops._mechanism.scale_flat`).
RESIDUAL_EVERYWHERE: tuple[str, ...] = ("logistic", "algebraic", "ramp", "cubic", "quintic")
#: Modes in which a relu-like relaxation chooses its branch per temperature, not
#: per element (:func:`softops._mechanism.relax_saturated`): the light tails,
#: whose scaled distance can be clamped to ``L``, and the algebraic one, exact
#: at every distance.
PER_TEMPERATURE_MODES: tuple[str, ...] = LIGHT_TAIL_MODES + ("algebraic",)
#: Step modes whose ``cdf`` is exactly 0 and 1 (and ``odd`` exactly -1/2 and
#: 1/2) at ``u = -L`` and ``L``.
LIGHT_TAIL_STEPS: tuple[str, ...] = LIGHT_TAIL_MODES + ("triangular", "boxcar")
#: Step modes whose cdf, sign and density take an infinite argument as their
#: limit, with every derivative (the gaussian density's derivative ``-u
#: phi(u)`` is ``inf * 0`` there; the algebraic ``odd`` is not, ``inf / inf``,
#: and only the staircases, at finite ``u``, call it): a step built on them
#: scales without clamping (:func:`softops._mechanism.scale_flat`).
FLAT_STEPS: tuple[str, ...] = ("logistic", "algebraic", "ramp", "cubic", "quintic", "triangular", "boxcar")
#: Step modes in which a step-like relaxation chooses its branch per temperature.
PER_TEMPERATURE_STEPS: tuple[str, ...] = LIGHT_TAIL_STEPS + ("algebraic",)


def family(name: str) -> Family:
    return FAMILIES[name]


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def residual(fam: Family, u: jax.Array) -> jax.Array:
    """``S(u) - max(u, 0) = tail(-|u|)``: what the smoothing adds to a kink.

    One evaluation of the family's tail, accurate on both sides. Its derivative
    ``cdf(u) - H(u)`` jumps at 0 (as ``max(u, 0)``'s does); at exactly 0 it is
    taken with ``H(0) = 1/2``, matching jax's tie rule for ``jnp.maximum`` and
    ``jnp.clip``, so ``jnp.maximum(u, 0) + residual(u)`` differentiates to
    ``cdf(u)`` everywhere, to every order.
    """
    assert fam.lower is not None
    return fam.lower(jnp.abs(u))[0]


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _slope(fam: Family, u: jax.Array, low: jax.Array) -> jax.Array:
    """``cdf(u) - H(u)`` (``H(0) = 1/2``) given ``low = cdf(-|u|)``: it is
    ``-sign(u) * low``, with no cancellation on either side of 0 (``cdf(u) - 1``
    rounds to 0 for large ``u``). Differentiated as ``pdf(u)`` in ``u``; ``low``
    is a function of ``u`` and its own tangent is not counted."""
    return -jnp.sign(u) * low


def _slope_jvp(fam, primals, tangents):
    (u, low), (du, _) = primals, tangents
    return _slope(fam, u, low), _PDF[fam.name](u) * du


_slope.defjvp(_slope_jvp)


@residual.defjvp
def _residual_jvp(fam, primals, tangents):
    (u,), (du,) = primals, tangents
    # the tail's exp / sqrt / ndtr is shared with the slope's (XLA merges the
    # primal's evaluation with this one)
    _, low = fam.lower(jnp.abs(u))
    return residual(fam, u), _slope(fam, u, low) * du
