"""The machinery every operator shares.

* :func:`relax` evaluates a relaxation only where it differs from its far-field
  form, with the "double where" so that neither its value nor any derivative
  sees a division by a zero temperature or an overflowing ``x / t``.
* :func:`straight_through` gives the hard value with the soft derivative.
* :func:`resolve_subgradient` turns the user's ``subgradient=`` choice into the
  number a hard operator's JVP uses at a kink.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Collection, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_derivatives import SymbolicZero

# Beyond |x / t| > SATURATION[dtype] every finite-mean family equals its
# far-field form to working precision (polynomial tails: relative error
# ~ 1/(4 L^2) < eps), and x / t is guaranteed not to overflow below it.
SATURATION = {jnp.dtype(jnp.float32): 1e6, jnp.dtype(jnp.float64): 1e12}


# Below this temperature the relaxation is evaluated in its far-field form (the
# hard value plus its first-order term in t). It differs from the relaxation by
# at most ~t there (< 1e-18 absolute in float32), and it keeps t * t a normal
# number in the soft branch: XLA rewrites (z / t) / t as z / (t * t), which
# underflows to 0 / 0 for t ~ 1e-30 in float32 otherwise.
MIN_TEMPERATURE = {jnp.dtype(jnp.float32): 1e-18, jnp.dtype(jnp.float64): 1e-150}


def saturation(dtype: Any) -> float:
    return SATURATION[jnp.dtype(dtype)]


def min_temperature(dtype: Any) -> float:
    return MIN_TEMPERATURE[jnp.dtype(dtype)]


def band(t: jax.Array) -> jax.Array:
    """``saturation * t``, the half-width beyond which kernels are saturated,
    capped at the dtype's largest value (it overflows for ``t > ~3e32`` in float32)."""
    return jnp.minimum(saturation(t.dtype) * t, jnp.asarray(jnp.finfo(t.dtype).max, t.dtype))


def soft_region(z: jax.Array, t: jax.Array) -> jax.Array:
    """Where a relaxation is evaluated from its kernel: ``t`` above the dtype's
    smallest usable temperature and ``|z| <= L t``; elsewhere its far-field form."""
    return (t > min_temperature(t.dtype)) & (jnp.abs(z) <= band(t))


def relax(
    z: jax.Array,
    t: jax.Array,
    args: Sequence[jax.Array],
    soft: Callable[..., jax.Array],
    outer: jax.Array,
) -> jax.Array:
    """``soft(*args, t, r)`` where ``t_min < t`` and ``|z| <= L t``; ``outer`` elsewhere.

    ``z`` is the (signed) distance to the operator's nearest kink or jump, so
    the soft branch only ever sees ``|z / t| <= L``. Outside that region (and
    at ``t == 0``, and for non-finite ``z``) ``outer`` is used: the hard value
    plus, for relu-like operators, its first-order term in ``t``. The soft
    branch receives benign inputs (0, ``t = 1``, ``r = 1``) where it is not
    selected, so its derivatives there are finite and are masked to exactly zero.

    ``r`` is ``1 / t`` (a :class:`Reciprocal`), divided once per temperature
    rather than once per element: kernels form ``x / t`` as :func:`scale`
    ``(x, t, r)``, a product. (Per element ``x / t`` is a division, which costs
    more than the rest of a cheap kernel on CPU.)
    """
    mask = soft_region(z, t)
    zero, one = jnp.zeros((), t.dtype), jnp.ones((), t.dtype)
    safe_args = [jnp.where(mask, a, zero) for a in args]
    # Per element, not only where t is unusable: the kernels' higher derivatives
    # in t at a 0 argument form powers of 1 / t that underflow at tiny t (d2/dt2
    # NaN below t ~ 1e-13 in float32), so masked lanes get t = 1 (and r = 1).
    safe_t = jnp.where(mask, t, one)
    safe_r = reciprocal(t).keep(mask)
    return jnp.where(mask, soft(*safe_args, safe_t, safe_r), outer)


