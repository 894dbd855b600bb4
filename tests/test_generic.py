"""Checks every registered operator must pass, generated from the registry.

An operator added to the registry is covered here automatically: exact hard
values at temperature 0, NumPy references, gradients against finite
differences, extremes, NaN/inf, dtypes, transformations, convergence,
straight-through, pinned subgradients at kinks and input validation.
"""

import inspect

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import softops as so
from tests.references import ALL as REFERENCES

OPS = dict(so.operators())
NAMES = sorted(OPS)
OP_MODES = [(n, m) for n in NAMES for m in OPS[n].modes]
F64 = jnp.float64

# One tolerance table (rtol, atol) against a float64 computation, per dtype.
TOL = {
    jnp.dtype(jnp.float16): (2e-2, 2e-2),
    jnp.dtype(jnp.bfloat16): (6e-2, 6e-2),
    jnp.dtype(jnp.float32): (2e-5, 2e-5),
    jnp.dtype(jnp.float64): (1e-9, 1e-10),
}
# Operators with a temperature (all but the soft-input ones: logic, selection and
# control flow on soft booleans and index distributions).
TEMPERED = [n for n in NAMES if OPS[n].temperature]
SOFT_INPUT = [n for n in NAMES if not OPS[n].temperature]
# Public names that are registry tools or utilities rather than operators.
NOT_OPERATORS = {"Kink", "OperatorInfo", "info", "kinks", "operators", "check_temperature"}


def is_array(a):
    return isinstance(a, np.ndarray | jax.Array)


def arrays(args, f):
    """``f`` applied to the array arguments (and to arrays in a tuple, such as
    ``choose``'s choices); callables, ints and constants pass through."""

    def one(a):
        if is_array(a):
            return f(a)
        if isinstance(a, tuple | list) and a and all(is_array(x) for x in a):
            return type(a)(f(x) for x in a)
        return a

    return tuple(one(a) for a in args)


def sample(name, dtype=np.float32, seed=0, hard=False):
    info = OPS[name]
    args, kwargs = (info.hard_sample if hard else info.sample)(jax.random.PRNGKey(seed), dtype)
    return arrays(args, jnp.asarray), dict(kwargs)


def primary(name, args):
    """The argument the tests vary and differentiate (``init`` of while_loop)."""
    return args[OPS[name].argnum]


def with_primary(name, args, x):
    i = OPS[name].argnum
    return (*args[:i], x, *args[i + 1 :])


def call(name, args, kwargs, t, mode=None, **extra):
    """The operator on ``args`` at temperature ``t`` in ``mode``; ``t`` is ignored by
    the soft-input operators, and ``mode`` goes to the entry's mode keyword."""
    info = OPS[name]
    kw = dict(kwargs, **extra)
    if info.temperature:
        kw["temperature"] = t
    if info.mode_keyword:
        kw[info.mode_keyword] = mode or info.default_mode
    return info.fn(*args, **kw)


def jit_args(fn, args):
    """``jax.jit`` of ``fn(*args)`` traced over the array leaves of ``args`` only
    (callables, ints and constants stay static); called with arguments of the same
    structure."""
    leaves, tree = jax.tree_util.tree_flatten(args)
    dynamic = [is_array(a) for a in leaves]
    static = [None if d else a for a, d in zip(leaves, dynamic, strict=True)]

    def rebuild(arrs):
        it = iter(arrs)
        return jax.tree_util.tree_unflatten(
            tree, [next(it) if d else a for a, d in zip(static, dynamic, strict=True)]
        )

    g = jax.jit(lambda arrs: fn(*rebuild(arrs)))
    return lambda *a: g([x for x, d in zip(jax.tree_util.tree_leaves(a), dynamic, strict=True) if d])


def float_leaves(tree):
    return [x for x in jax.tree_util.tree_leaves(tree) if jnp.issubdtype(x.dtype, jnp.inexact)]


