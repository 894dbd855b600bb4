"""Logic on soft booleans: not, and, or, xor, all, any under a choice of t-norm.

These operators take probabilities (soft booleans in [0, 1], e.g. from
:func:`softops.greater`), not a temperature: the smoothness comes from their
inputs. The ``tnorm`` keyword picks the fuzzy-logic family:

* ``"product"`` (default): ``p q``, ``p + q - p q`` -- the probability of the
  conjunction/disjunction of independent events; smooth everywhere.
* ``"lukasiewicz"``: ``max(p + q - 1, 0)``, ``min(p + q, 1)``.
* ``"goedel"``: ``min(p, q)``, ``max(p, q)``.

On inputs that are exactly 0 or 1 every family is exact boolean logic. The
kinks of the Lukasiewicz and Goedel forms carry the minimum-norm subgradient,
softops' rule everywhere (ties of min/max split equally).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from softops import _checks
from softops._mechanism import straight_through
from softops._registry import Kink, _hard_boolean, _soft_boolean, register, soft_input

Array = jax.Array
ArrayLike = Any

TNORMS: tuple[str, ...] = ("product", "lukasiewicz", "goedel")


def _tnorm(tnorm: Any, op: str) -> str:
    if not isinstance(tnorm, str) or tnorm not in TNORMS:
        raise ValueError(f"{op}: unknown tnorm {tnorm!r}; expected one of {', '.join(map(repr, TNORMS))}")
    return tnorm


def _inputs(op, names, arrays):
    """Float inputs in the working dtype, and the result dtype."""
    xs = _checks.as_float_operands(arrays, names, op)
    if len(xs) > 1:
        _checks.broadcast_shapes(op, names, xs)
    dtype = _checks.result_dtype(*xs, op=op)
    w = _checks.working_dtype(dtype)
    return [x.astype(dtype).astype(w) for x in xs], dtype


def _pos(s):
    """``max(s, 0)`` with derivative 0 at ``s == 0`` (min-norm) and NaN passed through."""
    return jnp.where(s <= 0, jnp.zeros((), s.dtype), s)


def _cap(s):
    """``min(s, 1)`` with derivative 0 at ``s == 1`` and NaN passed through."""
    return jnp.where(s >= 1, jnp.ones((), s.dtype), s)


def _and(p, q, tnorm):
    if tnorm == "product":
        return p * q
    if tnorm == "lukasiewicz":
        return _pos(p + q - 1.0)
    return jnp.minimum(p, q)


def _or(p, q, tnorm):
    if tnorm == "product":
        return p + q - p * q
    if tnorm == "lukasiewicz":
        return _cap(p + q)
    return jnp.maximum(p, q)


def logical_not(p: ArrayLike, /) -> Array:
    r"""Soft negation ``1 - p`` (the same for every t-norm).

    Hard operator: ``jnp.logical_not`` on booleans encoded as 0/1 floats.

    Args:
      p: soft boolean, a floating-point array with values in [0, 1].

    Returns:
      ``1 - p`` in ``p``'s dtype; exact on 0 and 1.

    Points of non-differentiability:
      None: the derivative is -1 everywhere. NaN propagates; the operator
      takes no temperature.

    Raises:
      TypeError: if ``p`` is not floating point.

    Examples:
      >>> import jax, softops as so
      >>> float(so.logical_not(0.25)), float(so.logical_not(1.0))
      (0.75, 0.0)
      >>> float(jax.grad(so.logical_not)(0.0))
      -1.0
    """
    (p,), dtype = _inputs("logical_not", ("p",), (p,))
    return (1.0 - p).astype(dtype)


def logical_and(p: ArrayLike, q: ArrayLike, /, *, tnorm: str = "product") -> Array:
    r"""Soft conjunction of two soft booleans under a t-norm.

    Hard operator: ``jnp.logical_and`` on 0/1 floats. ``product``: :math:`pq`;
    ``lukasiewicz``: :math:`\max(p + q - 1, 0)`; ``goedel``: :math:`\min(p, q)`.
    Each is exact on {0, 1} inputs, commutative, associative and monotone in
    both arguments, with 1 as its identity.

    Args:
      p, q: soft booleans (floating arrays of one dtype, values in [0, 1]),
        broadcast together.
      tnorm: ``"product"`` (default), ``"lukasiewicz"`` or ``"goedel"``.

    Returns:
      The broadcast soft boolean in the inputs' dtype.

    Points of non-differentiability:
      ``product`` is smooth. ``lukasiewicz`` has a kink at ``p + q == 1``
      (one-sided derivatives 0 and 1): ``jax.grad`` returns 0 there (minimum
      norm). ``goedel`` has a tie at ``p == q``: the gradient is split 0.5/0.5.
      NaN propagates. There is no temperature.

    Raises:
      TypeError: non-floating inputs, or mixed dtypes that jnp does not
        promote (``jax_numpy_dtype_promotion='strict'``). ValueError: unknown tnorm.

    Examples:
      >>> import jax, softops as so
      >>> float(so.logical_and(0.5, 0.5)), float(so.logical_and(0.5, 0.5, tnorm="lukasiewicz"))
      (0.25, 0.0)
      >>> float(jax.grad(so.logical_and)(0.5, 0.5, tnorm="lukasiewicz"))  # the kink p + q == 1
      0.0
      >>> float(jax.grad(so.logical_and)(0.5, 0.5, tnorm="goedel"))  # the tie
      0.5

    References:
      Klement, Mesiar & Pap, "Triangular Norms", Kluwer 2000;
      van Krieken, Acar & van Harmelen, "Analyzing differentiable fuzzy logic
      operators", Artificial Intelligence 2022.
    """
    tnorm = _tnorm(tnorm, "logical_and")
    (p, q), dtype = _inputs("logical_and", ("p", "q"), (p, q))
    return _and(p, q, tnorm).astype(dtype)


def logical_or(p: ArrayLike, q: ArrayLike, /, *, tnorm: str = "product") -> Array:
    r"""Soft disjunction (the t-conorm dual to :func:`logical_and`).

    Hard operator: ``jnp.logical_or`` on 0/1 floats. ``product``:
    :math:`p + q - pq`; ``lukasiewicz``: :math:`\min(p + q, 1)`;
    ``goedel``: :math:`\max(p, q)`. De Morgan holds: ``or(p, q) ==
    not(and(not p, not q))`` up to rounding.

    Args:
      p, q: soft booleans of one floating dtype, broadcast together.
      tnorm: ``"product"`` (default), ``"lukasiewicz"`` or ``"goedel"``.

    Returns:
      The broadcast soft boolean in the inputs' dtype.

    Points of non-differentiability:
      ``lukasiewicz``: kink at ``p + q == 1`` (one-sided derivatives 1 and 0),
      ``jax.grad`` gives 0. ``goedel``: tie at ``p == q``, split 0.5/0.5.
      ``product`` is smooth. NaN propagates.

    Raises:
      TypeError: non-floating inputs, or mixed dtypes that jnp does not
        promote (``jax_numpy_dtype_promotion='strict'``). ValueError: unknown tnorm.

    Examples:
      >>> import jax, softops as so
      >>> float(so.logical_or(0.5, 0.5)), float(so.logical_or(1.0, 0.0, tnorm="goedel"))
      (0.75, 1.0)
      >>> float(jax.grad(so.logical_or)(0.25, 0.75, tnorm="lukasiewicz"))
      0.0
    """
    tnorm = _tnorm(tnorm, "logical_or")
    (p, q), dtype = _inputs("logical_or", ("p", "q"), (p, q))
    return _or(p, q, tnorm).astype(dtype)


def logical_xor(p: ArrayLike, q: ArrayLike, /, *, tnorm: str = "product") -> Array:
    r"""Soft exclusive or: exactly one of ``p`` and ``q`` holds.

    Hard operator: ``jnp.logical_xor`` on 0/1 floats. ``product``:
    :math:`p + q - 2pq`, the probability that exactly one of two independent
    events happens (the two cases are disjoint, so their probabilities add;
    this is not the product family's ``or`` of the two ``and`` terms);
    ``lukasiewicz``: :math:`|p - q|` and ``goedel``:
    :math:`\max(\min(p, 1-q), \min(1-p, q))`, which are their family's
    ``or(and(p, not q), and(not p, q))``.

    Args:
      p, q: soft booleans of one floating dtype, broadcast together.
      tnorm: ``"product"`` (default), ``"lukasiewicz"`` or ``"goedel"``.

    Returns:
      The broadcast soft boolean in the inputs' dtype.

    Points of non-differentiability:
      ``lukasiewicz``: kink at ``p == q`` (one-sided derivatives -1 and 1),
      ``jax.grad`` gives 0. ``goedel``: ties of its min/max (``p + q == 1``,
      ``p == q``, ...) split equally. ``product`` is smooth. NaN propagates.

    Raises:
      TypeError: non-floating inputs, or mixed dtypes that jnp does not
        promote (``jax_numpy_dtype_promotion='strict'``). ValueError: unknown tnorm.

    Examples:
      >>> import jax, softops as so
      >>> float(so.logical_xor(1.0, 0.0)), float(so.logical_xor(0.5, 0.5))
      (1.0, 0.5)
      >>> float(jax.grad(so.logical_xor)(0.5, 0.5, tnorm="lukasiewicz"))
      0.0
    """
    tnorm = _tnorm(tnorm, "logical_xor")
    (p, q), dtype = _inputs("logical_xor", ("p", "q"), (p, q))
    if tnorm == "product":
        out = p + q - 2.0 * (p * q)
    elif tnorm == "lukasiewicz":
        d = p - q  # |d| with derivative 0 at d == 0 (min norm; jnp.abs gives 1)
        out = jnp.where(d > 0, d, jnp.where(d < 0, -d, d * 0.0))
    else:
        out = jnp.maximum(jnp.minimum(p, 1.0 - q), jnp.minimum(1.0 - p, q))
    return out.astype(dtype)


# ------------------------------------------------------------------- reductions
def _axes(axis, ndim, op):
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple | list) else (axis,)
    out = tuple(_checks.axis(a, ndim, op) for a in items)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return out


def _exclusive_product(f, axes):
    """``prod_{j != i} f_j`` over ``axes`` for every ``i``, with no division.

    Prefix and suffix products by a tree scan (``lax.cumprod``), so the rounding
    grows with ``log n`` and a zero factor needs no special case.
    """
    rest = tuple(a for a in range(f.ndim) if a not in axes)
    moved = jnp.transpose(f, rest + axes)
    lead = moved.shape[: len(rest)]
    flat = moved.reshape(*lead, -1)
    if flat.shape[-1] == 0:  # an empty product: no factors, nothing to exclude
        return jnp.zeros_like(f)
    one = jnp.ones(flat.shape[:-1] + (1,), f.dtype)
    before = jnp.concatenate([one, lax.cumprod(flat, axis=flat.ndim - 1)[..., :-1]], axis=-1)
    after = jnp.concatenate([lax.cumprod(flat, axis=flat.ndim - 1, reverse=True)[..., 1:], one], axis=-1)
    out = (before * after).reshape(moved.shape)
    return jnp.transpose(out, tuple(int(i) for i in np.argsort(rest + axes)))


def _others_from_logs(p, logs, axes, conj):
    zero = p == (1.0 if not conj else 0.0)  # the factors that vanish
    safe = logs(jnp.where(zero, jnp.full((), 0.5, p.dtype), p))
    safe = jnp.where(zero, jnp.zeros((), p.dtype), safe)
    total = jnp.sum(safe, axis=axes, keepdims=True)
    n_zero = jnp.sum(zero.astype(p.dtype), axis=axes, keepdims=True)
    others_vanish = (n_zero - zero.astype(p.dtype)) > 0
    return jnp.where(others_vanish, jnp.zeros((), p.dtype), jnp.exp(total - safe))


def _product(p, axes, keepdims, conj):
    """``prod(p)`` (``conj``) or ``1 - prod(1 - p)`` through a sum of logs.

    ``log p`` (or ``log1p(-p)``) summed pairwise keeps a product that would
    underflow accurate, and ``-expm1`` keeps a disjunction of tiny
    probabilities; a conjunction whose plain product is a normal number is
    that product.
    The derivative w.r.t. ``p_i`` is the product of the *other* factors
    (:func:`_exclusive_product`), never a ``0 / 0``.
    """

    def logs(p):
        return jnp.log(p) if conj else jnp.log1p(-p)

    def value(total):
        return jnp.exp(total) if conj else -jnp.expm1(total)

    @jax.custom_jvp
    def reduce(p):
        total = jnp.sum(logs(p), axis=axes, keepdims=True)
        if not conj:
            return value(total)  # 1 - prod(1 - p) directly would cancel for small p
        # exp(total) carries total's absolute rounding, ~eps |total|; the plain
        # product one rounding per multiplication, ~eps sqrt(n) (eps n at
        # worst) and none for one factor. So a small product of few factors
        # ([1e-30, .5, .5]) is taken directly, a long one near 1 through the
        # logs. The direct product is only used where it is a normal number:
        # with factors in [0, 1] every partial product is at least the final
        # one, so none underflowed.
        direct = jnp.prod(p, axis=axes, keepdims=True)
        n = math.prod(p.shape[a] for a in axes)
        use_direct = (direct >= jnp.finfo(p.dtype).tiny) & (-total >= math.sqrt(n) - 1.0)
        return jnp.where(use_direct, direct, value(total))

    @reduce.defjvp
    def reduce_jvp(primals, tangents):
        (p,), (dp,) = primals, tangents
        # d prod / d p_i is the product of the *other* factors (for any, of the
        # 1 - p_j). Its value: exp of the summed logs less the own one, with the
        # vanishing factors counted apart (accurate for many factors near 1).
        # Its derivatives: those of the exclusive prefix-times-suffix product,
        # exact at zero factors (where the Hessian of a product is not zero).
        others = straight_through(
            lambda p: _others_from_logs(p, logs, axes, conj),
            lambda p: _exclusive_product(p if conj else 1.0 - p, axes),
            p,
        )
        return reduce(p), jnp.sum(others * dp, axis=axes, keepdims=True)

    out = reduce(p)
    return out if keepdims else jnp.squeeze(out, axis=axes)


def _reduce(op, p, axis, keepdims, tnorm, conj):
    tnorm = _tnorm(tnorm, op)
    keepdims = _checks.boolean(keepdims, op, "keepdims")
    (p,), dtype = _inputs(op, ("p",), (p,))
    axes = _axes(axis, p.ndim, op)
    n = math.prod(p.shape[a] for a in axes)
    if tnorm == "product":
        # all: prod(p); any: 1 - prod(1 - p), both through the log-space product.
        out = _product(p, axes, keepdims, conj)
    elif tnorm == "lukasiewicz":
        if conj:  # max(0, 1 - sum(1 - p))
            out = _pos(1.0 - jnp.sum(1.0 - p, axis=axes, keepdims=keepdims))
        else:  # min(1, sum(p))
            out = _cap(jnp.sum(p, axis=axes, keepdims=keepdims))
    elif n == 0:  # the identity of min / max over an empty set
        shape = jnp.sum(p, axis=axes, keepdims=keepdims).shape
        out = jnp.full(shape, 1.0 if conj else 0.0, p.dtype)
    else:
        out = (jnp.min if conj else jnp.max)(p, axis=axes, keepdims=keepdims)
    return (out + jnp.zeros((), out.dtype)).astype(dtype)  # + 0 turns -0.0 into 0.0


def all(  # noqa: A001 - mirrors jnp.all
    p: ArrayLike,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    tnorm: str = "product",
) -> Array:
    r"""Soft "all": the t-norm of every entry along ``axis``.

    Hard operator: ``jnp.all`` on 0/1 floats (1 for an empty reduction).
    ``product``: :math:`\prod_i p_i`, computed as
    :math:`\exp(\sum_i \log p_i)` so that many factors near 1 are accurate
    (pairwise summation of logs, rather than a long chain of rounded products)
    and the derivative, the product of the *other* entries, is accurate to
    rounding and finite even where some entries are 0 (exactly 0 where another
    entry is 0). ``lukasiewicz``:
    :math:`\max(0, 1 - \sum_i (1 - p_i))`. ``goedel``: :math:`\min_i p_i`.
    Exact on {0, 1} inputs.

    Args:
      p: soft booleans (a floating array with values in [0, 1]).
      axis: ``None`` (all axes, the default), an int or a tuple of ints.
      keepdims: keep the reduced axes with size 1.
      tnorm: ``"product"`` (default), ``"lukasiewicz"`` or ``"goedel"``.

    Returns:
      The reduced soft boolean in ``p``'s dtype.

    Points of non-differentiability:
      ``product``: none (with two or more zeros the derivative is 0, with one
      zero it is the product of the others at that entry). ``lukasiewicz``:
      a kink where :math:`\sum_i (1 - p_i) = 1`, ``jax.grad`` gives 0 there.
      ``goedel``: ties of the minimum split the gradient equally. NaN
      propagates. Negative entries (outside the domain) give NaN in the
      ``product`` family. No temperature.

    Raises:
      TypeError: non-floating input or non-bool ``keepdims``. ValueError:
      unknown tnorm, axis out of range or repeated.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> p = jnp.array([1.0, 0.5, 0.5])
      >>> float(so.all(p)), float(so.all(p, tnorm="goedel"))
      (0.25, 0.5)
      >>> jax.grad(so.all)(jnp.array([0.0, 0.5, 1.0]))  # exact with a zero entry
      Array([0.5, 0. , 0. ], dtype=float32)
      >>> jax.grad(lambda p: so.all(p, tnorm="goedel"))(p)  # tie of the minimum
      Array([0. , 0.5, 0.5], dtype=float32)
    """
    return _reduce("all", p, axis, keepdims, tnorm, True)


def any(  # noqa: A001 - mirrors jnp.any
    p: ArrayLike,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    tnorm: str = "product",
) -> Array:
    r"""Soft "any": the t-conorm of every entry along ``axis``.

    Hard operator: ``jnp.any`` on 0/1 floats (0 for an empty reduction).
    ``product``: :math:`1 - \prod_i (1 - p_i)`, computed in log space like
    :func:`all` (so a sum of many tiny probabilities is not lost and the
    derivative stays exact where some ``p_i == 1``). ``lukasiewicz``:
    :math:`\min(1, \sum_i p_i)`. ``goedel``: :math:`\max_i p_i`.

    Args:
      p: soft booleans (a floating array with values in [0, 1]).
      axis: ``None`` (all axes, the default), an int or a tuple of ints.
      keepdims: keep the reduced axes with size 1.
      tnorm: ``"product"`` (default), ``"lukasiewicz"`` or ``"goedel"``.

    Returns:
      The reduced soft boolean in ``p``'s dtype.

    Points of non-differentiability:
      ``lukasiewicz``: kink at :math:`\sum_i p_i = 1` (``jax.grad`` gives 0).
      ``goedel``: ties of the maximum split equally. ``product``: smooth.
      NaN propagates; entries above 1 give NaN in the ``product`` family. No
      temperature.

    Raises:
      TypeError: non-floating input or non-bool ``keepdims``. ValueError:
      unknown tnorm, axis out of range or repeated.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> float(so.any(jnp.array([0.5, 0.5]))), float(so.any(jnp.zeros(3)))
      (0.75, 0.0)
      >>> jax.grad(so.any)(jnp.array([1.0, 0.5, 0.0]))  # exact with an entry at 1
      Array([0.5, 0. , 0. ], dtype=float32)
    """
    return _reduce("any", p, axis, keepdims, tnorm, False)


# -------------------------------------------------------------------- registry
_TNORM_MODES = {"product": math.inf, "lukasiewicz": 0, "goedel": 0}


def _sample_pq(key, dtype):
    p, q = _soft_boolean(key, dtype, (2, 7))
    return (p, q), {}


def _hard_pq(key, dtype):
    p, q = _hard_boolean(key, dtype, (2, 7))
    return (p, q), {}


def _sample_p(key, dtype):
    return _sample_pq(key, dtype)[0][:1], {}


def _hard_p(key, dtype):
    return _hard_pq(key, dtype)[0][:1], {}


def _sample_rows(key, dtype):
    return (_soft_boolean(key, dtype, (3, 5)),), {"axis": -1}


def _hard_rows(key, dtype):
    p = _hard_boolean(key, dtype, (3, 5), p=0.7)
    p[0] = 1  # one row all true
    return (p,), {"axis": -1}


def _on_booleans(f):
    """A jnp logic function on 0/1 floats, returning 0/1 floats of their dtype."""
    return lambda *ps, **kw: f(*(p != 0 for p in ps), **kw).astype(ps[0].dtype)


_LOGIC_NOTE = "On soft booleans (values in [0, 1]); exact boolean logic on 0 and 1. No temperature."


def _register_logic(name, fn, hard, kinks, sample=_sample_pq, hard_sample=_hard_pq, modes=_TNORM_MODES):
    register(
        soft_input(
            name,
            fn,
            _on_booleans(hard),
            "logic",
            sample,
            hard_sample,
            _LOGIC_NOTE,
            modes=modes,
            mode_keyword="tnorm" if len(modes) > 1 else None,
            kinks=kinks,
            nan_policy="elementwise" if name.startswith("logical") else "any",
        )
    )


_register_logic(
    "logical_not", logical_not, jnp.logical_not, (), _sample_p, _hard_p, modes={"standard": math.inf}
)
_register_logic(
    "logical_and",
    logical_and,
    jnp.logical_and,
    (
        Kink("p + q == 1", "kink", 0.0, 1.0, (0.5, 0.5), mode="lukasiewicz"),
        Kink("p == q", "tie", 1.0, 0.0, (0.5, 0.5), mode="goedel"),
    ),
)
_register_logic(
    "logical_or",
    logical_or,
    jnp.logical_or,
    (
        Kink("p + q == 1", "kink", 1.0, 0.0, (0.5, 0.5), mode="lukasiewicz"),
        Kink("p == q", "tie", 0.0, 1.0, (0.5, 0.5), mode="goedel"),
    ),
)
_register_logic(
    "logical_xor",
    logical_xor,
    jnp.logical_xor,
    (
        Kink("p == q", "kink", -1.0, 1.0, (0.5, 0.5), mode="lukasiewicz"),
        # Several of its min/max tie at once on these lines (split equally).
        Kink("p == q or p + q == 1", "tie", 0.0, 1.0, None, mode="goedel"),
    ),
)
_register_logic(
    "all",
    all,
    jnp.all,
    (
        Kink("sum(1 - p) == 1", "kink", 0.0, 1.0, ((0.5, 0.5),), mode="lukasiewicz"),
        Kink("ties of min(p)", "tie", 1.0, 0.0, ((0.5, 0.5),), mode="goedel"),
    ),
    _sample_rows,
    _hard_rows,
)
_register_logic(
    "any",
    any,
    jnp.any,
    (
        Kink("sum(p) == 1", "kink", 1.0, 0.0, ((0.5, 0.5),), mode="lukasiewicz"),
        Kink("ties of max(p)", "tie", 0.0, 1.0, ((0.5, 0.5),), mode="goedel"),
    ),
    _sample_rows,
    _hard_rows,
)