def relax_saturated(
    t: jax.Array,
    kernel: Callable[[jax.Array, Reciprocal], jax.Array],
    outer: jax.Array,
    hard: jax.Array | None = None,
) -> jax.Array:
    """:func:`relax` for kernels that land on their far-field form by themselves
    (exactly, or in the algebraic tails within ``1 / (4 L)`` of the kink's
    scale): ``kernel(t, r)`` wherever ``t`` is above the smallest usable
    temperature, ``outer`` elsewhere (``t = 0`` included) and where ``hard``.

    The kernel forms its scores with :func:`saturate` and is built on a family
    whose residual is exactly 0 at the saturation bound (``LIGHT_TAIL_MODES``),
    or with :func:`scale_flat` on one whose kernel is exact at every argument
    (``RESIDUAL_EVERYWHERE``, ``FLAT_STEPS``), so it needs no per-element
    band: the branch is chosen per temperature (an element costs one select,
    not one per argument). ``hard`` marks the lanes
    the kernel cannot take (a NaN distance between two infinities); the caller
    gives the kernel finite arguments there. The kernel gets ``t = 1`` (and its
    reciprocal) where the temperature is not usable, as :func:`relax`'s soft
    branch does.
    """
    live = t > min_temperature(t.dtype)
    t1 = jnp.where(live, t, jnp.ones((), t.dtype))
    if hard is not None:
        live = live & ~hard
    return jnp.where(live, kernel(t1, reciprocal(t)), outer)


def capped(t: jax.Array) -> jax.Array:
    """The temperature a relu-like relaxation ``t * f(x / t)`` is taken at:
    ``t`` itself up to ``1 / tiny`` (``2**126``, 8.5e37, in float32: the largest
    temperature whose reciprocal is a normal number), that bound beyond it,
    ``t = inf`` included.

    At ``t = inf`` the residual ``f(x / t) - f(0)`` is 0 and ``inf * 0`` is
    NaN; closer to the largest float, reverse mode scales the cotangent by
    ``t`` (and by the kernels' factor 2) before ``1 / t`` brings it back, and
    overflows. A select, not a minimum, so that d/dt is 1 up to the bound and
    0 beyond it.
    """
    big = jnp.asarray(1.0 / jnp.finfo(t.dtype).tiny, t.dtype)
    return jnp.where(t > big, big, t)


def finite(t: jax.Array) -> jax.Array:
    """``t = inf`` taken as the largest float (a select: d/dt is 0 there), for the
    relaxations that handle every finite temperature but not ``inf * 0``
    (``m + t log(...)`` on a ``-inf`` entry, ``t * spread`` clamped)."""
    big = jnp.asarray(jnp.finfo(t.dtype).max, t.dtype)
    return jnp.where(t > big, big, t)


class Reciprocal(NamedTuple):
    """``1 / t`` as the product ``s * r`` of two normal numbers.

    ``1 / t`` itself is subnormal beyond ``t ~ 8.5e37`` in float32 (and CPUs
    flush it to 0); ``s`` is ``2 ** -64`` there and 1 elsewhere, so ``x / t``
    is ``(x * s) * r`` at every temperature up to the largest float.
    """

    s: jax.Array
    r: jax.Array

    def keep(self, mask: jax.Array) -> Reciprocal:
        """This reciprocal where ``mask``, a benign one elsewhere: ``r = 1``, with
        ``s`` left as it is (a power of two, 1 below ``t = 2**64``), so that the
        masked lanes cost one select rather than two and no powers of a large
        ``r`` form in their derivatives."""
        return Reciprocal(self.s, jnp.where(mask, self.r, jnp.ones((), self.r.dtype)))


_SPLIT = 2.0**64


