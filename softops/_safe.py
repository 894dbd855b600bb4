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
from softops._mechanism import band, finish, prepare, ratio, relax, scale, soft_region
from softops._registry import Kink, OperatorInfo, register

Array = jax.Array
ArrayLike = Any
_MODES = {"algebraic": float("inf")}


def _check_mode(mode, op):
    return _checks.mode(mode, tuple(_MODES), op)


def _safe_den(x):
    """``x`` where it is non-zero, 1 elsewhere (the inner half of a double where)."""
    return jnp.where(x == 0, jnp.ones((), x.dtype), x)


# ---------------------------------------------------------------------------- sqrt
@jax.custom_jvp
def _sqrt_hard(x):
    return jnp.sqrt(x)


@_sqrt_hard.defjvp
def _sqrt_hard_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    y = _sqrt_hard(x)
    g = jnp.where(x == 0, jnp.zeros((), x.dtype), 0.5 / _safe_den(y))
    return y, g * dx


@jax.custom_jvp
def _shifted_root(x, t, r):
    """``sqrt(x + t^2) - t`` for ``x >= 0``, ``t > 0``, as ``t g(x / t^2)``, ``g(w) = sqrt(1 + w) - 1``.

    Its derivatives are written out (``1 / (2 s)`` and ``-K / s`` with ``s =
    sqrt(x + t^2)``): autodiff of the quotient form cancels in d/dt for
    ``x >> t^2``.
    """
    w = scale(scale(x, t, r), t, r)  # t * t could underflow; r = 1 / t
    return t * (w / (jnp.sqrt(1.0 + w) + 1.0))


@_shifted_root.defjvp
def _shifted_root_jvp(primals, tangents):
    (x, t, r), (dx, dt, _) = primals, tangents  # r's tangent is dt's, via t
    k = _shifted_root(x, t, r)
    s = k + t  # sqrt(x + t^2)
    return k, ratio(dx, 2.0 * s) - ratio(k, s) * dt


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

    def kernel(x, t, r):
        return jnp.where(x < 0, jnp.nan, _shifted_root(jnp.where(x < 0, 0.0, x), t, r))

    def soft(x, t):
        h = _sqrt_hard(x)
        outer = jnp.where(x == 0, h, h - t)
        # sqrt's own scale: the relaxation matters where sqrt(|x|) is within L t.
        return relax(jnp.sqrt(jnp.abs(x)), t, (x,), kernel, outer)

    return finish(_sqrt_hard, soft, (x, t), straight_through, dtype, op="sqrt")


# ----------------------------------------------------------------------------- log
@jax.custom_jvp
def _log_hard(x):
    return jnp.log(x)


@_log_hard.defjvp
def _log_hard_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    g = jnp.where(x == 0, jnp.zeros((), x.dtype), 1.0 / _safe_den(x))
    return _log_hard(x), g * dx


