"""Elementwise family: 1e6 float32 elements against hand-written jnp equivalents.

For each operator and mode the baseline is the formula a user would write by
hand (``t * jax.nn.softplus(x / t)`` for relu, ...), in the algebraic mode
the one with accurate tails (see ``_accurate``); for temperature 0 it is the jnp
operator itself. Where the baseline lacks a guarantee that softops gives at
the cost of a select per element (exact staircase ends and +-inf, a finite
derivative of sqrt at 0), an info row times it with that select added
(``_guarded``), beside the baseline.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from _harness import Case
from jax.scipy.special import ndtr

import softops as so

N = 1_000_000
T = 0.5


def _cdf(mode, u):
    return {
        "logistic": lambda: jax.nn.sigmoid(u),
        "algebraic": lambda: 0.5 * (1 + u / jnp.sqrt(1 + u * u)),
        "gaussian": lambda: ndtr(u),
        "ramp": lambda: jnp.clip((u + 1) / 2, 0, 1),
        "cubic": lambda: (lambda v: v * v * (3 - 2 * v))(jnp.clip((u + 1) / 2, 0, 1)),
        "quintic": lambda: (lambda v: v**3 * (10 - 15 * v + 6 * v * v))(jnp.clip((u + 1) / 2, 0, 1)),
    }[mode]()


def _odd(mode, u):
    """The step less 1/2, as one writes it for a staircase (no cancellation at 0)."""
    v = jnp.clip(u, -1, 1)
    return {
        "logistic": lambda: 0.5 * jnp.tanh(0.5 * u),
        "algebraic": lambda: 0.5 * u / jnp.sqrt(1 + u * u),
        "gaussian": lambda: 0.5 * jax.scipy.special.erf(u / math.sqrt(2)),
        "ramp": lambda: 0.5 * v,
        "cubic": lambda: 0.25 * v * (3 - v * v),
        "quintic": lambda: v * (15 + v * v * (-10 + 3 * v * v)) / 16,
    }[mode]()


def _stair(mode, m, r, t):
    """The staircase ``m + 1/2 + odd(r / t) / (2 odd(1 / (2 t)))`` on cell ``m``, offset ``r``."""
    return m + 0.5 + _odd(mode, r / t) / (2 * _odd(mode, 0.5 / t))


def _cell(name, x):
    """``(m, r)`` of a staircase: its value at ``x`` is ``m`` plus a step in
    ``r``, x's offset from the jump of its cell (``|r| <= 1/2``)."""
    if name == "round":
        return jnp.floor(x), x - jnp.floor(x) - 0.5
    m = jnp.round(x)
    return (m - 1 if name == "floor" else m), x - m


def _S(mode, u):
    v = jnp.clip((u + 1) / 2, 0, 1)
    return {
        "logistic": lambda: jax.nn.softplus(u),
        "algebraic": lambda: 0.5 * (u + jnp.sqrt(1 + u * u)),
        "gaussian": lambda: u * ndtr(u) + jnp.exp(-0.5 * u * u) / math.sqrt(2 * math.pi),
        "ramp": lambda: jnp.where(u >= 1, u, v * v),
        "cubic": lambda: jnp.where(u >= 1, u, v**3 * (2 - v)),
        "quintic": lambda: jnp.where(u >= 1, u, v**4 * (5 - 6 * v + 2 * v * v)),
    }[mode]()


def _handwritten(name, mode, t):
    S0 = {
        "logistic": math.log(2),
        "algebraic": 0.5,
        "gaussian": 1 / math.sqrt(2 * math.pi),
        "ramp": 0.25,
        "cubic": 3 / 16,
        "quintic": 5 / 32,
    }.get(mode)
    return {
        "relu": lambda x: t * _S(mode, x / t),
        "abs": lambda x: t * (_S(mode, x / t) + _S(mode, -x / t) - 2 * S0),
        "heaviside": lambda x: _cdf(mode, x / t),
        "sign": lambda x: 2 * _cdf(mode, x / t) - 1,
        "maximum": lambda x: 0.5 + t * _S(mode, (x - 0.5) / t),
        "clip": lambda x: -1 + t * _S(mode, (x + 1) / t) - t * _S(mode, (x - 1) / t),
        "round": lambda x: _stair(mode, *_cell("round", x), t),
        "floor": lambda x: _stair(mode, *_cell("floor", x), t),
        "ceil": lambda x: _stair(mode, *_cell("ceil", x), t),
        "minimum": lambda x: 0.5 - t * _S(mode, (0.5 - x) / t),
        "norm": lambda x: jnp.sqrt(jnp.sum(x.reshape(-1, 1000) ** 2, axis=-1) + t * t) - t,
        "sqrt": lambda x: jnp.sqrt(jnp.abs(x) + t * t) - t,
        "log": lambda x: jnp.log(jnp.abs(x) + t),
        "divide": lambda x: x / (x * x + t * t),
    }[name]