def known_between(temperature: Any, dtype: Any, low: float, high: float) -> bool:
    """Whether ``temperature`` is known when tracing (not traced) to lie in
    ``(low, high]`` once cast to ``dtype``. A kernel may then leave out the
    per-element selects that only the temperatures outside serve (XLA does not
    fold ``where(p, 1, 1)``); its values must be the same either way."""
    from softops import _checks

    if not _checks.is_concrete(temperature):
        return False
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # (1e39 is inf in float32)
            t = np.asarray(temperature).astype(dtype)
    except (TypeError, ValueError, OverflowError):
        return False
    return bool(np.all((t > low) & (t <= high)))


def known_moderate(temperature: Any, dtype: Any) -> bool:
    """:func:`known_between` the smallest usable temperature and ``2**64``,
    where :func:`reciprocal`'s ``s`` is 1."""
    return known_between(temperature, dtype, min_temperature(dtype), _SPLIT)


def reciprocal(t: jax.Array) -> Reciprocal:
    """``1 / t`` on ``t``'s own shape, for :func:`scale`; that of ``t = 1`` where
    ``t`` is not above the smallest usable temperature."""
    one = jnp.ones((), t.dtype)
    tu = jnp.where(t > min_temperature(t.dtype), t, one)
    s = jnp.where(tu > _SPLIT, jnp.asarray(1.0 / _SPLIT, t.dtype), one)
    r = ratio(one, tu * s)  # tu * s is exact: a power of two
    # At an infinite temperature r is the smallest normal number, not 0: x / t
    # is then below 1e-19 for every finite x (each kernel's value at 0 to
    # working precision) and an infinite x stays infinite (the limit of every
    # finite t), where 1 / inf = 0 would give inf * 0 = NaN.
    return Reciprocal(s, jnp.where(tu == jnp.inf, jnp.asarray(jnp.finfo(t.dtype).tiny, t.dtype), r))


def hold(m: jax.Array, t: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, Reciprocal]:
    """The shift and temperature of a soft reduction over slices (or windows)
    whose maximum is ``m``: ``(live, m0, t1, r)``.

    ``live`` marks slices with a finite maximum and a usable temperature (below
    the dtype's smallest one the hard branch is taken, as for every softops
    relaxation: the soft Jacobian there, ~1 / t, would overflow). There ``m0``
    is ``m``, ``t1`` is ``t`` and ``r`` its :class:`Reciprocal` (one division
    per temperature, the entries multiply); elsewhere the benign 0, 1 and 1.
    """
    live = jnp.isfinite(m) & (t > min_temperature(m.dtype))
    m0 = jnp.where(live, m, jnp.zeros((), m.dtype))
    t1 = jnp.where(live, t, jnp.ones((), m.dtype))
    return live, m0, t1, reciprocal(t).keep(live)


def sum_scale(n: int, dtype: Any) -> tuple[jax.Array, jax.Array]:
    """``(2^-k, 2^k)`` with ``2^-k >= 1 / n``, for a sum of ``n`` shifts that
    may each reach the largest float (at huge temperatures): summed scaled by
    ``2^-k`` (exact), it cannot overflow where their mean fits, and the mean
    is scaled back by ``2^k``."""
    k = (n - 1).bit_length()
    return jnp.asarray(2.0**-k, dtype), jnp.asarray(2.0**k, dtype)


def far_tail(coef: float, z: jax.Array, t: jax.Array) -> jax.Array:
    """``coef * t / z`` where ``|z| > L t`` (the far field), 0 elsewhere.

    The first-order term of a heavy-tailed step far from its jump (``1 - F(u)
    ~ coef / u``): it is below ``coef / L`` in value but gives the derivative
    with respect to the temperature its correct limit ``coef / z`` at
    ``t = 0``. ``z`` is only divided where it is far from 0 (double where), and
    clamped to the smallest normal number so that ``coef / z`` stays finite.
    """
    if coef == 0.0:
        return jnp.zeros(jnp.broadcast_shapes(z.shape, t.shape), z.dtype)
    far = (jnp.abs(z) > band(t)) & jnp.isfinite(z)
    tiny = jnp.asarray(jnp.finfo(z.dtype).tiny, z.dtype)
    zs = jnp.where(far, jnp.where(z < 0, jnp.minimum(z, -tiny), jnp.maximum(z, tiny)), jnp.ones((), z.dtype))
    return jnp.where(far, coef * ratio(t, zs), jnp.zeros((), z.dtype))


