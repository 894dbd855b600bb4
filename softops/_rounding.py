"""Staircases: round, floor, ceil and their relaxations."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from softops import _checks
from softops._elementwise import _jump
from softops._families import SMOOTH_MODES, family
from softops._mechanism import (
    finish,
    known_between,
    min_temperature,
    prepare,
    reciprocal,
    saturation,
    scale,
    scale_flat_masked,
    tangent,
    times_t,
)
from softops._registry import Kink, OperatorInfo, register

Array = jax.Array
ArrayLike = Any

# Above this temperature the normalised step inside one cell is linear to
# working precision (its deviation is O(1/t^2)), so the staircase is the identity.
_LINEAR_ABOVE = {jnp.dtype(jnp.float32): 1e4, jnp.dtype(jnp.float64): 1e8}


@jax.custom_jvp
def _choose(keep, ok, finite, a, b):
    """``where(keep, a, b)`` for a staircase: ``a`` its kernel inside a cell,
    ``b`` what the cell's ends (``|r| == 1/2`` exactly), non-finite inputs and
    temperatures where the kernel is not used (``~ok``: linear ones, which
    give ``x`` plus the cell's shift, and those below the smallest usable
    one) take instead. Differentiated as ``a`` wherever ``ok``.

    At the cell ends that gives the values 0 and 1 of the step, so integers
    stay exact and neighbouring cells meet (the kernel misses them by an ulp:
    XLA multiplies by ``1 / (2 norm)``, and a constant temperature has
    ``norm`` folded on the host) while the slope there is the kernel's.
    One select for all of it in the value; the derivative is 0 where ``x`` is
    not ``finite`` (forward mode would meet the kernel's NaN density there).
    """
    return jnp.where(keep, a, b)


@_choose.defjvp
def _choose_jvp(primals, tangents):
    (keep, ok, finite, a, b), (_, _, _, da, db) = primals, tangents
    return _choose(keep, ok, finite, a, b), jnp.where(finite, jnp.where(ok, da, db), jnp.zeros((), da.dtype))


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


class _Kernel(NamedTuple):
    """A smooth mode's step in the staircase, in ``v = a u`` (``u = r / t``):
    ``odd(v)`` with derivative ``peak * shape(v)``, ``shape(0) = 1``."""

    a: float
    odd: Callable[[Array], Array]
    peak: float
    shape: Callable[[Array], Array]


def _flat_beyond(shape, far):
    """``shape`` whose derivative is taken at ``v`` clamped to ``[-far, far]``,
    where ``shape`` and every derivative have vanished to working precision:
    the staircase's second derivatives multiply it by powers of ``v`` and of
    ``1 / t``, which overflow at tiny temperatures."""
    f = jax.custom_jvp(shape)
    f.defjvps(lambda dv, ans, v: jax.jvp(shape, (jnp.clip(v, -far, far),), (dv,))[1])
    return f


def _logistic_shape(v):
    # 1 - tanh^2 v: differentiated as tanh, not as the family's exp-based
    # density. Inside a cell |v| <= 1 / (4 t), and where it cancels (|v| > 1)
    # its absolute error is below an ulp of the slope's peak; its relative
    # accuracy in the far tails is what the staircase gives up for a gradient
    # that costs one tanh (exp plus a division costs 1.4x the hand-written
    # gradient on CPU).
    y = jnp.tanh(v)
    return 1.0 - y * y


# The modes whose staircase is one custom-JVP kernel: each derivative is one
# coefficient per element, where composing the family's rules would multiply
# in a constant and a mask at each step (1.2-1.4x the hand-written gradient).
_KERNELS = {
    "logistic": _Kernel(0.5, lambda v: 0.5 * jnp.tanh(v), 0.5, _flat_beyond(_logistic_shape, 50.0)),
    "gaussian": _Kernel(
        1.0 / math.sqrt(2.0),
        lambda v: 0.5 * jax.scipy.special.erf(v),
        1.0 / math.sqrt(math.pi),
        _flat_beyond(lambda v: jnp.exp(-v * v), 50.0),
    ),
}


@functools.cache
def _kernel_stair(name, cell, hard_fn):
    """The staircase of ``cell`` in mode ``name`` (in :data:`_KERNELS`)."""
    fam, k = family(name), _KERNELS[name]

    def per_temperature(t):
        """``(ok, q, c)``: ``ok`` where the kernel applies (a usable
        temperature, not a linear one); there ``q = a / t`` and ``c = 1 / (2
        odd(a / (2 t)))``, elsewhere those of ``t = 1``."""
        ok = (t > min_temperature(t.dtype)) & ~_linear(t)
        tk = jnp.where(ok, t, jnp.ones((), t.dtype))
        rec = reciprocal(tk)  # (rec.s is 1 below the linear temperatures)
        return ok, k.a * (rec.s * rec.r), 0.5 / _cell_norm(fam, tk)

    @jax.custom_jvp
    def stair(x, t):
        m, h, r = cell(x)
        live = t > min_temperature(t.dtype)
        ok, q, c = per_temperature(t)
        mid = m + h
        # (one select: the cell ends, +-inf, NaN and linear temperatures take _off_kernel)
        kept = ok & (jnp.abs(r) < 0.5)
        return jnp.where(kept, mid + k.odd(r * q) * c, _off_kernel(cell, hard_fn, x, t, live, mid, r))

    def stair_jvp(primals, tangents):
        (x, t), (dx, dt) = primals, tangents
        zero, one = jnp.zeros((), x.dtype), jnp.ones((), x.dtype)
        finite = jnp.isfinite(x)
        r = cell(x)[2]
        r = jnp.where(finite, r, zero)  # (every derivative is 0 at +-inf, to every order)
        ok, q, c = per_temperature(t)
        # the slope dg/dx = peak shape(v) q c; 1 at linear temperatures (v = 0
        # there), 0 below the smallest usable one
        coef = jnp.where(ok, k.peak * q * c, jnp.where(_linear(t), one, zero))
        v = r * jnp.where(ok, q, zero)
        slope = jnp.where(finite, coef * k.shape(v), zero)

        def d_dt(dt):
            # dg/dt = odd(v) c' + odd'(v) c v', v' = -v / t; c' is 0 where not ok
            dc = jax.jvp(lambda t: per_temperature(t)[2], (t,), (dt,))[1]
            # (0 at the cell ends, exactly: the two terms are formed from
            # different densities there and would leave an ulp of the same sign
            # on every integer; v = 0 where x is not finite)
            return jnp.where(jnp.abs(r) < 0.5, k.odd(v) * dc - slope * v * (dt / k.a), zero)

        return stair(x, t), tangent((dx, lambda dx: slope * dx), (dt, d_dt))

    stair.defjvp(stair_jvp, symbolic_zeros=True)
    return stair


def _off_kernel(cell, hard, x, t, live, mid, r):
    """A staircase's value where its kernel is not taken: the cell ends
    (``|r| = 1/2`` exactly, see :func:`_choose`), +-inf and NaN (``r`` is NaN)
    and linear temperatures give ``m + h + r``, which is ``x`` plus the cell's
    shift exactly, and ``x``'s own limit at +-inf. Below the smallest usable
    temperature (``~live``), the hard staircase, except that on a jump every
    ``t > 0`` gives the midpoint ``mid``."""
    tiny = jnp.where((r == 0) & (t > 0), mid, hard(x))
    return jnp.where(live, x + _SHIFT[cell], tiny)


def _staircase(op, x, temperature, mode, straight_through, hard_fn, cell):
    (x,), t, dtype = prepare(op, ("x",), (x,), temperature)
    fam = family(_checks.mode(mode, SMOOTH_MODES, op))

    def hard(x):
        return _jump(hard_fn(x))

    # A compact mode at a temperature known when tracing to be at most 1/(2 L)
    # (L its support) reaches its ends exactly: odd(+-1/(2t)) is +-1/2 and the
    # norm 1/2, so the step is 0 or 1 there with no rounding, and adding it to m
    # last keeps integers exact however large. Only +-inf and NaN (r is NaN) are
    # then left to the select: one compare per element instead of two.
    exact_ends = fam.support is not None and known_between(temperature, t.dtype, -math.inf, 0.5 / fam.support)

    def soft(x, t):
        if fam.name in _KERNELS:
            return _kernel_stair(fam.name, cell, hard_fn)(x, t)
        return general(x, t)

    def general(x, t):
        # r is the offset from the jump at the centre of x's cell, |r| <= 1/2, so
        # r / t cannot overflow above the smallest usable temperature: it is not
        # clamped, and the branch is chosen per temperature, not per element
        # (every family's odd part is exactly +-1/2, its density 0, where
        # |r / t| passes the saturation bound). The step inside the cell is
        # 1/2 + odd(r / t) / (2 odd(1 / (2 t))): exactly antisymmetric, 0 and 1
        # at the cell ends.
        m, h, r = cell(x)
        live = t > min_temperature(t.dtype)
        ok = live & ~_linear(t)
        one = jnp.ones((), t.dtype)
        u = scale_flat_masked(r, jnp.where(live, t, one), reciprocal(t))
        # (times_t: a NaN r, on the lanes that take x, adds nothing to d/dt)
        # (m last: where the step is exactly 0 or 1, m's integer is kept exactly)
        step = m + (h + times_t(fam.odd(u), 0.5 / _cell_norm(fam, t)))
        ends = _off_kernel(cell, hard, x, t, live, m + h, r)
        inside = ~jnp.isnan(r) if exact_ends else jnp.abs(r) < 0.5
        return _choose(ok & inside, ok, jnp.isfinite(x), step, ends)

    return finish(hard, soft, (x, t), straight_through, dtype, op=op)


# Each cell is ``(m, h, r)``: x's cell has its jump at its centre, ``r`` is x's
# offset from that jump (|r| <= 1/2), and the staircase is ``m + h`` there
# (``m + h -+ 1/2`` on either side). XLA does not fold two additions of
# constants, so ``m + h`` is formed once.
def _round_cell(x):
    m = jnp.floor(x)  # the jump at m + 1/2 sits at the centre of [m, m + 1)
    return m, 0.5, (x - m) - 0.5


def _floor_cell(x):
    m = jnp.round(x)  # the jump at m sits at the centre of [m - 1/2, m + 1/2]
    return m, -0.5, x - m


def _ceil_cell(x):
    m = jnp.round(x)
    return m, 0.5, x - m


# m + h + r - x for each cell (exact for every finite x)
_SHIFT = {_round_cell: 0.0, _floor_cell: -0.5, _ceil_cell: 0.5}


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