def _accurate(name, t):
    """The algebraic relaxations as a careful user writes them by hand: the
    lower tail ``1 / (2 (h + |u|))`` (``h = sqrt(1 + u^2)``) instead of the
    cancelling ``(u + h) / 2``, and ``u^2 / (h + 1)`` for ``h - 1``.

    These are the baselines of the algebraic rows, as ``jax.nn.softplus`` (not
    ``log(1 + exp(u))``) is the logistic rows' one: the textbook formulas lose
    every digit in a tail (``(u + h) / 2`` is 2x off at ``u = -4000`` and 0 below
    ``u = -4096`` in float32,
    ``h - 1`` is 0 for ``|u| < 2.4e-4``, inf or NaN where ``u * u`` overflows) and are
    timed beside them for information. Each accurate form pays one division the
    textbook formula does not (about 1.3-1.5x on CPU)."""

    def S(u):
        return jnp.maximum(u, 0) + 0.5 / (jnp.sqrt(1 + u * u) + jnp.abs(u))

    def cdf(u):
        h = jnp.sqrt(1 + u * u)
        q = 0.5 / (h * (h + jnp.abs(u)))
        return jnp.where(u < 0, q, 1 - q)

    return {
        "relu": lambda x: t * S(x / t),
        "abs": lambda x: (lambda u: t * u * u / (jnp.sqrt(1 + u * u) + 1))(x / t),
        "heaviside": lambda x: cdf(x / t),
        "maximum": lambda x: 0.5 + t * S((x - 0.5) / t),
        "clip": lambda x: -1 + t * S((x + 1) / t) - t * S((x - 1) / t),
        "sqrt": lambda x: jnp.abs(x) / (jnp.sqrt(jnp.abs(x) + t * t) + t),
    }.get(name)


def _guarded(name, mode, t):
    """For information: the hand-written formula with the guarantees softops
    gives and it lacks, where they cost a select per element. A staircase
    exact on its cell ends and at +-inf (``x`` plus the cell's shift there:
    the hand-written staircase misses integers by an ulp and turns +-inf into
    NaN, and ``m + 1/2`` rounds above 2**23), and a square root whose
    derivative is finite at 0 (the double ``where``; jnp's is inf there)."""
    if name in ("round", "floor", "ceil") and t > 0:  # (jnp.round itself is exact)
        shift = {"round": 0.0, "floor": -0.5, "ceil": 0.5}[name]

        def stair(x):
            m, r = _cell(name, x)
            return jnp.where(jnp.abs(r) < 0.5, _stair(mode, m, r, t), x + shift)

        return stair
    if name == "sqrt" and t == 0:
        return lambda x: (lambda y: jnp.where(y > 0, jnp.sqrt(jnp.where(y > 0, y, 1.0)), 0.0))(jnp.abs(x))
    return None


_GUARDED = "hand-written with the same guarantees (info)"

