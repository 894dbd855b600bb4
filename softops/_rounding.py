"""Staircases: round, floor, ceil and their relaxations."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from softops import _checks
from softops._elementwise import _jump
from softops._families import SMOOTH_MODES, family
from softops._mechanism import (
    finish,
    min_temperature,
    prepare,
    reciprocal,
    saturation,
    scale,
    scale_flat,
    times_t,
)
from softops._registry import Kink, OperatorInfo, register

Array = jax.Array
ArrayLike = Any

# Above this temperature the normalised step inside one cell is linear to
# working precision (its deviation is O(1/t^2)), so the staircase is the identity.
_LINEAR_ABOVE = {jnp.dtype(jnp.float32): 1e4, jnp.dtype(jnp.float64): 1e8}


@jax.custom_jvp
def _pin(g, r, linear):
    """The normalised step ``g``, except ``r + 1/2`` at the cell ends and at
    linear temperatures: differentiated as ``g`` (as ``r + 1/2`` where ``linear``).

    At the cell ends (``|r| == 1/2`` exactly) that is 0 and 1, so integers stay
    exact and neighbouring cells meet: the quotient alone misses them by an ulp
    (XLA multiplies by ``1 / (2 norm)``, and a constant temperature has ``norm``
    folded on the host). ``linear`` (per temperature) marks temperatures so
    large that the step is ``r + 1/2`` to working precision; ``g`` is finite
    but meaningless there (``norm`` is that of ``t = 1``) and is not used.
    """
    return jnp.where(linear | (jnp.abs(r) == 0.5), r + 0.5, g)


@_pin.defjvp
def _pin_jvp(primals, tangents):
    (g, r, linear), (dg, dr, _) = primals, tangents
    return _pin(g, r, linear), jnp.where(linear, dr, dg)


def _linear(t):
    return t > _LINEAR_ABOVE[jnp.dtype(t.dtype)]


def _cell_norm(fam, t):
    """``odd(1 / (2 t))`` once per temperature, not once per element.

    Below ``1 / (2 L)`` every family's ``odd`` has saturated at exactly 1/2;
    it is pinned there (with a zero derivative), as the per-element form's
    higher t-derivatives would otherwise form powers of ``1 / t`` that overflow.
    """
    one = jnp.ones((), t.dtype)
    linear = _linear(t)
    flat = t < 0.5 / saturation(t.dtype)
    tn = jnp.where(linear | flat, one, t)
    # bit for bit the elements' 1 / t where kept; that of t = 1 (s too) elsewhere: 0.5 / norm
    # is differentiated, and a tiny norm would overflow its higher derivatives
    rn = reciprocal(tn)
    return jnp.where(flat, jnp.asarray(0.5, t.dtype), fam.odd(scale(jnp.asarray(0.5, t.dtype), tn, rn)))


def _staircase(op, x, temperature, mode, straight_through, hard_fn, cell):
    (x,), t, dtype = prepare(op, ("x",), (x,), temperature)
    fam = family(_checks.mode(mode, SMOOTH_MODES, op))

    def hard(x):
        return _jump(hard_fn(x))

    def soft(x, t):
        # r is the offset from the jump at the centre of x's cell, |r| <= 1/2, so
        # r / t cannot overflow above the smallest usable temperature: it is not
        # clamped, and the branch is chosen per temperature, not per element
        # (every family's odd part is exactly +-1/2, its density 0, where
        # |r / t| passes the saturation bound). The step inside the cell is
        # 1/2 + odd(r / t) / (2 odd(1 / (2 t))): exactly antisymmetric, 0 and 1
        # at the cell ends.
        base, r = cell(x)
        live = t > min_temperature(t.dtype)
        finite = jnp.isfinite(x)  # (+-inf: r is NaN; the result is x itself)
        one = jnp.ones((), t.dtype)
        u = scale_flat(r, jnp.where(live, t, one), reciprocal(t))
        # (times_t: a NaN r, on the lanes that take x, adds nothing to d/dt)
        g = _pin(0.5 + times_t(fam.odd(u), 0.5 / _cell_norm(fam, t)), r, _linear(t))
        # Below the smallest usable temperature, the hard staircase, except that
        # on a jump every t > 0 gives the midpoint.
        tiny = jnp.where((r == 0) & (t > 0), base + 0.5, hard(x))
        return jnp.where(live & finite, base + g, jnp.where(live, _jump(x), tiny))

    return finish(hard, soft, (x, t), straight_through, dtype, op=op)


def _round_cell(x):
    m = jnp.floor(x)  # the jump at m + 1/2 sits at the centre of [m, m + 1)
    return m, (x - m) - 0.5


def _floor_cell(x):
    m = jnp.round(x)  # the jump at m sits at the centre of [m - 1/2, m + 1/2]
    return m - 1.0, x - m


def _ceil_cell(x):
    m = jnp.round(x)
    return m, x - m


_DOC_COMMON = """
    Args:
      x: floating-point array.
      temperature: non-negative, traced, broadcasts against ``x``; the width of
        each smoothed jump in the units of ``x``.
      mode: ``logistic`` (default), ``algebraic``, ``gaussian``, ``ramp``,
        ``cubic``, ``quintic``. Compact modes equal the hard staircase outside
        ``[jump - t, jump + t]`` for ``t <= 1/2``.
      straight_through: hard value, relaxed derivative (the classic
        straight-through rounding estimator with ``mode="ramp"`` and ``t >= 1/2``
        has derivative 1 everywhere).

    Returns:
      An array of ``x``'s dtype, broadcast against ``temperature``.

