"""Comparisons that return soft booleans: greater, less, equal, isclose and friends.

A soft boolean is a probability in ``[0, 1]`` stored in the inputs' floating
dtype. At temperature 0 every operator here is the jnp comparison cast to that
dtype, bit for bit; for ``t > 0`` the jump at the comparison's boundary becomes
the mode's step ``F`` (see :mod:`softops._families`):

* ``greater(a, b) = F((a - b) / t)`` (``less`` swaps the arguments); the
  ``*_equal`` variants differ from the strict ones only at ``t = 0`` on ties;
* ``equal(a, b) = 4 F(u) F(-u)`` with ``u = (a - b) / t``: a bump of height
  exactly 1 at ``a == b`` (``1 - sign(a - b, temperature=t) ** 2``), which for
  the logistic mode is ``sech(u / 2) ** 2``, the logistic density scaled to peak 1;
* ``isclose`` is the same bump widened to the tolerance band.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from softops import _checks
from softops._families import FLAT_STEPS, PER_TEMPERATURE_STEPS, STEP_MODES, family, probability
from softops._mechanism import far_tail, finish, prepare, relax, relax_saturated, scale_to_bound, scaled
from softops._registry import Kink, OperatorInfo, register

Array = jax.Array
ArrayLike = Any

#: Modes of ``isclose``: the families whose step ``F`` is log-concave, which
#: is what keeps the normalised band kernel below 1 (see :func:`isclose`).
ISCLOSE_MODES: tuple[str, ...] = ("logistic", "gaussian", "ramp", "cubic", "quintic", "triangular", "boxcar")


def _compare(op, a, b, temperature, mode, straight_through, hard_fn, soft_fn, tail, valid=STEP_MODES):
    """Shared body: validate, pick the family, relax around the jump at ``a == b``."""
    (a, b), t, dtype = prepare(op, ("a", "b"), (a, b), temperature)
    fam = family(_checks.mode(mode, valid, op))

    def hard(a, b):
        return hard_fn(a, b).astype(a.dtype)

    def soft(a, b, t):
        # a - b may overflow for finite inputs; relax then keeps the hard value,
        # which is what the saturated step would give anyway.
        kernel = lambda a, b, t, r: soft_fn(fam, scaled(a - b, t, r))
        # Heavy-tailed modes: the far-field term ``tail * c t / z`` with ``z = a - b``
        # (``greater``: tail = -1, as F(u) ~ 1 - c / u) or ``|a - b|`` for the bumps.
        weight, bump = tail
        z = jnp.abs(a - b) if bump else a - b
        outer = hard(a, b) + weight * far_tail(fam.tail_coef, z, t)
        # On a tie every t > 0 gives the relaxation's value there (1/2 for greater).
        outer = jnp.where((a == b) & (t > 0), soft_fn(fam, jnp.zeros((), a.dtype)), outer)
        if fam.name in PER_TEMPERATURE_STEPS:
            # Kernels that are exactly 0 or 1 at the saturation bound, or (algebraic)
            # exact at every difference: no band per element, only the lanes with
            # a NaN difference (NaN inputs, a tie of two infinities) keep the hard
            # answer. (No clamp where the kernel takes an overflowing, infinite
            # difference as its limit.)
            d = a - b
            odd = jnp.isnan(d)
            d = jnp.where(odd, jnp.zeros((), d.dtype), d)
            to_bound = scale_to_bound(fam.name, FLAT_STEPS)
            return relax_saturated(t, lambda t, r: soft_fn(fam, to_bound(d, t, r)), outer, odd)
        return relax(a - b, t, (a, b), kernel, outer)

    return finish(hard, soft, (a, b, t), straight_through, dtype, op=op)


_COMMON_DOC = """
    Points of non-differentiability:
      A jump at ``a == b``. The hard operator's derivative is 0 everywhere,
      including at the jump (softops' rule for jumps). For ``t > 0`` the value
      is smooth in ``a``, ``b`` and ``t`` (the mode's smoothness class). An
      overflowing difference ``a - b`` between finite inputs gives the hard
      value, as does an infinite input against a finite one. Two equal
      infinities are a tie like any other: at ``t > 0`` the relaxation's value
      at a tie (1/2 for ``greater``, 1 for ``equal``), at ``t = 0`` the hard
      answer. NaN inputs give the jnp comparison's
      answer (``False``, i.e. 0) at every temperature, not NaN. The derivative
      with respect to ``t`` is ``-F'(u) u / t``; as ``t -> 0`` it tends to 0 in
      the light-tailed modes and to the heavy-tailed surrogates' first-order
      term (``arctan``, ``fast_sigmoid``) otherwise, the value at ``t = 0``.

"""


def greater(
    a: ArrayLike,
    b: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""Soft ``a > b``: the probability that ``a`` exceeds ``b``.

    Hard operator: ``jnp.greater(a, b)`` cast to the inputs' dtype. Relaxation:
    :math:`F((a - b)/t)` for the mode's step :math:`F` (``logistic``:
    ``jax.nn.sigmoid((a - b) / t)``), 1/2 on ties, always in [0, 1]. It
    converges monotonically to the hard comparison as :math:`t \to 0` away
    from ties; it is ``heaviside(a - b)`` without the overflow of ``a - b``.

    Args:
      a, b: floating-point arrays, broadcast together.
      temperature: non-negative, traced, broadcasts against the inputs.
      mode: ``logistic`` (default), ``algebraic``, ``gaussian``, ``ramp``,
        ``cubic``, ``quintic`` or the surrogates ``arctan``, ``fast_sigmoid``,
        ``triangular``, ``boxcar``.
      straight_through: hard value, relaxed derivative.

    Returns:
      The soft boolean, in the inputs' dtype, broadcast against ``temperature``.
    {common}
    Raises:
      TypeError: non-floating input. ValueError: unknown mode or a concrete
      negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.greater(2.0, 1.0, temperature=0.0)), float(so.greater(1.0, 1.0))
      (1.0, 0.5)
      >>> float(jax.grad(so.greater)(1.0, 1.0, temperature=0.0))  # at the jump
      0.0
      >>> round(float(jax.grad(so.greater)(1.0, 1.0)), 4)  # logistic density at 0
      0.25
    """
    return _compare(
        "greater",
        a,
        b,
        temperature,
        mode,
        straight_through,
        jnp.greater,
        lambda fam, u: fam.cdf(u),
        (-1.0, False),
    )


def greater_equal(
    a: ArrayLike,
    b: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""Soft ``a >= b``; equal to :func:`greater` except at ``t = 0`` on ties.

    Hard operator: ``jnp.greater_equal(a, b)`` cast to the inputs' dtype (1 on
    ties). Relaxation: :math:`F((a - b)/t)`, the same as :func:`greater`: a
    relaxation cannot tell ``>`` from ``>=``, only its ``t = 0`` limit can.

    Args:
      a, b: floating-point arrays, broadcast together.
      temperature: non-negative, traced, broadcasts against the inputs.
      mode: as :func:`greater`.
      straight_through: hard value, relaxed derivative.

    Returns:
      The soft boolean, in the inputs' dtype.
    {common}
    Raises:
      TypeError, ValueError: as :func:`greater`.

    Examples:
      >>> import jax, softops as so
      >>> float(so.greater_equal(1.0, 1.0, temperature=0.0)), float(so.greater(1.0, 1.0, temperature=0.0))
      (1.0, 0.0)
      >>> float(jax.grad(so.greater_equal)(1.0, 1.0, temperature=0.0))
      0.0
    """
    return _compare(
        "greater_equal",
        a,
        b,
        temperature,
        mode,
        straight_through,
        jnp.greater_equal,
        lambda fam, u: fam.cdf(u),
        (-1.0, False),
    )


def less(
    a: ArrayLike,
    b: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""Soft ``a < b``: :math:`F((b - a)/t)`, the mirror image of :func:`greater`.

    Hard operator: ``jnp.less(a, b)`` cast to the inputs' dtype. For ``t > 0``
    ``less(a, b) + greater(a, b) == 1`` up to rounding.

    Args:
      a, b: floating-point arrays, broadcast together.
      temperature: non-negative, traced, broadcasts against the inputs.
      mode: as :func:`greater`.
      straight_through: hard value, relaxed derivative.

    Returns:
      The soft boolean, in the inputs' dtype.
    {common}
    Raises:
      TypeError, ValueError: as :func:`greater`.

    Examples:
      >>> import jax, softops as so
      >>> float(so.less(1.0, 2.0, temperature=0.0))
      1.0
      >>> float(jax.grad(so.less)(0.0, 0.0, temperature=0.0))
      0.0
    """
    return _compare(
        "less", a, b, temperature, mode, straight_through, jnp.less, lambda fam, u: fam.cdf(-u), (1.0, False)
    )


def less_equal(
    a: ArrayLike,
    b: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""Soft ``a <= b``: :math:`F((b - a)/t)`; differs from :func:`less` only at ``t = 0`` on ties.

    Hard operator: ``jnp.less_equal(a, b)`` cast to the inputs' dtype.

    Args:
      a, b: floating-point arrays, broadcast together.
      temperature: non-negative, traced, broadcasts against the inputs.
      mode: as :func:`greater`.
      straight_through: hard value, relaxed derivative.

    Returns:
      The soft boolean, in the inputs' dtype.
    {common}
    Raises:
      TypeError, ValueError: as :func:`greater`.

    Examples:
      >>> import jax, softops as so
      >>> float(so.less_equal(1.0, 1.0, temperature=0.0))
      1.0
      >>> float(jax.grad(so.less_equal)(1.0, 1.0, temperature=0.0))
      0.0
    """
    return _compare(
        "less_equal",
        a,
        b,
        temperature,
        mode,
        straight_through,
        jnp.less_equal,
        lambda fam, u: fam.cdf(-u),
        (1.0, False),
    )


def _bump(fam, u):
    # 4 F(u) F(-u) = 1 - 4 odd(u)^2: a product of two probabilities, so each
    # tail is as accurate as the family's lower tail and the peak is exactly 1.
    return probability(4.0 * fam.cdf(u) * fam.cdf(-u))  # the product can round to 1 + eps


def equal(
    a: ArrayLike,
    b: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""Soft ``a == b``: a bump of height 1 at ``a == b`` and width ``temperature``.

    Hard operator: ``jnp.equal(a, b)`` cast to the inputs' dtype. Relaxation:
    :math:`4F(u)F(-u) = 1 - (2F(u) - 1)^2`, :math:`u = (a-b)/t`: the soft
    "neither greater nor less", which is 1 exactly on ties, lies in [0, 1] and
    decreases monotonically in :math:`|a - b|`. For the logistic mode it is
    :math:`\mathrm{sech}^2(u/2)`, the logistic density normalised to peak 1;
    for ``ramp`` it is :math:`\max(1 - u^2, 0)`. Its smoothness is the
    mode's. It converges monotonically to the hard comparison as :math:`t\to 0`.

    Args:
      a, b: floating-point arrays, broadcast together.
      temperature: non-negative, traced, broadcasts against the inputs.
      mode: as :func:`greater`.
      straight_through: hard value, relaxed derivative.

    Returns:
      The soft boolean, in the inputs' dtype.

    Points of non-differentiability:
      A jump (an isolated spike) at ``a == b``: the hard derivative is 0
      everywhere, and the relaxation's at ``a == b`` (the top of the bump) is
      0 up to rounding. Overflowing differences and infinite inputs give the hard value
      (``equal(inf, inf)`` is 1); NaN inputs give 0 at every temperature, as
      ``jnp.equal`` does. d/dt is ``-bump'(u) u / t``, 0 in the limit ``t -> 0``.

    Raises:
      TypeError, ValueError: as :func:`greater`.

    Examples:
      >>> import jax, softops as so
      >>> float(so.equal(1.0, 1.0)), round(float(so.equal(0.0, 2.0)), 4)
      (1.0, 0.42)
      >>> float(so.equal(0.0, 2.0, temperature=0.0))
      0.0
      >>> float(jax.grad(so.equal)(1.0, 1.0, temperature=0.0))
      0.0
    """
    return _compare("equal", a, b, temperature, mode, straight_through, jnp.equal, _bump, (4.0, True))


def not_equal(
    a: ArrayLike,
    b: ArrayLike,
    /,
    *,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""Soft ``a != b``: one minus :func:`equal`, computed as :math:`(2F(u) - 1)^2`.

    Hard operator: ``jnp.not_equal(a, b)`` cast to the inputs' dtype.
    Relaxation :math:`4\,\mathrm{odd}(u)^2` with :math:`\mathrm{odd} = F - 1/2`
    (accurate near the tie, where it is small), the square of the soft
    :func:`softops.sign` of ``a - b``.

    Args:
      a, b: floating-point arrays, broadcast together.
      temperature: non-negative, traced, broadcasts against the inputs.
      mode: as :func:`greater`.
      straight_through: hard value, relaxed derivative.

    Returns:
      The soft boolean, in the inputs' dtype.

    Points of non-differentiability:
      A jump at ``a == b`` (value 0 there); the hard derivative is 0
      everywhere and the relaxation's is 0 at the tie. Infinite inputs and
      overflowing differences give the hard value; NaN inputs give 1 at every
      temperature (``jnp.not_equal`` is True for NaN). d/dt tends to 0.

    Raises:
      TypeError, ValueError: as :func:`greater`.

    Examples:
      >>> import jax, softops as so
      >>> float(so.not_equal(1.0, 1.0)), float(so.not_equal(0.0, 2.0, temperature=0.0))
      (0.0, 1.0)
      >>> float(jax.grad(so.not_equal)(1.0, 1.0, temperature=0.0))
      0.0
    """
    return _compare(
        "not_equal",
        a,
        b,
        temperature,
        mode,
        straight_through,
        jnp.not_equal,
        lambda fam, u: probability(jnp.square(fam.sign(u))),
        (-4.0, True),
    )


for _f in (greater, greater_equal, less, less_equal):
    if _f.__doc__:  # absent under python -OO
        _f.__doc__ = _f.__doc__.replace("    {common}\n", _COMMON_DOC.lstrip("\n"))


def isclose(
    a: ArrayLike,
    b: ArrayLike,
    /,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    equal_nan: bool = False,
    temperature: ArrayLike = 1.0,
    mode: str = "logistic",
    straight_through: bool = False,
) -> Array:
    r"""Soft ``isclose``: a plateau of height 1 over the tolerance band, width ``temperature``.

    Hard operator: ``jnp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)``
    cast to the inputs' dtype: :math:`|a - b| \le \tau` with
    :math:`\tau = \mathrm{atol} + \mathrm{rtol}\,|b|`. Relaxation, with
    :math:`d = a - b`:

    .. math:: \frac{F((\tau + d)/t)\,F((\tau - d)/t)}{F(\tau/t)^2},

    the soft "``d >= -tau`` and ``d <= tau``" (product t-norm) normalised so
    that it is exactly 1 at ``a == b``. For ``tau = 0`` it is :func:`equal`.
    Because the modes offered have log-concave steps ``F``, it is symmetric in
    ``d``, decreases in ``|d|``, and stays in [0, 1]; as :math:`t \to 0` it
    tends to 1 inside the band and 0 outside. The tolerance is differentiated
    through ``|b|`` (``jnp.abs``'s derivative 0 is used at ``b == 0``).

    Args:
      a, b: floating-point arrays, broadcast together.
      rtol, atol: non-negative Python floats, as in ``jnp.isclose``.
      equal_nan: as in ``jnp.isclose`` (the NaN cases use the hard answer).
      temperature: non-negative, traced, broadcasts against the inputs.
      mode: ``logistic`` (default), ``gaussian``, ``ramp``, ``cubic``,
        ``quintic``, ``triangular`` or ``boxcar`` (log-concave steps only:
        with ``algebraic`` or ``arctan`` the normalised kernel could exceed 1).
      straight_through: hard value, relaxed derivative.

    Returns:
      The soft boolean, in the inputs' dtype.

    Points of non-differentiability:
      Jumps at ``|a - b| == tau`` (two points for each ``b``); the hard
      derivative is 0 everywhere. For ``t > 0`` the relaxation is smooth with
      derivative 0 at ``a == b``. Non-finite inputs (``inf``, NaN) and
      overflowing differences give the hard value at every temperature
      (``isclose(inf, inf)`` is 1, NaN gives ``equal_nan``'s answer).
      d/dt tends to 0 as ``t -> 0`` away from the band's edges.

    Raises:
      TypeError: non-floating input, non-number tolerances. ValueError: unknown
      mode, negative tolerance, concrete negative temperature.

    Examples:
      >>> import jax, softops as so
      >>> float(so.isclose(1.0, 1.4, atol=0.5, rtol=0.0, temperature=0.0))
      1.0
      >>> float(so.isclose(1.0, 1.0, atol=0.5, rtol=0.0))
      1.0
      >>> float(jax.grad(so.isclose)(1.5, 1.0, atol=0.5, rtol=0.0, temperature=0.0))  # band edge
      0.0
    """
    for name, v in (("rtol", rtol), ("atol", atol)):
        if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer):
            raise TypeError(f"isclose expects {name} to be a Python number, got {v!r}")
        if not v >= 0:
            raise ValueError(f"isclose expects a non-negative {name}, got {v!r}")
    equal_nan = _checks.boolean(equal_nan, "isclose", "equal_nan")
    (a, b), t, dtype = prepare("isclose", ("a", "b"), (a, b), temperature)
    fam = family(_checks.mode(mode, ISCLOSE_MODES, "isclose"))

    def hard(a, b):
        # jnp's own tolerance arithmetic, in the caller's dtype, for bit-exactness.
        close = jnp.isclose(a.astype(dtype), b.astype(dtype), rtol=rtol, atol=atol, equal_nan=equal_nan)
        return close.astype(a.dtype)

    def kernel(a, b, t, r):
        d = a - b
        tau = atol + rtol * jnp.abs(b)
        num = fam.cdf(scaled(tau + d, t, r)) * fam.cdf(scaled(tau - d, t, r))
        ratio = num / jnp.square(fam.cdf(scaled(tau, t, r)))
        return jnp.where(ratio > 1, jnp.ones((), ratio.dtype), ratio)  # rounding only

    def soft(a, b, t):
        d = a - b
        tau = atol + rtol * jnp.abs(b)
        # distance to the nearer band edge; non-finite when any input is
        z = jnp.abs(jnp.abs(d) - tau)
        return relax(z, t, (a, b), kernel, hard(a, b))

    return finish(hard, soft, (a, b, t), straight_through, dtype, op="isclose")


# ------------------------------------------------------------------------ registry
def _sample(key, dtype):
    a, b = jax.random.normal(key, (2, 2, 7), "float32") * 2
    return (np.asarray(a).astype(dtype), np.asarray(b).astype(dtype)), {}


def _sample_close(key, dtype):
    k1, k2 = jax.random.split(key)
    b = jax.random.normal(k1, (2, 7), "float32") * 2
    a = b + jax.random.normal(k2, (2, 7), "float32")
    return (np.asarray(a).astype(dtype), np.asarray(b).astype(dtype)), {"rtol": 0.1, "atol": 0.5}


def _modes(names):
    return {m: family(m).smoothness for m in names}


def _hard(fn):
    return lambda a, b: fn(a, b).astype(a.dtype)


_TIE = (Kink("a == b", "jump", 0.0, 0.0, (1.0, 1.0)),)
_CUSTOM_NAN = "NaN inputs give the jnp comparison's answer at every temperature (nan_policy='custom')."
for _fn, _jnp in (
    (greater, jnp.greater),
    (greater_equal, jnp.greater_equal),
    (less, jnp.less),
    (less_equal, jnp.less_equal),
    (equal, jnp.equal),
    (not_equal, jnp.not_equal),
):
    register(
        OperatorInfo(
            name=_fn.__name__,
            fn=_fn,
            hard=_hard(_jnp),
            family="compare",
            kind="step-like",
            modes=_modes(STEP_MODES),
            default_mode="logistic",
            kinks=_TIE,
            sample=_sample,
            subgradient=False,
            nan_policy="custom",
            notes=_CUSTOM_NAN,
        )
    )
register(
    OperatorInfo(
        name="isclose",
        fn=isclose,
        hard=lambda a, b, **kw: jnp.isclose(a, b, **kw).astype(a.dtype),
        family="compare",
        kind="step-like",
        modes=_modes(ISCLOSE_MODES),
        default_mode="logistic",
        kinks=(Kink("|a - b| == atol + rtol * |b|", "jump", 0.0, 0.0, (1.5, 1.0)),),
        kink_kwargs={"atol": 0.5, "rtol": 0.0},
        sample=_sample_close,
        subgradient=False,
        # Normalised to 1 at a == b for every t, the band kernel is nearly flat (close
        # to 1) across the band at large t: inside the band near its edge the error
        # first grows (towards 1/2) as t decreases, then vanishes.
        monotone=False,
        nan_policy="custom",
        notes=_CUSTOM_NAN + " Converges to the hard band as t -> 0, not monotonically near its edges.",
    )
)