def straight_through(hard_fn: Callable[..., Any], soft_fn: Callable[..., Any], *args: Any) -> Any:
    """Return ``hard_fn(*args)`` exactly, differentiated as ``soft_fn``.

    Built on ``custom_jvp`` (not ``hard + stop_gradient(soft) - ...``) so the
    value is the hard operator bit for bit and forward mode, reverse mode and
    higher derivatives all see the soft derivative.
    """

    @jax.custom_jvp
    def st(*a):
        return hard_fn(*a)

    @st.defjvp
    def st_jvp(primals, tangents):
        _, tangent_out = jax.jvp(soft_fn, primals, tangents)
        return hard_fn(*primals), tangent_out

    return st(*args)


SUBGRADIENT_CHOICES = ("min_norm", "left", "right")


def resolve_subgradient(choice: Any, left: float, right: float, op: str, *, tie: bool = False) -> float:
    """The derivative a hard operator reports at a kink with one-sided ``left``/``right``.

    ``"min_norm"`` (the default everywhere) is the element of the Clarke
    subdifferential ``[min(left, right), max(left, right)]`` closest to 0;
    ``"left"``/``"right"`` are the one-sided derivatives; a number must lie in
    that interval. For a tie of two arguments (``tie=True``) the value is the
    weight on the first argument and ``"min_norm"`` splits equally (0.5), the
    minimum-norm element of the joint subdifferential ``{(w, 1 - w)}``.
    """
    lo, hi = min(left, right), max(left, right)
    if isinstance(choice, str):
        if choice == "min_norm":
            return 0.5 * (lo + hi) if tie else float(min(max(0.0, lo), hi))
        if choice == "left":
            return float(left)
        if choice == "right":
            return float(right)
        raise ValueError(
            f"{op}: unknown subgradient {choice!r}; expected 'min_norm', 'left', 'right' or a number"
        )
    if isinstance(choice, bool) or not isinstance(choice, int | float):
        raise TypeError(f"{op} expects subgradient to be a string or a Python number, got {choice!r}")
    if not lo <= choice <= hi:
        raise ValueError(f"{op}: subgradient {choice!r} is outside the subdifferential [{lo}, {hi}]")
    return float(choice)


@jax.custom_jvp
def ratio(z: jax.Array, t: jax.Array) -> jax.Array:
    """``z / t`` whose derivatives never form ``t ** -2``.

    jax differentiates ``z / t`` w.r.t. ``t`` as ``-z * t ** -2``, which
    overflows to inf (and then NaN) for tiny temperatures even where ``z / t``
    is small. Here the derivative is ``-(z / t) / t``, again a ratio.
    """
    return z / t


def tangent(*terms: tuple[Any, Callable[[Any], jax.Array]]) -> jax.Array:
    """The sum of ``rule(dx)`` over the ``(dx, rule)`` pairs whose tangent is not
    a symbolic zero (JVP rules defined with ``symbolic_zeros=True``).

    jax hands a rule explicit zero arrays otherwise, and XLA cannot drop
    ``coefficient * 0`` (it is NaN for an infinite coefficient): the gradient
    with respect to ``x`` alone would still compute the coefficients of the
    temperature and of every other argument, per element.
    """
    live = [rule(d) for d, rule in terms if not isinstance(d, SymbolicZero)]
    assert live, "jax does not call a JVP rule whose tangents are all zero"
    return functools.reduce(operator.add, live)


def _ratio_jvp(primals, tangents):
    (z, t), (dz, dt) = primals, tangents
    ans = ratio(z, t)
    return ans, tangent((dz, lambda d: ratio(d, t)), (dt, lambda d: -ratio(ans, t) * d))


