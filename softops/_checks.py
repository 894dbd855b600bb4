"""Validation and dtype handling shared by every operator.

Only what is known at trace time is validated here: dtypes, static options and
*concrete* temperatures. A traced temperature cannot be inspected without a
host round trip; see :func:`softops.check_temperature` for the opt-in runtime check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_HALF = (jnp.dtype(jnp.float16), jnp.dtype(jnp.bfloat16))


def as_float_array(x: Any, op: str, name: str = "x") -> jax.Array:
    """Return ``x`` as a floating-point jax array or raise ``TypeError``.

    A Python float becomes a weakly typed array (it takes the dtype of the
    arrays it meets, as in jnp: ``so.clip(x_f16, -1.0, 1.0)`` stays float16).
    """
    if isinstance(x, bool | np.bool_):
        raise TypeError(f"{op} expects a floating-point {name}, got bool {x!r}")
    if isinstance(x, int):
        raise TypeError(f"{op} expects a floating-point {name}, got Python int {x!r}")
    if isinstance(x, float):
        return jnp.asarray(x)
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        try:
            dtype = np.asarray(x).dtype
        except Exception as err:  # pragma: no cover - exotic input
            raise TypeError(f"{op} expects a floating-point array for {name}, got {type(x)}") from err
    if not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(f"{op} expects a floating-point {name}, got {jnp.dtype(dtype).name}")
    return jnp.asarray(x)


def as_float_operands(arrays: Sequence[Any], names: Sequence[str], op: str) -> list[jax.Array]:
    """Several operands of one operator: the first must be floating; the others may
    also be Python ints, which are weakly typed like Python floats
    (``so.clip(x, 0, 1)``, ``so.maximum(x, 0)``), as jnp allows.
    """
    out = []
    for i, (a, n) in enumerate(zip(arrays, names, strict=True)):
        if i > 0 and isinstance(a, int) and not isinstance(a, bool):
            a = float(a)
        out.append(as_float_array(a, op, n))
    return out


def result_dtype(*arrays: jax.Array, op: str = "softops") -> jnp.dtype:
    """The common floating dtype of several float inputs, by jnp's own promotion.

    Weak types count: a Python scalar never widens an array's dtype. Under
    ``jax_numpy_dtype_promotion="strict"`` mixed dtypes are a ``TypeError``.
    """
    try:
        return jnp.dtype(jnp.result_type(*arrays))
    except jax.dtypes.TypePromotionError as err:
        names = ", ".join(jnp.dtype(a.dtype).name for a in arrays)
        raise TypeError(f"{op}: no implicit promotion between the input dtypes ({names}): {err}") from None


def same_float_dtype(op: str, names: Sequence[str], arrays: Sequence[jax.Array]) -> jnp.dtype:
    """The one floating dtype of values that are blended (branches, choices).

    Arrays must agree exactly; weakly typed values (Python floats) take the
    others' dtype, as in ``jnp.where(p, 0.0, y_f16)``.
    """
    strong = {jnp.dtype(a.dtype) for a in arrays if not getattr(a, "weak_type", False)}
    if len(strong) > 1:
        got = ", ".join(f"{n} {jnp.dtype(a.dtype).name}" for n, a in zip(names, arrays, strict=True))
        raise TypeError(f"{op} expects {' and '.join(names)} of one floating dtype, got {got}")
    return strong.pop() if strong else jnp.dtype(jnp.result_type(*arrays))


def broadcast_shapes(op: str, names: Sequence[str], arrays: Sequence[Any]) -> tuple[int, ...]:
    """The common shape of several operands, or a ValueError naming them."""
    try:
        return tuple(jnp.broadcast_shapes(*(jnp.shape(a) for a in arrays)))
    except ValueError:
        shapes = ", ".join(f"{n} {tuple(jnp.shape(a))}" for n, a in zip(names, arrays, strict=True))
        raise ValueError(f"{op} expects operands that broadcast together, got shapes {shapes}") from None


def working_dtype(dtype: Any) -> jnp.dtype:
    """float16 and bfloat16 are computed in float32 and cast back at the end."""
    dtype = jnp.dtype(dtype)
    return jnp.dtype(jnp.float32) if dtype in _HALF else dtype


def is_concrete(x: Any) -> bool:
    return not isinstance(x, jax.core.Tracer)


def known_finite(x: Any, dtype: Any) -> bool:
    """Whether ``x`` is known when tracing to hold only finite numbers once
    cast to ``dtype`` (a Python number, a NumPy array, a concrete jax array;
    ``1e39`` is not finite in float32); False when traced or not numeric (what
    the argument check then reports)."""
    if not is_concrete(x):
        return False
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return bool(np.all(np.isfinite(np.asarray(x).astype(dtype))))
    except (TypeError, ValueError, OverflowError):
        return False


def temperature(t: Any, op: str, dtype: Any) -> jax.Array:
    """Validate and cast a temperature to ``dtype``.

    A concrete negative (or NaN) temperature is a ``ValueError``. A traced
    negative temperature is clamped to 0 (the hard operator); use
    ``jax.experimental.checkify`` with :func:`softops.check_temperature` to
    make it an error instead.
    """
    if isinstance(t, bool):
        raise TypeError(f"{op} expects a real temperature, got bool")
    if is_concrete(t):
        arr = np.asarray(t)
        if arr.dtype.kind not in "fiu":
            raise TypeError(f"{op} expects a real temperature, got {arr.dtype}")
        if np.any(np.isnan(arr)) or np.any(arr < 0):
            raise ValueError(f"{op} expects a non-negative temperature, got {t!r}")
        if not np.any(arr):
            # Known to be 0 when tracing: kept a NumPy array, so that the operator
            # can see it (under jit every jnp result is traced) and run the hard
            # operator alone rather than the relaxation at a traced 0.
            return np.zeros(arr.shape, dtype)
    t = jnp.asarray(t)
    if not jnp.issubdtype(t.dtype, jnp.floating):
        t = t.astype(dtype)
    # Negative traced temperatures are clamped to 0 (documented): no NaN leaks.
    # (A where, not jnp.maximum, so d/dt at t == 0 is 1 rather than a tie split.)
    t = t.astype(dtype)
    return jnp.where(t < 0, jnp.zeros((), dtype), t)


def mode(m: Any, valid: Iterable[str], op: str) -> str:
    valid = tuple(valid)
    if not isinstance(m, str) or m not in valid:
        raise ValueError(f"{op}: unknown mode {m!r}; expected one of {', '.join(map(repr, valid))}")
    return m


def axis(ax: Any, ndim: int, op: str) -> int:
    if not isinstance(ax, int | np.integer) or isinstance(ax, bool):
        raise TypeError(f"{op} expects an integer axis, got {ax!r}")
    if not -ndim <= ax < ndim:
        raise ValueError(f"{op}: axis {ax} is out of range for an array of rank {ndim}")
    return int(ax) % ndim


def boolean(v: Any, op: str, name: str) -> bool:
    if not isinstance(v, bool | np.bool_):
        raise TypeError(f"{op} expects {name} to be a Python bool, got {v!r}")
    return bool(v)


def check_temperature(temperature: Any) -> jax.Array:
    """Assert, inside ``jax.experimental.checkify``, that a traced temperature is non-negative.

    Operators reject a *concrete* negative temperature with ``ValueError`` but
    cannot inspect a traced one; they clamp it to 0 (the hard operator). Call
    this on the temperature inside a checkified function to turn a negative
    value into a runtime error instead.

    Args:
      temperature: any array-like temperature (traced or not).

    Returns:
      ``temperature`` as an array, unchanged.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> from jax.experimental import checkify
      >>> f = checkify.checkify(lambda t: so.relu(1.0, temperature=so.check_temperature(t)))
      >>> err, _ = jax.jit(f)(-0.5)
      >>> err.get() is not None
      True
    """
    from jax.experimental import checkify

    t = jnp.asarray(temperature)
    checkify.check(jnp.all(t >= 0), "softops: temperature must be non-negative, got {t}", t=t)
    return t