def scalarise(tree):
    return sum(jnp.sum(x) for x in float_leaves(tree))


def assert_tree_equal(a, b):
    """Equal leaves, bit for bit (the sign of a zero counts) except NaN payloads."""
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb, strict=True):
        assert x.dtype == y.dtype, (x.dtype, y.dtype)
        x, y = np.asarray(x), np.asarray(y)
        np.testing.assert_array_equal(x, y)
        if np.issubdtype(x.dtype, np.floating):
            np.testing.assert_array_equal(np.signbit(x) | np.isnan(x), np.signbit(y) | np.isnan(y))


def with_signed_zeros(args):
    """``args`` with every fifth entry of each floating array set to -0.0 and the
    next to +0.0 (ties of -0.0 with -0.0 or +0.0 between arrays of one shape)."""

    def zeroed(a):
        if not (isinstance(a, jax.Array) and jnp.issubdtype(a.dtype, jnp.floating) and a.ndim):
            return a
        f = np.array(a).reshape(-1)
        f[0::5], f[1::5] = -0.0, 0.0
        return jnp.asarray(f.reshape(a.shape))

    return tuple(zeroed(a) for a in args)


def assert_tree_close(a, b, dtype=jnp.float64):
    rtol, atol = TOL[jnp.dtype(dtype)]
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x, np.float64), np.asarray(y, np.float64), rtol=rtol, atol=atol)


def all_finite(tree):
    return all(bool(jnp.all(jnp.isfinite(x))) for x in float_leaves(tree))


# ------------------------------------------------------------------ the registry
def test_every_public_operator_is_registered():
    public = {n for n in so.__all__ if callable(getattr(so, n))} - NOT_OPERATORS
    assert public - set(OPS) == set(), "public functions missing from the registry"
    for name, info in OPS.items():
        assert getattr(so, name) is info.fn


@pytest.mark.parametrize("name", NAMES)
def test_registry_entry_is_complete(name):
    info = OPS[name]
    assert name in REFERENCES, f"{name} has no NumPy reference in tests/references"
    doc = info.fn.__doc__ or ""
    for section in ("Points of non-differentiability", "Args:", "Returns:", "Examples:"):
        assert section in doc, f"{name}'s docstring lacks {section!r}"
    # Only a linear or soft-input operator may declare none (and must then say so).
    assert info.kinks or info.kind in ("linear", "soft-input"), (
        f"{name} declares no points of non-differentiability"
    )
    assert info.temperature == ("temperature" in inspect.signature(info.fn).parameters), name
    if info.mode_keyword:
        assert inspect.signature(info.fn).parameters[info.mode_keyword].default == info.default_mode
    if not info.kinks:
        assert "None" in doc.split("Points of non-differentiability")[1][:200], name
    assert so.kinks(info.fn) == info.kinks
    assert so.kinks(name) == info.kinks


# ------------------------------------------------------------ temperature zero
@pytest.mark.parametrize("name", TEMPERED)
def test_temperature_zero_is_the_hard_operator_bit_for_bit(name):
    """Also with signed zeros among the inputs (the sign of a zero result counts),
    except for switch, whose tied weights split at t = 0 (its registered hard
    form, lax.switch at jnp.argmax, takes the first)."""
    info = OPS[name]
    args, kwargs = sample(name)
    for a in (args, with_signed_zeros(args)) if name != "switch" else (args,):
        hard = info.hard(*a, **kwargs)
        assert_tree_equal(call(name, a, kwargs, 0.0), hard)  # eager, concrete 0
        for mode in info.modes:  # jitted, traced 0
            traced = jit_args(lambda t, *b, mode=mode: call(name, b, kwargs, t, mode), (jnp.float32(0.0), *a))
            assert_tree_equal(traced(jnp.float32(0.0), *a), hard)