_HARD = {
    "relu": jax.nn.relu,
    "abs": jnp.abs,
    "heaviside": lambda x: jnp.heaviside(x, 0.5),
    "sign": jnp.sign,
    "maximum": lambda x: jnp.maximum(x, 0.5),
    "clip": lambda x: jnp.clip(x, -1.0, 1.0),
    "round": jnp.round,
    "floor": jnp.floor,
    "ceil": jnp.ceil,
    "minimum": lambda x: jnp.minimum(x, 0.5),
    "norm": lambda x: jnp.linalg.norm(x.reshape(-1, 1000), axis=-1),
    "sqrt": lambda x: jnp.sqrt(jnp.abs(x)),
    "log": lambda x: jnp.log(jnp.abs(x)),
    "divide": lambda x: 1.0 / x,
}
_OURS = {
    "relu": so.relu,
    "abs": so.abs,
    "heaviside": so.heaviside,
    "sign": so.sign,
    "maximum": lambda x, **kw: so.maximum(x, 0.5, **kw),
    "clip": lambda x, **kw: so.clip(x, -1.0, 1.0, **kw),
    "round": so.round,
    "floor": so.floor,
    "ceil": so.ceil,
    "minimum": lambda x, **kw: so.minimum(x, 0.5, **kw),
    "norm": lambda x, **kw: so.norm(x.reshape(-1, 1000), axis=-1, **kw),
    "sqrt": lambda x, **kw: so.sqrt(jnp.abs(x), **kw),
    "log": lambda x, **kw: so.log(jnp.abs(x), **kw),
    "divide": lambda x, **kw: so.divide(1.0, x, **kw),
}
_MODES = {
    "floor": ("logistic",),
    "ceil": ("logistic",),
    "minimum": ("logistic",),
    "norm": ("algebraic",),
    "sqrt": ("algebraic",),
    "log": ("algebraic",),
    "divide": ("algebraic",),
}
# A temperature that is 0 but traced (annealed to 0 inside jit) cannot skip the
# relaxation: these rows show what that costs against the jnp operator.
_TRACED_ZERO = ("relu", "clip", "round", "heaviside")
# The main rows fold a constant temperature into the program; an annealed one
# is traced. These rows time both sides with t = 0.5 passed in.
_TRACED = ("relu", "heaviside", "round")


def cases() -> list[Case]:
    x = jax.random.normal(jax.random.PRNGKey(0), (N,), jnp.float32) * 2
    out = []
    for name, ours in _OURS.items():
        for mode in _MODES.get(name, so.info("relu").modes):
            accurate = _accurate(name, T) if mode == "algebraic" else None
            textbook = _handwritten(name, mode, T)
            guarded = _guarded(name, mode, T)
            extra = {"textbook formula, cancelling tails (info)": textbook} if accurate else {}
            if guarded is not None:
                extra[_GUARDED] = guarded
            out.append(
                Case(
                    name=f"{name}[{mode}] t={T}",
                    fn=lambda x, ours=ours, mode=mode: ours(x, temperature=T, mode=mode),
                    baseline=accurate or textbook,
                    args=(x,),
                    baseline_name="hand-written, accurate tails" if accurate else "hand-written jnp",
                    target=1.1,
                    group="elementwise",
                    extra=extra,
                    extra_reps=20,
                )
            )
        if name in _TRACED:
            mode = so.info(name).default_mode
            out.append(
                Case(
                    name=f"{name}[{mode}] t={T} traced (info)",
                    fn=lambda x, t, ours=ours: ours(x, temperature=t),
                    baseline=lambda x, t, name=name, mode=mode: _handwritten(name, mode, t)(x),
                    args=(x, jnp.float32(T)),
                    baseline_name="hand-written jnp",
                    target=float("inf"),
                    group="elementwise",
                )
            )
        if name in _TRACED_ZERO:
            out.append(
                Case(
                    name=f"{name} t=0 traced (info)",
                    fn=lambda x, t, ours=ours: ours(x, temperature=t),
                    baseline=lambda x, t, h=_HARD[name]: h(x),
                    args=(x, jnp.float32(0.0)),
                    baseline_name="jnp operator",
                    target=float("inf"),
                    group="elementwise",
                )
            )
        out.append(
            Case(
                name=f"{name} t=0 (hard)",
                fn=lambda x, ours=ours: ours(x, temperature=0.0),
                baseline=_HARD[name],
                args=(x,),
                baseline_name="jnp operator",
                target=1.05,
                group="elementwise",
                extra={_GUARDED: g} if (g := _guarded(name, None, 0.0)) is not None else {},
                extra_reps=20,
            )
        )
    return out