"""


def round(  # noqa: A001 - mirrors jnp.round
    x: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""Round to the nearest integer (half to even) and its smooth staircase.

    Hard operator: ``jnp.round``. Relaxation: inside each unit cell
    :math:`[m, m+1)` the value is :math:`m + g(x - m - 1/2)`, where
    :math:`g(r) = 1/2 + \mathrm{odd}(r/t) / (2\,\mathrm{odd}(1/(2t)))` is the
    mode's step normalised to run from 0 to 1 across the cell
    (:math:`\mathrm{odd} = F - 1/2`; ``logistic`` gives the tanh form of
    Agustsson & Theis). It is continuous with a continuous derivative (C1;
    compact modes keep their own class when :math:`t \le 1/2`), tends to the
    staircase as :math:`t \to 0` and to the identity as :math:`t \to \infty`,
    and is exact at integers: ``round(1e10) == 1e10`` at every temperature.
    __ARGS__
    Points of non-differentiability:
      Jumps at every half-integer; the hard operator's derivative is 0
      everywhere, including at the jumps (softops' rule for jumps). At
      ``t > 0`` the derivative peaks at the half-integers. ``+-inf`` stay
      ``+-inf``; NaN propagates. The derivative w.r.t. ``t`` vanishes as
      ``t -> 0`` away from the jumps.

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode, concrete
      negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.round(2.5, temperature=0.0)), float(so.round(2.5, temperature=0.1))
      (2.0, 2.5)
      >>> float(jax.grad(so.round)(2.5, temperature=0.0))
      0.0
      >>> float(so.round(1e10))
      10000000000.0

    References:
      Agustsson & Theis, "Universally Quantized Neural Compression", NeurIPS 2020.
    """
    return _staircase("round", x, temperature, mode, straight_through, jnp.round, _round_cell)


def floor(
    x: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""Round down (``jnp.floor``) and its smooth staircase.

    Relaxation: the staircase of :func:`round` with its jumps moved to the
    integers; at an integer ``n`` the soft value is the midpoint ``n - 1/2``.
    __ARGS__
    Points of non-differentiability:
      Jumps at every integer; the hard derivative is 0 everywhere. ``+-inf``
      stay ``+-inf``; NaN propagates.

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode, concrete
      negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.floor(2.7, temperature=0.0)), float(so.floor(3.0, temperature=0.1))
      (2.0, 2.5)
      >>> float(jax.grad(so.floor)(3.0, temperature=0.0))
      0.0
    """
    return _staircase("floor", x, temperature, mode, straight_through, jnp.floor, _floor_cell)


def ceil(
    x: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""Round up (``jnp.ceil``) and its smooth staircase, ``floor`` plus one.

    __ARGS__
    Points of non-differentiability:
      Jumps at every integer; the hard derivative is 0 everywhere. ``+-inf``
      stay ``+-inf``; NaN propagates.

    Raises:
      TypeError: non-floating ``x``. ValueError: unknown mode, concrete
      negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.ceil(2.2, temperature=0.0)), float(so.ceil(3.0, temperature=0.1))
      (3.0, 3.5)
      >>> float(jax.grad(so.ceil)(3.0, temperature=0.0))
      0.0
    """
    return _staircase("ceil", x, temperature, mode, straight_through, jnp.ceil, _ceil_cell)


for _f in (round, floor, ceil):
    _f.__doc__ = _f.__doc__.replace("    __ARGS__\n", _DOC_COMMON.lstrip("\n"))


def _sample(key, dtype):
    x = np.asarray(jax.random.uniform(key, (9,), "float32", -4.0, 4.0)).astype(dtype)
    return (x,), {}


_STAIR_MODES = {m: min(family(m).smoothness, 1) for m in SMOOTH_MODES}
for _name, _fn, _hard, _where, _pt in (
    ("round", round, jnp.round, "x in Z + 1/2", 2.5),
    ("floor", floor, jnp.floor, "x in Z", 3.0),
    ("ceil", ceil, jnp.ceil, "x in Z", 3.0),
):
    register(
        OperatorInfo(
            name=_name,
            fn=_fn,
            hard=_hard,
            family="rounding",
            kind="other",
            modes=_STAIR_MODES,
            default_mode="logistic",
            kinks=(Kink(_where, "jump", 0.0, 0.0, (_pt,)),),
            sample=_sample,
            subgradient=False,
            notes="Smoothness is C1 at cell edges for unbounded modes; compact modes keep their "
            "class for temperature <= 1/2.",
        )
    )