@pytest.mark.parametrize("name", SOFT_INPUT)
def test_hard_inputs_give_the_hard_operator_bit_for_bit(name):
    """On 0/1 soft booleans and one-hot distributions, in every mode, eager and jitted."""
    info = OPS[name]
    for seed in range(2):
        args, kwargs = sample(name, seed=seed, hard=True)
        hard = info.hard(*args, **kwargs)
        for mode in info.modes:
            assert_tree_equal(call(name, args, kwargs, None, mode), hard)
            assert_tree_equal(
                jit_args(lambda *a, mode=mode, kw=kwargs: call(name, a, kw, None, mode), args)(*args), hard
            )


# --------------------------------------------------------------- NumPy values
@pytest.mark.parametrize(("name", "mode"), OP_MODES)
def test_values_and_gradients_match_numpy_reference(name, mode, x64):
    """Values at three temperatures; directional derivatives (in x and t) against
    central differences of the independent NumPy float64 reference; and d/dt at
    t = 0 and 1e-30: finite, and equal to the one-sided limit from above."""
    info = OPS[name]
    args, kwargs = sample(name, np.float64)
    x0 = primary(name, args)
    flat = lambda x, t: jnp.concatenate(
        [l.reshape(-1) for l in float_leaves(call(name, with_primary(name, args, x), kwargs, t, mode))]
    )
    value_and_jvp = jax.jit(lambda x, t, vx, vt: jax.jvp(flat, (x, t), (vx, vt)))
    v = np.random.default_rng(1).normal(size=x0.shape)
    np_args = arrays(args, np.asarray)
    np_x0 = primary(name, np_args)

    def ref(x, t):
        out = REFERENCES[name](with_primary(name, np_args, x), kwargs, t, mode)
        return np.concatenate(
            [np.ravel(np.asarray(o, np.float64)) for o in (out if isinstance(out, tuple) else (out,))]
        )

    for t in (0.5, 0.6, 1.0, 2.0) if info.temperature else (1.0,):
        got, jvp = value_and_jvp(x0, jnp.float64(t), jnp.asarray(v), jnp.float64(0.5))
        assert_tree_close(got, ref(np_x0, t))
        if t == 0.5:
            # values only: t = 0.5 puts the staircases' normaliser odd(1 / (2 t)) on the ramp
            # modes' band edge, a kink in t, so the central difference straddles it there
            continue
        eps = 1e-6
        fd = (ref(np_x0 + eps * v, t + eps * 0.5) - ref(np_x0 - eps * v, t - eps * 0.5)) / (2 * eps)
        np.testing.assert_allclose(jvp, fd, rtol=1e-5, atol=1e-6)
    if not info.temperature:
        return
    # d/dt at t = 0: the limit from above (also in the heavy-tailed modes)
    zero_x = jnp.zeros_like(x0)
    dt = lambda t: value_and_jvp(x0, jnp.float64(t), zero_x, jnp.float64(1.0))
    for t0 in (0.0, 1e-30):
        assert all_finite(dt(t0)[1]), t0
    h = 1e-8
    fd0 = (dt(h)[0] - dt(0.0)[0]) / h
    d0 = dt(0.0)[1]
    np.testing.assert_allclose(jnp.sum(d0), jnp.sum(fd0), atol=1e-4 * max(1.0, float(jnp.abs(jnp.sum(fd0)))))