ratio.defjvp(_ratio_jvp, symbolic_zeros=True)


@jax.custom_jvp
def scale(d: jax.Array, t: jax.Array, r: Reciprocal) -> jax.Array:
    """``d / t`` as a product with a precomputed :class:`Reciprocal` of ``t``
    (one division per temperature rather than per entry); like :func:`ratio`,
    the ``t``-derivative ``-(d / t) / t`` never forms ``t ** -2``. Only ``d``'s
    and ``t``'s tangents count: ``r`` is a function of ``t``."""
    return (d * r.s) * r.r


def _scale_jvp(primals, tangents):
    (d, t, r), (dd, dt, _) = primals, tangents
    u = scale(d, t, r)
    return u, tangent((dd, lambda v: scale(v, t, r)), (dt, lambda v: -u * scale(v, t, r)))


scale.defjvp(_scale_jvp, symbolic_zeros=True)


def scale_to_bound(
    mode: str, flat: Collection[str]
) -> Callable[[jax.Array, jax.Array, Reciprocal], jax.Array]:
    """How a kernel chosen per temperature (:func:`relax_saturated`) scales its
    distance: :func:`scale_flat` for the modes in ``flat``, whose kernel and
    its derivatives take an infinite argument as their limit (``FLAT_STEPS``
    for steps, ``RESIDUAL_EVERYWHERE`` for relu-like residuals), so no clamp
    per element; :func:`saturate` otherwise (gaussian)."""
    if mode not in flat:
        return saturate
    # (the algebraic kernels are not flat beyond the bound: their derivatives
    # there are the far field's, as saturate's are, since their density clamps
    # its argument and would give a tail of 1 / (2 FAR^3) times 1 / t)
    return scale_flat_masked if mode == "algebraic" else scale_flat


@functools.partial(jax.custom_jvp, nondiff_argnums=(3,))
def clamped(d: jax.Array, t: jax.Array, r: Reciprocal, bound: float) -> jax.Array:
    """``d / t`` (given ``r``, its :class:`Reciprocal`) clamped to ``[-bound, bound]``
    (``bound`` at least the saturation bound ``L``).

    Safe at every ``d``, infinite ones included, and every temperature above
    the smallest usable one. Its derivatives are 0 beyond ``L`` (where every
    kernel is flat to working precision, or its tail below ``1 / (4 L)`` of
    the kink for the algebraic one, and powers of ``d / t`` and ``1 / t`` in
    higher derivatives would overflow) and are formed from in-bound values
    inside, so a lane whose ``d / t`` overflows contributes exact zeros in
    reverse mode too (jax's rule for ``clamp(d * r)`` would multiply a zero
    cotangent by that infinite ``d / t``).
    """
    b = jnp.asarray(bound, d.dtype)
    return lax.clamp(-b, scale(d, t, r), b)


def saturate(d: jax.Array, t: jax.Array, r: Reciprocal) -> jax.Array:
    """:func:`clamped` to the saturation bound ``[-L, L]``, for kernels that are
    exactly flat beyond it: unlike :func:`scaled` it needs no per-element band."""
    return clamped(d, t, r, saturation(d.dtype))


def _flat_beyond_bound(fn, mask_d=True):
    """The JVP rule of :func:`clamped` and :func:`scale_flat`: ``scale``'s,
    masked to 0 beyond the saturation bound (the ``d`` term only if ``mask_d``)."""

    def rule(primals, tangents):
        (d, t, r), (dd, dt, _) = primals, tangents
        u = fn(d, t, r)
        inside = jnp.abs(u) < saturation(d.dtype)  # (false for inf and NaN: derivatives 0)
        zero = jnp.zeros((), u.dtype)
        # (u itself selected too: reverse mode multiplies the coefficient into the
        # masked cotangent, and NaN * 0 is NaN)
        us = jnp.where(inside, u, zero)

        def d_d(v):
            return jnp.where(inside, scale(v, t, r), zero) if mask_d else scale(v, t, r)

        return u, tangent((dd, d_d), (dt, lambda v: jnp.where(inside, -us * scale(v, t, r), zero)))

    return rule


