"""Soft control flow: switch, cond, piecewise and a bounded relaxed while loop.

Every branch is evaluated and the results are blended by probabilities, so
the program is differentiable in its conditions. Weights that are exactly 0
contribute nothing, not even a NaN (values and derivatives), so with 0/1
conditions each operator is its hard ``lax``/``jnp`` counterpart exactly.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from softops import _checks
from softops._mechanism import straight_through as _straight_through
from softops._reductions import _argmax, _hard_argmax
from softops._registry import (
    Kink,
    OperatorInfo,
    _hard_boolean,
    _soft_boolean,
    _unit_normal,
    register,
    soft_input,
)
from softops._select import _blend2, blend

Array = jax.Array
ArrayLike = Any


def _leaves_float(tree, op, what):
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    for leaf in leaves:
        dtype = getattr(leaf, "dtype", None)
        if dtype is None or not jnp.issubdtype(dtype, jnp.floating):
            name = getattr(dtype, "name", type(leaf).__name__)
            raise TypeError(f"{op} expects a floating-point {what} in every leaf (blended), got {name}")
    return leaves, treedef


def _same_structure(op, outs):
    """Flatten branch outputs, checking that they agree like lax.switch requires."""
    flat = [_leaves_float(jax.tree_util.tree_map(jnp.asarray, o), op, "branch output") for o in outs]
    treedef = flat[0][1]
    for _, td in flat[1:]:
        if td != treedef:
            raise TypeError(f"{op}: branches must return the same tree structure, got {treedef} and {td}")
    leaves = [f[0] for f in flat]
    for j, first in enumerate(leaves[0]):
        column = [ls[j] for ls in leaves]
        if any(y.shape != first.shape for y in column):
            raise TypeError(
                f"{op}: branch outputs must agree in shape, got {' and '.join(str(y.shape) for y in column)}"
            )
        # Python floats (weakly typed) take the other branches' dtype, as in lax.cond.
        dtype = _checks.same_float_dtype(op, [f"branch {i} output" for i in range(len(column))], column)
        for ls in leaves:
            ls[j] = ls[j].astype(dtype)
    return leaves, treedef


def _blend_tree(op, probs, outs):
    """``sum_i probs[i] * outs[i]`` leaf by leaf (probs broadcast against each leaf)."""
    leaves, treedef = _same_structure(op, outs)
    blended = []
    for j in range(len(leaves[0])):
        dtype = leaves[0][j].dtype
        w = _checks.working_dtype(dtype)
        vals = [ls[j].astype(w) for ls in leaves]
        shape = _checks.broadcast_shapes(op, ("an output leaf", "the selection"), (vals[0], probs[0]))
        out = blend([p.astype(w) for p in probs], vals)
        blended.append(jnp.broadcast_to(out, shape).astype(dtype))
    return jax.tree_util.tree_unflatten(treedef, blended)


# ------------------------------------------------------------------------ switch
def _selection(w, t):
    """Branch probabilities over the last axis of ``w``: the softmax of ``w / t``
    as :func:`softops.argmax` computes it, with scores clamped at the saturation
    bound (no ``inf - inf`` for infinite weights, no overflowing ``1 / t**2`` in
    d/dt at tiny ``t``); at ``t == 0`` the one-hot of the argmax, ties split."""
    return _argmax("switch", w, -1, t, "softmax", False, 1.0)


def switch(
    weights: ArrayLike,
    branches: Sequence[Callable[..., Any]],
    /,
    *operands: Any,
    temperature: ArrayLike = 1.0,
    straight_through: bool = False,
) -> Any:
    r"""Soft ``lax.switch``: every branch evaluated, blended by a softmax of ``weights``.

    Hard operator: ``lax.switch(jnp.argmax(weights), branches, *operands)``.
    Relaxation: :math:`\sum_i \pi_i\, \mathrm{branch}_i(\mathrm{operands})`
    with :math:`\pi = \mathrm{softmax}(\mathrm{weights} / t)` ("case/switch
    becomes a softmax selector"). At ``t = 0`` :math:`\pi` is the one-hot of
    the argmax, ties split equally (softops' minimum-norm rule), so the
    result is exactly the selected branch (exactly, even when another branch
    returns inf or NaN: terms of weight 0 are skipped). With
    ``straight_through=True`` the value is that hard selection and the
    derivative the relaxation's.

    Args:
      weights: floating array of scores (logits) whose last axis has one
        entry per branch; leading axes broadcast against the outputs' leaves
        (right-aligned), so a ``(n,)`` vector selects for the whole output.
      branches: a non-empty sequence of callables with one output structure
        (same shapes and floating dtypes), as in ``lax.switch``.
      *operands: passed to every branch.
      temperature: non-negative, traced; one per selection: it broadcasts
        against ``weights`` with size 1 along the last (branch) axis.
      straight_through: hard value, relaxed derivative.

    Returns:
      The blended output pytree, each leaf in the branches' dtype.

    Points of non-differentiability:
      At ``t = 0`` the selection is piecewise constant in ``weights``: the
      derivative w.r.t. ``weights`` is 0 (jumps where the argmax changes,
      including ties). For ``t > 0`` the derivative w.r.t. ``weights_i`` is
      :math:`\pi_i (b_i - \bar b)/t`. Derivatives w.r.t. operands are the
      :math:`\pi`-blend of the branches'. Infinite weights select their
      branch at every temperature (``inf`` weights tie with each other, and
      so do all ``-inf`` weights), with derivative 0 w.r.t. the weights and
      the temperature; NaN weights give NaN. d/dt at ``t = 0`` is 0, and
      finite at every ``t``.

    Raises:
      TypeError: non-floating weights, non-callable branches or disagreeing
      branch outputs. ValueError: no branches, a last axis of ``weights`` not
      equal to the number of branches, a concrete negative temperature.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> branches = [lambda x: x, lambda x: 10.0 * x]
      >>> float(so.switch(jnp.array([0.0, 1.0]), branches, 2.0, temperature=0.0))
      20.0
      >>> float(so.switch(jnp.array([1.0, 1.0]), branches, 2.0, temperature=0.0))  # tie: split
      11.0
      >>> jax.grad(lambda w: so.switch(w, branches, 2.0, temperature=0.0))(jnp.array([0.0, 1.0]))
      Array([0., 0.], dtype=float32)
    """
    op = "switch"
    branches = tuple(branches)
    if not branches:
        raise ValueError("switch expects at least one branch")
    if not all(callable(b) for b in branches):
        raise TypeError("switch expects a sequence of callables as branches")
    w = _checks.as_float_array(weights, op, "weights")
    if w.ndim == 0 or w.shape[-1] != len(branches):
        raise ValueError(
            f"switch expects weights with a last axis of size {len(branches)} "
            f"(one per branch), got shape {w.shape}"
        )
    _checks.boolean(straight_through, op, "straight_through")
    wd = _checks.working_dtype(w.dtype)
    t = _checks.temperature(temperature, op, wd)
    w = w.astype(wd)

    def run(probs, ops):
        outs = [b(*ops) for b in branches]
        return _blend_tree(op, [probs[..., i] for i in range(len(branches))], outs)

    def soft(w, t, ops):
        return run(_selection(w, t), ops)

    if straight_through:
        hard = lambda w, t, ops: run(_hard_argmax(w, w.ndim - 1), ops)
        return _straight_through(hard, soft, w, t, operands)
    return soft(w, t, operands)


# -------------------------------------------------------------------------- cond
def cond(
    p: ArrayLike,
    true_fn: Callable[..., Any],
    false_fn: Callable[..., Any],
    /,
    *operands: Any,
    straight_through: bool = False,
) -> Any:
    r"""Soft ``lax.cond``: both branches evaluated, blended by a soft boolean.

    Hard operator: ``lax.cond(p, true_fn, false_fn, *operands)`` for a 0/1
    ``p``. Relaxation: :func:`softops.where` applied leaf by leaf,
    :math:`p\,T + (1 - p)\,F`; exactly ``T`` where ``p == 1`` and ``F`` where
    ``p == 0``, even if the other branch is inf or NaN. With
    ``straight_through=True`` the value is the hard branch of
    :math:`h = \mathrm{heaviside}(p - 1/2)`: ``T`` where ``p > 1/2``, ``F``
    where ``p < 1/2`` and their average at ``p == 1/2`` (the tie split, as in
    :func:`switch`), with the derivative of the blend.

    Args:
      p: soft boolean (floating, values in [0, 1]); broadcasts against every
        leaf of the outputs (a scalar selects the whole output).
      true_fn, false_fn: callables with one output structure (same shapes and
        floating dtypes).
      *operands: passed to both.
      straight_through: hard value, blended derivative.

    Returns:
      The blended output pytree, leaves in the branches' dtype.

    Points of non-differentiability:
      None for ``0 < p < 1``: d/dp is ``T - F``. At ``p`` exactly 0 or 1 the
      branch not taken gets derivative exactly 0, and d/dp ignores it if it is
      not finite (see :func:`softops.where`). With ``straight_through`` the
      forward value jumps at ``p == 1/2``; the derivative does not. No
      temperature (the condition carries it).

    Raises:
      TypeError: non-floating ``p``, non-callable branches, disagreeing
      branch outputs.

    Examples:
      >>> import jax, softops as so
      >>> f = lambda p, x: so.cond(p, lambda x: x * x, lambda x: -x, x)
      >>> float(f(1.0, 3.0)), float(f(0.5, 3.0))
      (9.0, 3.0)
      >>> float(jax.grad(f)(0.5, 3.0))  # d/dp = T - F
      12.0
    """
    op = "cond"
    if not (callable(true_fn) and callable(false_fn)):
        raise TypeError("cond expects callables true_fn and false_fn")
    p = _checks.as_float_array(p, op, "p")
    _checks.boolean(straight_through, op, "straight_through")

    def blend_with(p, ops):
        outs = [true_fn(*ops), false_fn(*ops)]
        (t_leaves, f_leaves), treedef = _same_structure(op, outs)
        res = []
        for x, y in zip(t_leaves, f_leaves, strict=True):
            w = _checks.working_dtype(x.dtype)
            res.append(_blend2(p.astype(w), x.astype(w), y.astype(w)).astype(x.dtype))
        return jax.tree_util.tree_unflatten(treedef, res)

    if straight_through:

        def hard(p, ops):
            half = jnp.full((), 0.5, p.dtype)
            h = jnp.where(p > 0.5, jnp.ones((), p.dtype), jnp.where(p < 0.5, jnp.zeros((), p.dtype), half))
            h = jnp.where(jnp.isnan(p), p, h)  # a NaN condition stays NaN, as in the blend
            return blend_with(h, ops)

        return _straight_through(hard, blend_with, p, operands)
    return blend_with(p, operands)


# --------------------------------------------------------------------- piecewise
def piecewise(
    x: ArrayLike, condlist: Sequence[ArrayLike] | ArrayLike, funclist: Sequence[Callable[..., Any] | float], /
) -> Array:
    r"""Soft ``jnp.piecewise``: pieces blended by soft conditions, the last one winning.

    Hard operator: ``jnp.piecewise(x, condlist, funclist)`` for 0/1
    conditions. As there, where several conditions hold the *last* one wins
    (``jnp.piecewise`` and ``np.piecewise`` assign the pieces in order), and
    where none holds the extra last function (if ``len(funclist) == n + 1``)
    or 0 is used. With soft conditions :math:`c_i` the piece weights are

    .. math:: w_i = c_i \prod_{j > i} (1 - c_j), \qquad
              w_\mathrm{default} = \prod_j (1 - c_j),

    which sum to 1 and reduce to the hard rule on 0/1 conditions; the result
    is :math:`\sum_i w_i f_i(x)`. Terms of weight exactly 0 are skipped, so a
    piece that is inf or NaN where it is not selected does no harm.

    Args:
      x: floating array.
      condlist: ``n`` soft booleans (floating, values in [0, 1]), each
        broadcasting against ``x`` (a sequence, or an array stacked on axis 0).
      funclist: ``n`` or ``n + 1`` entries, each a callable ``f(x)`` returning
        an array of ``x``'s shape, or a constant.

    Returns:
      An array of ``x``'s shape and dtype.

    Points of non-differentiability:
      None beyond those of the pieces: the result is smooth in the conditions
      (d/dc_i is the weighted difference between piece ``i`` and what lies
      below it) and in ``x`` through the pieces. At 0/1 conditions the
      derivative w.r.t. ``x`` is the selected piece's. NaN propagates where it
      has positive weight. No temperature (the conditions carry it).

    Raises:
      TypeError: non-floating ``x`` or conditions. ValueError: a funclist of
      the wrong length.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> x = jnp.array([-2.0, 0.5, 3.0])
      >>> so.piecewise(x, [so.less(x, 0.0, temperature=0.0)], [lambda x: -x, lambda x: x * x])
      Array([2.  , 0.25, 9.  ], dtype=float32)
      >>> float(jax.grad(lambda c: so.piecewise(jnp.float32(2.0), [c], [1.0, 5.0]))(0.0))
      -4.0
    """
    op = "piecewise"
    x = _checks.as_float_array(x, op, "x")
    if isinstance(condlist, jax.Array | np.ndarray) and jnp.ndim(condlist) > jnp.ndim(x):
        condlist = list(condlist)
    elif not isinstance(condlist, list | tuple):
        condlist = [condlist]
    conds = [_checks.as_float_array(c, op, f"condlist[{i}]") for i, c in enumerate(condlist)]
    for i, c in enumerate(conds):
        if _checks.broadcast_shapes(op, ("x", f"condlist[{i}]"), (x, c)) != x.shape:
            raise ValueError(
                f"piecewise expects condlist[{i}] to broadcast to x's shape {x.shape}, got {c.shape}"
            )
    n = len(conds)
    funclist = list(funclist)
    if len(funclist) not in (n, n + 1):
        raise ValueError(
            f"piecewise expects {n} or {n + 1} functions for {n} conditions, got {len(funclist)}"
        )
    w = _checks.working_dtype(x.dtype)

    def value(f):
        v = f(x) if callable(f) else f
        return jnp.broadcast_to(jnp.asarray(v).astype(w), x.shape)

    default = value(funclist[n]) if len(funclist) == n + 1 else jnp.zeros(x.shape, w)
    # weights from the last condition backwards: w_i = c_i * prod_{j > i}(1 - c_j)
    remaining = jnp.ones((), w)
    weights = [None] * n
    for i in reversed(range(n)):
        c = jnp.broadcast_to(conds[i].astype(w), x.shape)
        weights[i] = c * remaining
        remaining = remaining * (1.0 - c)
    out = blend(
        [*weights, jnp.broadcast_to(remaining, x.shape)], [*(value(f) for f in funclist[:n]), default]
    )
    return jnp.broadcast_to(out, x.shape).astype(x.dtype)


# -------------------------------------------------------------------- while loop
def _masked_add(acc, w, s):
    off = w == 0
    safe = jnp.where(off, jnp.zeros((), s.dtype), s)
    return jnp.where(off, acc, acc + w * safe)


def while_loop(
    cond_fn: Callable[[Any], ArrayLike],
    body_fn: Callable[[Any], Any],
    init: Any,
    /,
    *,
    max_iterations: int,
) -> Any:
    r"""A relaxed ``lax.while_loop`` with at most ``max_iterations`` steps.

    Hard operator: ``lax.while_loop(cond_fn, body_fn, init)`` stopped after
    ``max_iterations`` bodies at the latest. Relaxation: the states
    :math:`s_0 = \mathrm{init}`, :math:`s_{k+1} = \mathrm{body}(s_k)` are
    those of the hard loop; the loop *stops* at step :math:`k` with the
    probability that it has continued so far and now stops,
    :math:`a_k (1 - c_k)` with :math:`c_k = \mathrm{cond}(s_k)` a soft boolean
    and :math:`a_k = \prod_{j<k} c_j`, and at :math:`K` =
    ``max_iterations`` with probability :math:`a_K`. The result is the
    expected final state over that stopping time,

    .. math:: \sum_{k<K} a_k (1 - c_k)\, s_k + a_K\, s_K .

    With 0/1 conditions this is the hard loop exactly (capped at ``K``); once
    the stopping probability reaches exactly 0 the state is frozen, so the
    bodies evaluated afterwards (the trip count is always ``K``) cannot leak
    inf or NaN into the result. Built on ``lax.scan``, so reverse-mode
    differentiation works (the hard ``lax.while_loop`` supports forward mode
    only) at the cost of ``K`` bodies per call.

    Args:
      cond_fn: state -> soft boolean (floating, values in [0, 1]) whose shape
        broadcasts against every leaf of the state (numpy broadcasting,
        right-aligned): a scalar for one loop, or one stopping probability per
        element for element-wise loops; ``jax.vmap`` runs a batch of loops.
      body_fn: state -> state of the same structure, shapes and dtypes.
      init: the initial state, a pytree of floating arrays.
      max_iterations: static non-negative int, the most bodies evaluated.

    Returns:
      The expected final state, a pytree like ``init``.

    Points of non-differentiability:
      None beyond those of ``cond_fn`` and ``body_fn``: d/dc_k moves weight
      between stopping at ``k`` and continuing. With hard conditions (e.g. a
      comparison at temperature 0) the derivative w.r.t. ``init`` is that of
      the states actually reached, and the conditions' derivative is 0. NaN
      propagates where it has positive weight. No temperature (the condition
      carries it).

    Raises:
      TypeError: non-floating leaves, non-callable functions, a body that
      changes the state's structure. ValueError: negative or non-integer
      ``max_iterations``.

    Examples:
      >>> import jax, jax.numpy as jnp, softops as so
      >>> loop = lambda x0, t: so.while_loop(lambda x: so.less(x, jnp.float32(10.0), temperature=t),
      ...                                    lambda x: 2.0 * x, x0, max_iterations=8)
      >>> float(loop(jnp.float32(1.5), 0.0))  # 1.5 -> 3 -> 6 -> 12
      12.0
      >>> float(jax.grad(loop)(jnp.float32(1.5), 0.0))
      8.0
    """
    op = "while_loop"
    if not (callable(cond_fn) and callable(body_fn)):
        raise TypeError("while_loop expects callables cond_fn and body_fn")
    try:
        K = operator.index(max_iterations)
    except TypeError as err:
        raise ValueError(f"while_loop expects an integer max_iterations, got {max_iterations!r}") from err
    if K < 0:
        raise ValueError(f"while_loop expects a non-negative max_iterations, got {K}")
    init = jax.tree_util.tree_map(jnp.asarray, init)
    leaves, treedef = _leaves_float(init, op, "init")
    c0 = jnp.asarray(cond_fn(init))
    if not jnp.issubdtype(c0.dtype, jnp.floating):
        raise TypeError(f"while_loop expects cond_fn to return a floating soft boolean, got {c0.dtype.name}")
    cw = _checks.working_dtype(c0.dtype)

    def cond(s):
        return jnp.asarray(cond_fn(s)).astype(cw)

    def step(carry, _):
        state, alive, acc = carry
        c = cond(state)
        stop = jnp.where(alive == 0, jnp.zeros((), cw), alive * (1.0 - c))
        alive_next = jnp.where(alive == 0, jnp.zeros((), cw), alive * c)
        acc = jax.tree_util.tree_map(lambda a, s: _masked_add(a, stop.astype(a.dtype), s), acc, state)
        frozen = alive_next == 0
        # Double where: a frozen state (one that has certainly stopped) is fed to
        # body_fn as the initial state, without derivatives: its result is
        # discarded, so a body that overflows past the stopping time (exp of
        # exp ...) or is undefined where the loop stopped at once (sqrt of a
        # negative init) adds no 0 * inf to the gradient.
        safe = jax.tree_util.tree_map(
            lambda s, s0: jnp.where(frozen, lax.stop_gradient(s0), s), state, init_b
        )
        new = body_fn(safe)
        new_leaves, new_def = jax.tree_util.tree_flatten(new)
        if new_def != treedef:
            raise TypeError(f"while_loop: body_fn changed the state's structure from {treedef} to {new_def}")
        new = jax.tree_util.tree_map(
            lambda s, n: (
                jnp.where(frozen, s, jnp.asarray(n).astype(s.dtype))
                if jnp.shape(n) == s.shape
                else _shape_error(s, jnp.asarray(n))
            ),
            state,
            new,
        )
        return (new, alive_next, acc), None

    acc0 = jax.tree_util.tree_map(
        lambda s: jnp.zeros(
            _checks.broadcast_shapes(op, ("a state leaf", "cond_fn(init)"), (s, c0)), s.dtype
        ),
        init,
    )
    alive0 = jnp.ones(c0.shape, cw)
    init_b = jax.tree_util.tree_map(lambda s, a: jnp.broadcast_to(s, a.shape), init, acc0)
    (state, alive, acc), _ = lax.scan(step, (init_b, alive0, acc0), None, length=K)
    del leaves
    return jax.tree_util.tree_map(lambda a, s: _masked_add(a, alive.astype(a.dtype), s), acc, state)


def _shape_error(s, n):
    raise TypeError(f"while_loop: body_fn changed a leaf's shape from {s.shape} to {n.shape}")


# -------------------------------------------------------------------- registry
# The samples' functions use arithmetic only, so that the NumPy references can
# call them on float64 arrays.
_BRANCHES = (lambda x: x * x, lambda x: 2.0 - x, lambda x: 0.5 * x + 1.0)


def _sample_switch(key, dtype):
    k1, k2 = jax.random.split(key)
    return (_unit_normal(k1, dtype, (3,)), _BRANCHES, _unit_normal(k2, dtype, (5,))), {}


def _hard_switch(weights, branches, *operands):
    return lax.switch(jnp.argmax(weights), branches, *operands)


def _cond_sampler(p):
    def sample(key, dtype):
        k1, k2 = jax.random.split(key)
        return (p(k1, dtype, (5,)), _BRANCHES[0], _BRANCHES[1], _unit_normal(k2, dtype, (5,))), {}

    return sample


def _hard_cond(p, true_fn, false_fn, *operands):
    return jax.tree_util.tree_map(
        lambda a, b: jnp.where(p > 0.5, a, b), true_fn(*operands), false_fn(*operands)
    )


def _piecewise_sampler(p):
    def sample(key, dtype):
        k1, k2 = jax.random.split(key)
        return (_unit_normal(k1, dtype, (7,)), p(k2, dtype, (2, 7)), (_BRANCHES[0], _BRANCHES[1], 0.5)), {}

    return sample


def _hard_piecewise(x, condlist, funclist):
    return jnp.piecewise(x, [c != 0 for c in condlist], funclist)


def _soft_continue(s):
    return 1.0 / (1.0 + s * s)


def _hard_continue(s):
    return (s < 1.5).astype(s.dtype)


def _shrink(s):
    return s * 0.8 + 0.5


def _loop_sampler(cond_fn):
    def sample(key, dtype):
        return (cond_fn, _shrink, _unit_normal(key, dtype, (5,)) * 2), {"max_iterations": 4}

    return sample


def _hard_while_loop(cond_fn, body_fn, init, max_iterations):
    """``lax.while_loop`` per element (the conditions are element-wise), capped."""

    def one(s0):
        k_s = lax.while_loop(
            lambda ks: (ks[0] < max_iterations) & (cond_fn(ks[1]) != 0),
            lambda ks: (ks[0] + 1, body_fn(ks[1])),
            (0, s0),
        )
        return k_s[1]

    return jax.vmap(one)(init)


_CONTROL_NOTE = "All branches are evaluated and blended; as smooth and as bounded as the branches."
_NO_TEMPERATURE = _CONTROL_NOTE + " No temperature: the conditions carry it."

register(
    OperatorInfo(
        name="switch",
        fn=switch,
        hard=_hard_switch,
        family="control",
        kind="other",
        modes={"softmax": math.inf},
        default_mode="softmax",
        kinks=(Kink("ties of max(weights)", "jump", 0.0, 0.0),),
        sample=_sample_switch,
        subgradient=False,
        bounded=False,
        # The weight of the best branch grows as t decreases, but a runner-up's
        # may first grow: the blend's error need not shrink monotonically.
        monotone=False,
        nan_policy="custom",
        notes=_CONTROL_NOTE + " Converges to the hard branch as t -> 0, not always monotonically.",
        mode_keyword=None,
    )
)
register(
    soft_input(
        "cond",
        cond,
        _hard_cond,
        "control",
        _cond_sampler(_soft_boolean),
        _cond_sampler(_hard_boolean),
        _NO_TEMPERATURE,
        straight_through=True,
    )
)
register(
    soft_input(
        "piecewise",
        piecewise,
        _hard_piecewise,
        "control",
        _piecewise_sampler(_soft_boolean),
        _piecewise_sampler(_hard_boolean),
        _NO_TEMPERATURE,
    )
)
register(
    soft_input(
        "while_loop",
        while_loop,
        _hard_while_loop,
        "control",
        _loop_sampler(_soft_continue),
        _loop_sampler(_hard_continue),
        _NO_TEMPERATURE,
        argnum=2,
    )
)