# ------------------------------------------------------------------- gradients
def check_derivatives(f, x, t, order, eps=1e-6, rtol=1e-5, atol=1e-6):
    """What ``jax.test_util.check_grads`` checks, with every transform jitted.

    Forward mode against central differences along a random direction in
    ``(x, t)``; reverse mode against forward mode through the adjoint identity
    ``<u, J v> == <J^T u, v>``; for ``order == 2`` the forward derivative of
    the forward derivative against differences of it. (check_grads itself
    re-traces eagerly on every evaluation, which costs minutes over the registry.)
    """
    rng = np.random.default_rng(0)
    vx, vt = jnp.asarray(rng.normal(size=x.shape)), jnp.float64(1.0)
    flat = lambda x, t: jnp.concatenate([l.reshape(-1) for l in float_leaves(f(x, t))])
    jvp = jax.jit(lambda x, t: jax.jvp(flat, (x, t), (vx, vt))[1])
    fd = (flat(x + eps * vx, t + eps * vt) - flat(x - eps * vx, t - eps * vt)) / (2 * eps)
    np.testing.assert_allclose(jvp(x, t), fd, rtol=rtol, atol=atol)
    u = jnp.asarray(rng.normal(size=fd.shape))
    gx, gt = jax.jit(lambda x, t: jax.vjp(flat, x, t)[1](u))(x, t)
    np.testing.assert_allclose(jnp.vdot(gx, vx) + gt * vt, jnp.vdot(u, jvp(x, t)), rtol=1e-9, atol=1e-9)
    if order >= 2:
        jvp2 = jax.jit(lambda x, t: jax.jvp(jvp, (x, t), (vx, vt))[1])
        fd2 = (jvp(x + eps * vx, t + eps * vt) - jvp(x - eps * vx, t - eps * vt)) / (2 * eps)
        np.testing.assert_allclose(jvp2(x, t), fd2, rtol=1e-4, atol=1e-5)


# Every C2 mode of one operator per kernel shape (the families' second derivatives);
# every operator's default mode goes through jax.test_util.check_grads (order 2 where
# smooth) in test_numerics.py.
SECOND_ORDER = [
    (n, m)
    for n, m in OP_MODES
    if OPS[n].modes[m] >= 2
    and m != OPS[n].default_mode
    and n in ("relu", "abs", "heaviside", "clip", "equal", "round")
]


@pytest.mark.parametrize(("name", "mode"), SECOND_ORDER)
def test_second_derivatives_match_finite_differences(name, mode, x64):
    """Second order, and reverse mode through the adjoint identity; the first derivatives
    of every operator and mode are checked against the NumPy references above."""
    args, kwargs = sample(name, np.float64)
    f = lambda x, t: call(name, (x, *args[1:]), kwargs, t, mode)
    check_derivatives(f, args[0], jnp.float64(0.7), 2)


# -------------------------------------------------------------------- extremes
# (The soft-input operators' extremes are their families' tests: their inputs are
# probabilities, not values to scale.)
BOUNDED = [n for n in TEMPERED if OPS[n].bounded]


@pytest.mark.parametrize("name", BOUNDED)
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_no_nan_or_inf_at_extreme_inputs_and_temperatures(name, dtype):
    args, kwargs = sample(name, dtype)
    big = float(jnp.finfo(dtype).max)
    gradx = jax.jit(jax.grad(lambda inp, t: scalarise(call(name, inp, kwargs, t))))
    gradt = jax.jit(jax.grad(lambda inp, t: scalarise(call(name, inp, kwargs, t)), argnums=1))
    gradx = (lambda g: lambda inp, t: g(inp, t)[0])(gradx)
    scaled_inputs = [
        tuple(a * jnp.asarray(1e30 if dtype == np.float32 else 1e3, dtype) for a in args),
        tuple(jnp.where(a >= 0, big, -big).astype(dtype) for a in args),
        tuple(jnp.zeros_like(a) for a in args),
    ]
    value = jax.jit(lambda inp, t: call(name, inp, kwargs, t))
    for inputs in scaled_inputs:
        for t in (0.0, 1e-30, 1e30):
            out = value(inputs, t)
            with jax.enable_x64(True):  # the exact value, from float64
                wide = value(tuple(a.astype(jnp.float64) for a in inputs), jnp.float64(t))
                representable = all(bool(jnp.all(jnp.abs(w) <= big)) for w in float_leaves(wide))
            # ... unless the jnp operator itself overflows in this dtype (jnp.median of
            # +-max is inf): softops reproduces jnp bit for bit at t = 0.
            representable &= all_finite(OPS[name].hard(*inputs, **kwargs))
            if representable:  # the exact value fits in the dtype, so must ours
                assert all_finite(out), (name, t, out)
            gx = gradx(inputs, t)
            gt = gradt(inputs, jnp.float32(t))
            assert all_finite(gx), (name, t, gx)
            assert all_finite(gt), (name, t, gt)