def _clamped_jvp(bound, primals, tangents):
    return _flat_beyond_bound(lambda d, t, r: clamped(d, t, r, bound))(primals, tangents)


clamped.defjvp(_clamped_jvp, symbolic_zeros=True)


@jax.custom_jvp
def scale_flat(d: jax.Array, t: jax.Array, r: Reciprocal) -> jax.Array:
    """:func:`saturate` without the clamp in the value: ``d / t`` (given ``r``),
    infinite where it overflows. Its derivative in ``t`` is :func:`saturate`'s
    (0 beyond the bound, formed from in-bound values only: there it would
    form ``u / t`` times the kernel's derivative, ``inf * 0``); its derivative
    in ``d`` is ``1 / t`` everywhere, unmasked: the kernel's own derivative
    is finite (and its limit) at every ``u``, infinite ones included, and a
    mask per element costs a fifth of a step's gradient on CPU. A NaN ``d``
    gives NaN derivatives (:func:`scale_flat_masked` for callers that
    discard such lanes).

    For kernels that are exactly flat beyond the saturation bound and take an
    infinite argument as their limit, with every derivative: the logistic and
    compact steps (``sigmoid(inf) == 1``, ``FLAT_STEPS``) and the logistic and
    polynomial relu-like residuals (``RESIDUAL_EVERYWHERE``). The algebraic
    kernels are in both sets though not flat beyond ``L``: their tails there
    (below ``1 / (4 L)`` of the kink's scale) are kept in the value, while
    both derivatives are the far field's, the hard operator's (they take
    :func:`scale_flat_masked`: the density clamps its argument). Not the gaussian
    ones, whose density's derivative ``-u phi(u)`` is ``inf * 0`` at inf. The
    clamp costs as much as the rest of such a kernel on CPU (a sixth of
    ``sigmoid(x / t)``), and the value does not need it.
    """
    return scale(d, t, r)


scale_flat.defjvp(_flat_beyond_bound(scale_flat, mask_d=False), symbolic_zeros=True)


@jax.custom_jvp
def scale_flat_masked(d: jax.Array, t: jax.Array, r: Reciprocal) -> jax.Array:
    """:func:`scale_flat` whose derivative in ``d`` is masked beyond the bound
    too, as its derivative in ``t`` is: for callers whose ``d`` can be NaN on
    lanes they discard (reverse mode would multiply the kernel's NaN
    derivative there into a zero cotangent)."""
    return scale(d, t, r)


scale_flat_masked.defjvp(_flat_beyond_bound(scale_flat_masked), symbolic_zeros=True)


@jax.custom_jvp
def times_t(v: jax.Array, t: jax.Array) -> jax.Array:
    """``v * t`` for a kernel ``kink + t * residual`` whose kink carries a NaN
    input itself: the derivative in ``t`` takes a NaN ``v`` as 0.

    Otherwise reverse mode would multiply that NaN by the zero cotangent of a
    lane the caller discards (``0 * NaN``), and a scalar temperature's gradient
    would be NaN for the whole array. The select is paid only where the
    temperature is differentiated; the value is the plain product.
    """
    return v * t


def _times_t_jvp(primals, tangents):
    (v, t), (dv, dt) = primals, tangents
    zero = jnp.zeros((), v.dtype)
    return times_t(v, t), tangent(
        (dv, lambda d: d * t),
        (dt, lambda d: jnp.where(jnp.isnan(v), zero, v) * d),
    )