def log(
    x: ArrayLike, /, *, temperature: ArrayLike = 1.0, mode: str = "algebraic", straight_through: bool = False
) -> Array:
    r"""Natural logarithm with a finite derivative at 0, and the shifted relaxation.

    Hard operator: ``jnp.log`` (values bit for bit, ``log(0) = -inf``).
    Relaxation: :math:`\log(x + t)` (``log1p`` at the default ``t = 1``),
    finite at 0, computed from whichever of ``x`` and ``t`` is larger so it
    neither cancels nor overflows.

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

    def kernel(x, t):
        # log(x + t) = log(big) + log1p(small / big), big/small the larger/smaller
        # of x and t: one log and one log1p, no cancellation, accurate for x << t
        # (log1p(x) at t = 1), and no derivative beyond 1 / big <= 1 / t.
        x_big = x >= t
        big = jnp.where(x_big, x, t)
        small = jnp.where(x_big, t, x)
        val = jnp.log(big) + jnp.log1p(ratio(small, big))
        return jnp.where(x < 0, jnp.nan, val)

    def soft(x, t):
        # log(x + t) differs from log(x) + t/x by O((t/x)^2): the kernel only near
        # the pole (x <= L t), the far-field form elsewhere. Double where on both
        # sides: t/x is formed only where x is far from 0 (its x-derivative
        # -t/x^2 would overflow next to the pole and poison the gradient).
        near = (t > 0) & (x <= band(t))
        one, zero = jnp.ones((), x.dtype), jnp.zeros((), x.dtype)
        far_x = jnp.where(~near & (x > 0), x, one)
        h = _log_hard(x)
        outer = jnp.where(x > 0, h + ratio(t, far_x), h)
        inner = kernel(jnp.where(near, x, zero), jnp.where(near, t, one))
        return jnp.where(near, inner, outer)

    return finish(_log_hard, soft, (x, t), straight_through, dtype, op="log")


# -------------------------------------------------------------------------- divide
@jax.custom_jvp
def _div_hard(a, b):
    return jnp.divide(a, b)


@_div_hard.defjvp
def _div_hard_jvp(primals, tangents):
    (a, b), (da, db) = primals, tangents
    bs = _safe_den(b)
    zero = jnp.zeros((), b.dtype)
    ga = jnp.where(b == 0, zero, 1.0 / bs)
    gb = jnp.where(b == 0, zero, -(a / bs) / bs)
    return _div_hard(a, b), ga * da + gb * db


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
      inf/NaN. For ``t > 0`` the relaxation is smooth everywhere. Values and
      derivatives can still overflow where the exact quotient does.

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

    def kernel(a, b, t, r):
        # Two forms, each free of cancellation in its derivatives (a single
        # (a / t) u / (1 + u^2) loses d/dt entirely in float32 for |b| >> t):
        # (a / b) / (1 + (t / b)^2) for |b| >= t, (a / t) u / (1 + u^2) for |b| < t.
        big = jnp.abs(b) >= t
        one = jnp.ones((), b.dtype)
        bb = jnp.where(big, b, one)
        v = ratio(t, bb)
        outer_form = ratio(a, bb) / (1.0 + v * v)
        tt, rr = jnp.where(big, one, t), r.keep(~big)  # r = 1 / t
        u = scale(jnp.where(big, jnp.zeros((), b.dtype), b), tt, rr)
        inner_form = scale(a, tt, rr) * (u / (1.0 + u * u))
        return jnp.where(big, outer_form, inner_form)

    def soft(a, b, t):
        # a b / (b^2 + t^2) = (a / b) (1 + O((t/b)^2)): no first-order term in t.
        # The exact quotient is formed only where it is used (its b-derivative
        # overflows for tiny b, which would turn the masked gradient into NaN).
        far_b = jnp.where(soft_region(b, t), jnp.ones((), b.dtype), b)
        return relax(b, t, (a, b), kernel, _div_hard(a, far_b))

    return finish(_div_hard, soft, (a, b, t), straight_through, dtype, op="divide")


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


@_norm_hard.defjvp
def _norm_hard_jvp(axes, keepdims, primals, tangents):
    (x,), (dx,) = primals, tangents
    m = lax.stop_gradient(jnp.max(jnp.abs(x), axis=axes, keepdims=True))
    live = (m > 0) & jnp.isfinite(m)
    xs = x / jnp.where(live, m, jnp.ones((), x.dtype))
    r = jnp.sqrt(jnp.sum(xs * xs, axis=axes, keepdims=True))
    unit = jnp.where(live, xs / jnp.where(live, r, jnp.ones((), x.dtype)), jnp.zeros((), x.dtype))
    # an infinite entry: the norm is inf and its direction the infinite axes
    inf = jnp.isinf(x)
    unit = jnp.where(jnp.isinf(m), jnp.where(inf, jnp.sign(x), 0.0).astype(x.dtype), unit)
    return _norm_hard(x, axes, keepdims), jnp.sum(unit * dx, axis=axes, keepdims=keepdims)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def _pseudo_huber(x, t, axes, keepdims):
    """``sqrt(|x|^2 + t^2) - t`` over ``axes`` as ``t g(w)``, ``w = sum((x / t)^2)``.

    Only where ``|x| <= L t``; derivatives written out as for :func:`_shifted_root`.
    """
    xs = x / _expand(t, axes, keepdims)
    w = jnp.sum(xs * xs, axis=axes, keepdims=keepdims)
    return t * (w / (jnp.sqrt(1.0 + w) + 1.0))


def _expand(a, axes, keepdims):
    return a if keepdims else jnp.expand_dims(a, axes)


@_pseudo_huber.defjvp
def _pseudo_huber_jvp(axes, keepdims, primals, tangents):
    (x, t), (dx, dt) = primals, tangents
    k = _pseudo_huber(x, t, axes, keepdims)
    s = k + t  # sqrt(|x|^2 + t^2)
    dk = jnp.sum(x * dx, axis=axes, keepdims=keepdims) / s - (k / s) * dt
    return k, dk


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
    2-norm; values bit for bit). Relaxation: :math:`\sqrt{\|x\|^2 + t^2} - t`
    (the algebraic :func:`abs` of the norm; the pseudo-Huber function), smooth
    at the origin with Hessian :math:`I/t` there.

    Args:
      x: floating-point array.
      axis: axis or axes to reduce (``None``: all).
      keepdims: keep reduced axes with size 1.
      temperature: non-negative, traced, broadcasts against the result.
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
      negative temperature.

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

    def soft(x, t):
        h = hard(x)
        mask = soft_region(h, t)  # (h >= 0)
        tb = jnp.broadcast_to(t, jnp.broadcast_shapes(t.shape, h.shape))
        ts = jnp.where(mask, tb, jnp.ones((), x.dtype))
        inner = _pseudo_huber(
            jnp.where(_expand(mask, axes, keepdims), x, jnp.zeros((), x.dtype)), ts, axes, keepdims
        )
        outer = jnp.where(h == 0, h, h - t)
        return jnp.where(mask, inner, outer)

    return finish(hard, soft, (x, t), straight_through, dtype, op="norm")


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