ELEMENTWISE = [n for n in TEMPERED if OPS[n].nan_policy == "elementwise"]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_infinite_inputs_give_the_hard_limit(name):
    info = OPS[name]
    args, kwargs = sample(name)
    flat = args[0].reshape(-1).at[0].set(jnp.inf).at[1].set(-jnp.inf)
    inputs = (flat.reshape(args[0].shape), *args[1:])
    for t in (0.5, 1.0, 1e30):
        soft = np.asarray(call(name, inputs, kwargs, t))
        hard = np.asarray(info.hard(*inputs, **kwargs))
        if soft.shape == args[0].shape:  # elementwise: the two infinite entries
            np.testing.assert_array_equal(soft.reshape(-1)[:2], hard.reshape(-1)[:2])
        else:  # a reduction: wherever the hard result is infinite
            assert np.any(np.isinf(hard))
            np.testing.assert_array_equal(soft[np.isinf(hard)], hard[np.isinf(hard)])


@pytest.mark.parametrize("name", [n for n in NAMES if OPS[n].nan_policy != "custom"])
def test_nan_propagates(name):
    info = OPS[name]
    args, kwargs = sample(name)
    x = primary(name, args)
    inputs = with_primary(name, args, x.reshape(-1).at[0].set(jnp.nan).reshape(x.shape))
    out = call(name, inputs, kwargs, 1.0)
    if info.nan_policy == "elementwise":
        isnan = np.isnan(np.asarray(out)).reshape(-1)
        assert isnan[0]
        assert not isnan[1:].any()
    else:
        assert any(bool(jnp.any(jnp.isnan(o))) for o in float_leaves(out))


# ----------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64])
def test_output_dtype_is_input_dtype_and_values_agree(name, dtype):
    with jax.enable_x64(True):
        args64, kwargs = sample(name, np.float64)
        args = arrays(args64, lambda a: a.astype(dtype))
        f = lambda *a: call(name, a, kwargs, 0.8)
        out = jit_args(f, args)(*args)
        for leaf in float_leaves(out):
            assert leaf.dtype == jnp.dtype(dtype)
        # compare against float64 on the inputs as rounded to dtype
        wide = arrays(args, lambda a: a.astype(F64))
        assert_tree_close(out, jit_args(f, wide)(*wide), dtype)
        if jnp.dtype(dtype).itemsize == 2:  # (computed in float32 and cast back)
            g = jax.jit(jax.grad(lambda x: scalarise(f(*with_primary(name, args, x))).astype(jnp.float32)))(
                primary(name, args)
            )
            assert g.dtype == jnp.dtype(dtype)