times_t.defjvp(_times_t_jvp, symbolic_zeros=True)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def plus_t(h: jax.Array, t: jax.Array, c: float) -> jax.Array:
    """``h + c * t``, the first-order term of a relaxation on its kink, that is
    exactly ``h`` at ``t = 0``, signed zeros included (``-0.0 + 0.0`` is
    ``+0.0``), and has the derivative ``c`` in ``t`` there too."""
    return jnp.where(t > 0, h + t * c, h)


def _plus_t_jvp(c, primals, tangents):
    (h, t), (dh, dt) = primals, tangents
    out = plus_t(h, t, c)
    return out, jnp.broadcast_to(tangent((dh, lambda d: d), (dt, lambda d: c * d)), out.shape)


plus_t.defjvp(_plus_t_jvp, symbolic_zeros=True)


def scaled(z: jax.Array, t: jax.Array, r: Reciprocal) -> jax.Array:
    """``z / t`` (given ``r``, its :class:`Reciprocal`) with ``|z / t|`` clamped to the saturation
    bound (never overflows).

    Only for use where ``t >= MIN_TEMPERATURE`` (inside :func:`relax`'s soft
    branch). Beyond the bound every kernel is saturated,
    so the clamp (with its zero derivative) changes nothing at working precision.
    """
    bound = band(t)
    return scale(jnp.where(jnp.abs(z) <= bound, z, jnp.sign(z) * bound), t, r)


def prepare(op: str, names: Sequence[str], arrays: Sequence[Any], temperature: Any):
    """Validate float inputs and temperature; return them in the working dtype.

    Returns ``(arrays, t, dtype)`` where ``dtype`` is the result dtype (the
    inputs' common float dtype) and the arrays and ``t`` are cast to the
    working dtype (float32 for float16/bfloat16 inputs).
    """
    from softops import _checks

    xs = _checks.as_float_operands(arrays, names, op)
    if len(xs) > 1:
        _checks.broadcast_shapes(op, names, xs)
    dtype = _checks.result_dtype(*xs, op=op)
    w = _checks.working_dtype(dtype)
    t = _checks.temperature(temperature, op, w)
    # via the result dtype: a weak Python scalar is rounded as jnp rounds it (0.3 -> float16)
    return [x.astype(dtype).astype(w) for x in xs], t, dtype


def finish(
    hard: Callable[..., jax.Array],
    soft: Callable[..., jax.Array],
    args: Sequence[jax.Array],
    use_straight_through: bool,
    dtype: Any,
    op: str = "softops",
    elementwise: bool = True,
) -> jax.Array:
    """Evaluate the soft operator (or hard forward / soft backward) and cast back.

    ``soft`` takes ``(*args, t)``; ``hard`` takes ``args`` without ``t``. The
    result is broadcast against the temperature, as the soft path would be;
    for an ``elementwise`` operator a temperature that does not broadcast
    against the inputs is a ValueError naming the operator.
    """
    from softops import _checks

    use_st = _checks.boolean(use_straight_through, op, "straight_through")
    if elementwise:
        inputs = jnp.broadcast_shapes(*(jnp.shape(a) for a in args[:-1]))
        try:
            jnp.broadcast_shapes(inputs, jnp.shape(args[-1]))
        except ValueError:
            raise ValueError(
                f"{op}: temperature of shape {jnp.shape(args[-1])} does not broadcast against the input "
                f"shape {inputs}"
            ) from None
    t = args[-1]
    if _checks.is_concrete(t) and not bool(np.any(np.asarray(t))):
        # A temperature known to be 0 when tracing: the hard operator alone (what
        # the relaxation evaluates to at t == 0, without tracing the soft branch).
        return _broadcast_hard(hard, args).astype(dtype)
    if use_st:
        out = straight_through(lambda *a: _broadcast_hard(hard, a), soft, *args)
    else:
        out = soft(*args)
    return out.astype(dtype)


def _broadcast_hard(hard, args):
    *xs, t = args
    out = hard(*xs)
    return jnp.broadcast_to(out, jnp.broadcast_shapes(out.shape, t.shape))