# --------------------------------------------------------------- transformations
@pytest.mark.parametrize("name", NAMES)
def test_jit_vmap_grad_compose(name):
    args, kwargs = sample(name)
    x0 = primary(name, args)
    f = lambda x, t: call(name, with_primary(name, args, x), kwargs, t)
    chex.assert_trees_all_close(jax.jit(f)(x0, 0.6), f(x0, 0.6), rtol=1e-6, atol=1e-6)
    f = jax.jit(f)
    # vmap over x
    xs = jnp.stack([primary(name, sample(name, seed=s)[0]) for s in range(3)])
    batched = jax.jit(jax.vmap(f, in_axes=(0, None)))(xs, 0.6)
    for i in range(3):
        chex.assert_trees_all_close(
            jax.tree_util.tree_map(lambda b, i=i: b[i], batched), f(xs[i], 0.6), rtol=1e-5, atol=1e-6
        )
    # vmap over temperature
    ts = jnp.array([0.0, 0.3, 2.0])
    bt = jax.jit(jax.vmap(f, in_axes=(None, 0)))(x0, ts) if OPS[name].temperature else None
    for i, t in enumerate(ts if OPS[name].temperature else ()):
        chex.assert_trees_all_close(
            jax.tree_util.tree_map(lambda b, i=i: b[i], bt), f(x0, t), rtol=1e-5, atol=1e-6
        )
    # grad of vmap == vmap of grad
    g = lambda x: jax.grad(lambda y: scalarise(f(y, 0.6)))(x)
    gv = jax.jit(jax.grad(lambda X: scalarise(jax.vmap(f, in_axes=(0, None))(X, 0.6))))(xs)
    chex.assert_trees_all_close(jax.jit(jax.vmap(g))(xs), gv, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", TEMPERED)
def test_changing_temperature_does_not_recompile(name):
    args, kwargs = sample(name)
    chex.clear_trace_counter()

    @jax.jit
    @chex.assert_max_traces(n=1)
    def f(t, x):
        return call(name, with_primary(name, args, x), kwargs, t)

    for t in (0.0, 0.5, 3.0, 1e-3):
        f(jnp.float32(t), primary(name, args))


@pytest.mark.parametrize("name", NAMES)
def test_forward_and_reverse_jacobians_agree(name):
    info = OPS[name]
    args, kwargs = sample(name)
    x0 = primary(name, args)
    f = lambda x: jnp.concatenate(
        [l.reshape(-1) for l in float_leaves(call(name, with_primary(name, args, x), kwargs, 0.6))]
    )
    chex.assert_trees_all_close(jax.jit(jax.jacfwd(f))(x0), jax.jit(jax.jacrev(f))(x0), rtol=1e-4, atol=1e-5)
    if info.smoothness() >= 2:
        with jax.enable_x64(True):
            x64 = x0.astype(jnp.float64)
            wide = arrays(args, lambda a: a.astype(jnp.float64))
            scalar = lambda x: scalarise(call(name, with_primary(name, wide, x), kwargs, 0.6))
            h = np.asarray(jax.jit(jax.hessian(scalar))(x64)).reshape(x64.size, x64.size)
            np.testing.assert_allclose(h, h.T, atol=1e-10)
            grad = jax.jit(jax.grad(scalar))
            v = jnp.asarray(np.random.default_rng(0).normal(size=x64.shape))
            fd = (grad(x64 + 1e-6 * v) - grad(x64 - 1e-6 * v)) / 2e-6
            np.testing.assert_allclose(
                h @ np.asarray(v).reshape(-1), np.asarray(fd).reshape(-1), rtol=1e-4, atol=1e-5
            )


# ------------------------------------------------------------------- convergence
@pytest.mark.parametrize(
    ("name", "mode"), [(n, m) for n, m in OP_MODES if OPS[n].monotone and OPS[n].temperature]
)
def test_converges_monotonically_to_the_hard_operator(name, mode, x64):
    """The l2 norm of the error decreases with t, for every element of an elementwise operator."""
    info = OPS[name]
    elementwise = info.kind in ("relu-like", "step-like")
    f = jax.jit(lambda t, a: call(name, a, kwargs, t, mode))
    for seed in range(3):
        args, kwargs = sample(name, np.float64, seed=seed)
        hard = float_leaves(info.hard(*args, **kwargs))
        errs = []
        for t in np.geomspace(2.0, 1e-5, 16):
            soft = float_leaves(f(jnp.float64(t), args))
            diffs = [np.abs(np.asarray(s - h)).reshape(-1) for s, h in zip(soft, hard, strict=True)]
            errs.append(
                np.concatenate(diffs) if elementwise else np.array([np.linalg.norm(d) for d in diffs])
            )
        errs = np.stack(errs)
        assert np.all(np.diff(errs, axis=0) <= 1e-12), (seed, errs.max(axis=1))
        if seed == 0:
            assert errs[-1].max() < 1e-3, errs[-1]
        else:
            # Seeds 1 and 2 draw inputs within ~1e-4 of a jump, where the algebraic
            # family's polynomial tail still leaves ~1e-3 at t = 1e-5 (round: 1.08e-3):
            # there the bound is relative to the error at the largest temperature.
            assert errs[-1].max() < 1e-2 * max(errs[0].max(), 1e-3), errs[-1]


# -------------------------------------------------------------- straight-through
@pytest.mark.parametrize("name", [n for n in NAMES if OPS[n].straight_through])
def test_straight_through_is_hard_forward_soft_backward(name):
    info = OPS[name]
    args, kwargs = sample(name)
    st = call(name, args, kwargs, 0.5, straight_through=True)
    assert_tree_equal(
        st, jax.tree_util.tree_map(lambda h, s: jnp.broadcast_to(h, s.shape), info.hard(*args, **kwargs), st)
    )
    x0 = primary(name, args)
    g_st = jax.jit(
        jax.grad(
            lambda x: scalarise(call(name, with_primary(name, args, x), kwargs, 0.5, straight_through=True))
        )
    )(x0)
    g_soft = jax.jit(jax.grad(lambda x: scalarise(call(name, with_primary(name, args, x), kwargs, 0.5))))(x0)
    chex.assert_trees_all_close(g_st, g_soft, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------------ kinks
KINKS = [(n, i) for n in NAMES for i, k in enumerate(OPS[n].kinks) if k.point is not None]


@pytest.mark.parametrize(("name", "index"), KINKS)
def test_pinned_subgradient_at_each_kink(name, index):
    info = OPS[name]
    kink = info.kinks[index]
    args = tuple(jnp.asarray(p, jnp.float32) for p in kink.point)
    kwargs = dict(info.kink_kwargs)

    def grad_at(**extra):
        g = jax.grad(lambda x: scalarise(call(name, (x, *args[1:]), kwargs, 0.0, kink.mode, **extra)))(
            args[0]
        )
        return np.asarray(g).reshape(-1)

    np.testing.assert_array_equal(grad_at(), kink.min_norm)
    if info.subgradient:
        np.testing.assert_array_equal(grad_at(subgradient="left"), kink.left)
        np.testing.assert_array_equal(grad_at(subgradient="right"), kink.right)
        mid = 0.25 * kink.left + 0.75 * kink.right
        np.testing.assert_allclose(grad_at(subgradient=mid), mid, rtol=1e-6)
        with pytest.raises(ValueError, match="subgradient"):
            call(name, args, kwargs, 0.0, subgradient=max(kink.left, kink.right) + 1.0)
        with pytest.raises(ValueError, match="subgradient"):
            call(name, args, kwargs, 0.0, subgradient="sideways")


# ------------------------------------------------------------------- validation
@pytest.mark.parametrize("name", NAMES)
def test_bad_input_gives_clear_errors(name):
    info = OPS[name]
    args, kwargs = sample(name)
    with pytest.raises(TypeError, match=rf"{name} expects a floating-point [^,]+, got int32"):
        call(name, with_primary(name, args, primary(name, args).astype(jnp.int32)), kwargs, 1.0)
    if info.temperature:
        with pytest.raises(ValueError, match=rf"{name}.*non-negative temperature"):
            call(name, args, kwargs, -1.0)
    if info.mode_keyword:
        first_mode = repr(next(iter(info.modes)))
        with pytest.raises(
            ValueError, match=rf"unknown {info.mode_keyword} 'no-such-mode'; expected one of {first_mode}"
        ):
            call(name, args, kwargs, 1.0, mode="no-such-mode")
