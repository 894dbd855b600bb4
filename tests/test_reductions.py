"""argmax/argmin/max/min/logsumexp: ties, infinities, NaN, sparsity, errors."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import softops as so
from tests.references.reductions import distribution, soft_max

TOL = {"float16": 2e-3, "bfloat16": 2e-2, "float32": 2e-6, "float64": 1e-12}
MODES = ("softmax", "sparsemax", "entmax15")
MAX_MODES = (*MODES, "logsumexp")
BIG = np.finfo(np.float32).max


def _x(key, shape=(3, 6), scale=2.0, dtype="float32"):
    return jax.random.normal(key, shape, "float32").astype(dtype) * scale


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("axis", [0, -1])
def test_distribution_matches_reference(mode, axis, key, x64):
    x = np.asarray(_x(key, (4, 5), dtype="float64"))
    for t in (0.3, 1.0, 3.0):
        p = so.argmax(x, axis=axis, temperature=t, mode=mode)
        np.testing.assert_allclose(p, distribution(x, t, mode, axis), atol=1e-10)
        np.testing.assert_allclose(p.sum(axis), 1.0, atol=1e-12)
        q = so.argmin(x, axis=axis, temperature=t, mode=mode)
        np.testing.assert_allclose(q, distribution(-x, t, mode, axis), atol=1e-10)


@pytest.mark.parametrize("mode", MAX_MODES)
def test_max_matches_reference_with_keepdims(mode, key, x64):
    x = np.asarray(_x(key, (4, 5), dtype="float64"))
    for t in (0.3, 2.0):
        got = so.max(x, axis=0, keepdims=True, temperature=t, mode=mode)
        assert got.shape == (1, 5)
        np.testing.assert_allclose(got, soft_max(x, t, mode, 0, True), atol=1e-10)
        np.testing.assert_allclose(so.min(x, temperature=t, mode=mode), -soft_max(-x, t, mode), atol=1e-10)


def test_softmax_at_unit_temperature_is_jax_softmax(key):
    x = _x(key, (5, 9))
    np.testing.assert_array_equal(so.argmax(x), jax.nn.softmax(x, axis=-1))
    np.testing.assert_array_equal(so.argmax(x, axis=0), jax.nn.softmax(x, axis=0))
    np.testing.assert_allclose(so.logsumexp(x), jax.scipy.special.logsumexp(x, axis=-1), rtol=TOL["float32"])


def test_sparse_modes_are_sparse(key):
    x = _x(key, (4, 50), scale=3.0)
    for mode in ("sparsemax", "entmax15"):
        p = so.argmax(x, temperature=1.0, mode=mode)
        assert int(jnp.sum(p == 0)) > 100  # exactly zero, not just small
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-6)


def _sparse_rows(rng):
    """Rows that stress a threshold search: long, heavy-tailed, integer ties
    (entries landing exactly on the threshold), a single entry, huge spreads."""
    yield rng.standard_normal((3, 2000)) * 3.0
    yield rng.standard_cauchy((3, 300))
    yield rng.integers(-3, 3, (4, 40)).astype(np.float64)
    yield np.array([[0.0, -2.0, -2.0, 5.0, 3.0, 3.0]])
    yield np.log(np.arange(1.0, 501.0))[None]
    yield rng.standard_normal((2, 1))
    yield np.array([[1e6, 0.0, -1e6, 1e6 - 0.5]])


@pytest.mark.parametrize("mode", ["sparsemax", "entmax15"])
def test_sparse_threshold_search_matches_reference(mode, x64):
    # Sort-free (also under vmap, where a data-dependent branch would turn into
    # both branches), and exact against an independent root-finding reference.
    rows = jnp.zeros((3, 7))
    hlo = jax.jit(jax.vmap(lambda r: so.argmax(r, mode=mode))).lower(rows).compile().as_text()
    assert "sort(" not in hlo
    rng = np.random.default_rng(7)
    f = jax.jit(lambda x, t: so.argmax(x, temperature=t, mode=mode))
    for x in _sparse_rows(rng):
        for t in (0.05, 1.0, 20.0):
            expect = distribution(x, t, mode)
            np.testing.assert_allclose(f(x, t), expect, atol=1e-10)
            np.testing.assert_allclose(f(x.astype(np.float32), np.float32(t)), expect, atol=3e-5)


@pytest.mark.parametrize("jit", [False, True])
def test_zero_temperature_is_exact_with_ties(jit):
    x = jnp.asarray([[1.0, 3.0, 3.0, 0.0], [2.0, -1.0, 0.5, 2.0], [0.0, 0.0, 0.0, 0.0]])
    f = (
        jax.jit(lambda x, t, m: so.argmax(x, temperature=t, mode=m), static_argnums=2)
        if jit
        else (lambda x, t, m: so.argmax(x, temperature=t, mode=m))
    )
    hard = np.array([[0, 0.5, 0.5, 0], [0.5, 0, 0, 0.5], [0.25] * 4])
    for mode in MODES:
        np.testing.assert_array_equal(f(x, 0.0, mode), hard)
        np.testing.assert_array_equal(so.argmin(-x, temperature=0.0, mode=mode), hard)
    for mode in MAX_MODES:
        np.testing.assert_array_equal(so.max(x, temperature=0.0, mode=mode), jnp.max(x, -1))
        np.testing.assert_array_equal(so.min(x, temperature=0.0, mode=mode), jnp.min(x, -1))


@pytest.mark.parametrize("mode", MAX_MODES)
def test_temperature_derivative_at_zero_is_the_limit_from_above_with_ties(mode):
    """d/dt at t = 0 (and below the smallest usable t) is the limit of the
    derivative as t -> 0+: log k for k tied maxima in logsumexp mode (the
    softmax's entropy), 0 for the expectations; t = 1e-3 is already there."""
    x = jnp.asarray([[1.0, 3.0, 3.0, 3.0, -2.0], [0.0, 5.0, -1.0, 2.0, 4.0]])
    want = np.log([3.0, 1.0]) if mode == "logsumexp" else np.zeros(2)
    for t in (0.0, 1e-30, 1e-3):
        d_max = jax.jacfwd(lambda t: so.max(x, temperature=t, mode=mode))(jnp.float32(t))
        d_min = jax.grad(lambda t: so.min(-x, temperature=t, mode=mode).sum())(jnp.float32(t))
        np.testing.assert_allclose(d_max, want, rtol=1e-6, atol=1e-6, err_msg=f"t={t}")
        np.testing.assert_allclose(d_min, -want.sum(), rtol=1e-6, atol=1e-6, err_msg=f"t={t}")
    if mode == "logsumexp":
        g = jax.grad(lambda t: so.logsumexp(x, temperature=t).sum())(jnp.float32(0.0))
        np.testing.assert_allclose(g, want.sum(), rtol=1e-6)


@pytest.mark.parametrize("mode", MAX_MODES)
def test_tie_gradient_is_equal_split(mode):
    x = jnp.asarray([1.0, 3.0, 3.0, 3.0, -2.0])
    g = jax.grad(lambda x: so.max(x, temperature=0.0, mode=mode))(x)
    np.testing.assert_allclose(g, [0, 1 / 3, 1 / 3, 1 / 3, 0], rtol=1e-7)
    # jnp.max's own rule agrees (checked, not assumed).
    np.testing.assert_allclose(jax.grad(jnp.max)(x), g, rtol=1e-7)
    gmin = jax.grad(lambda x: so.min(x, temperature=0.0, mode=mode))(-x)
    np.testing.assert_allclose(gmin, [0, 1 / 3, 1 / 3, 1 / 3, 0], rtol=1e-7)
    # As t -> 0 the soft gradient approaches the same split.
    gs = jax.grad(lambda x: so.max(x, temperature=1e-3, mode=mode))(x)
    np.testing.assert_allclose(gs, g, atol=1e-3)


def test_logsumexp_all_minus_inf_rows():
    x = jnp.asarray([[-jnp.inf] * 3, [0.0, 1.0, -jnp.inf]])
    val = so.logsumexp(x)
    assert float(val[0]) == -np.inf
    assert np.isfinite(float(val[1]))
    g = jax.grad(lambda x: so.logsumexp(x).sum())(x)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[0], 1 / 3)
    np.testing.assert_allclose(g[1], jax.nn.softmax(x[1]), rtol=1e-6)
    # jnp's gradient is NaN on the all -inf row: the reason for ours.
    g_jnp = jax.grad(lambda x: jax.scipy.special.logsumexp(x, axis=-1).sum())(x)
    assert np.all(np.isnan(g_jnp[0]))


@pytest.mark.parametrize("mode", MAX_MODES)
@pytest.mark.parametrize("t", [0.0, 1e-30, 1.0, 1e30])
def test_extreme_inputs_finite(mode, t):
    x = jnp.asarray([[1e30, -1e30, 3e29, 0.0], [BIG, -BIG, BIG, 1.0], [-BIG, -BIG, 0.0, 2.0]], jnp.float32)

    def f(x, t):
        v = so.max(x, temperature=t, mode=mode).sum()
        if mode != "logsumexp":
            v = v + (so.argmax(x, temperature=t, mode=mode) * jnp.arange(4.0)).sum()
        return v

    val = so.max(x, temperature=t, mode=mode)
    assert np.all(np.isfinite(val))
    gx, gt = jax.grad(f, argnums=(0, 1))(x, jnp.float32(t))
    assert np.all(np.isfinite(gx))
    assert np.isfinite(gt)
    if mode != "logsumexp" and t <= 1.0:  # one-hot regime (huge gaps): exact max
        rows = slice(None) if t < 1.0 else slice(0, 2)
        np.testing.assert_array_equal(val[rows], jnp.max(x, -1)[rows])


def test_infinite_and_nan_slices():
    x = jnp.asarray([[1.0, jnp.inf, 0.0], [jnp.inf, 2.0, jnp.inf], [1.0, jnp.nan, 0.0], [0.0, 1.0, 2.0]])
    for mode in MODES:
        p = so.argmax(x, mode=mode)
        np.testing.assert_array_equal(p[0], [0, 1, 0])
        np.testing.assert_array_equal(p[1], [0.5, 0, 0.5])
        assert np.all(np.isnan(p[2]))
        assert np.all(np.isfinite(p[3]))
    for mode in MAX_MODES:
        m = so.max(x, mode=mode)
        assert m[0] == np.inf
        assert m[1] == np.inf
        assert np.isnan(m[2])
        assert np.isfinite(m[3])
        g = jax.grad(lambda x, m=mode: so.max(x, mode=m).sum())(x)
        np.testing.assert_array_equal(g[:2], [[0, 1, 0], [0.5, 0, 0.5]])
        assert np.all(np.isnan(g[2]))
        assert np.all(np.isfinite(g[3]))


@pytest.mark.parametrize("n", [1000, 5000])
@pytest.mark.parametrize("axis", [0, -1])
def test_soft_max_of_long_slices_is_accurate_in_float32(n, axis):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 3) if axis == 0 else (3, n)).astype(np.float32)
    x[(2, 0) if axis == 0 else (0, 2)] = np.nan  # a NaN slice leaves the others alone
    t = 0.5
    z = np.moveaxis(x.astype(np.float64), axis, -1) / t
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    ref = np.sum(p * z * t, -1)
    grad_ref = np.moveaxis(p * (1.0 + z - ref[..., None] / t), -1, axis)
    got = so.max(jnp.asarray(x), axis=axis, temperature=t)
    grad = jax.grad(lambda x: so.max(x, axis=axis, temperature=t)[1:].sum())(jnp.asarray(x))
    assert np.isnan(got[0])
    np.testing.assert_allclose(got[1:], ref[1:], rtol=5e-7)
    live = (slice(None), slice(1, None)) if axis == 0 else (slice(1, None),)
    np.testing.assert_allclose(grad[live], grad_ref[live], atol=1e-6)


@pytest.mark.parametrize("mode", MAX_MODES)
def test_gradients_float64(mode, key, x64):
    x = np.asarray(_x(key, (2, 6), dtype="float64"))
    order = 2 if mode in ("softmax", "logsumexp") else 1
    # jit keeps the repeated finite-difference evaluations cheap.
    f = jax.jit(lambda x, t: so.max(x, axis=0, temperature=t, mode=mode))
    check_grads(f, (x, 0.7), order, ("fwd", "rev"))
    if mode != "logsumexp":
        g = jax.jit(lambda x, t: so.argmin(x, temperature=t, mode=mode))
        check_grads(g, (x, 1.3), order, ("fwd", "rev"))


@pytest.mark.parametrize("mode", MAX_MODES)
def test_monotone_convergence(mode, key):
    x = _x(key, (8, 10), dtype="float32")
    ts = [4.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.01]
    errs = [float(jnp.abs(so.max(x, temperature=t, mode=mode) - jnp.max(x, -1)).max()) for t in ts]
    assert all(a >= b - 1e-6 for a, b in zip(errs, errs[1:], strict=False)), errs
    if mode != "logsumexp":
        hard = so.argmax(x, temperature=0.0)
        perr = [float(jnp.abs(so.argmax(x, temperature=t, mode=mode) - hard).max()) for t in ts]
        assert all(a >= b - 1e-6 for a, b in zip(perr, perr[1:], strict=False)), perr


@pytest.mark.parametrize("mode", MODES)
def test_straight_through(mode, key):
    x = _x(key, (3, 5))
    p = so.argmax(x, temperature=0.5, mode=mode, straight_through=True)
    np.testing.assert_array_equal(p, so.argmax(x, temperature=0.0))
    w = jnp.arange(5.0)
    g_st = jax.grad(lambda x: (so.argmax(x, temperature=0.5, mode=mode, straight_through=True) * w).sum())(x)
    g_soft = jax.grad(lambda x: (so.argmax(x, temperature=0.5, mode=mode) * w).sum())(x)
    np.testing.assert_allclose(g_st, g_soft, rtol=1e-6)
    m = so.max(x, temperature=0.5, mode=mode, straight_through=True)
    np.testing.assert_array_equal(m, jnp.max(x, -1))


def test_per_slice_temperature_and_vmap(key):
    x = _x(key, (3, 5))
    t = jnp.asarray([[0.5], [1.0], [2.0]])
    p = so.argmax(x, temperature=t)
    for i in range(3):
        np.testing.assert_allclose(p[i], so.argmax(x[i], temperature=t[i, 0]), rtol=1e-6)
    ts = jnp.asarray([0.0, 0.5, 1.0])
    mv = jax.vmap(lambda t: so.max(x, temperature=t))(ts)
    np.testing.assert_allclose(mv[1], so.max(x, temperature=0.5), rtol=1e-6)
    np.testing.assert_array_equal(mv[0], jnp.max(x, -1))


def test_no_retrace_when_temperature_changes(key):
    x = _x(key)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def f(x, t):
        return so.max(x, temperature=t, mode="entmax15") + so.argmax(x, temperature=t).sum(-1)

    for t in (0.0, 0.5, 2.0):
        f(x, t)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_dtype_preserved(dtype, key):
    x = _x(key, dtype=dtype)
    for mode in MODES:
        p = so.argmax(x, mode=mode)
        assert p.dtype == x.dtype
        ref = distribution(np.asarray(x, np.float64), 1.0, mode)
        np.testing.assert_allclose(np.asarray(p, np.float64), ref, atol=TOL[dtype] * 10)
    assert so.logsumexp(x).dtype == x.dtype
    assert so.min(x, mode="logsumexp").dtype == x.dtype


def test_hessian_and_jacobians(key):
    x = _x(key, (6,))
    h = jax.jit(jax.hessian(lambda x: so.logsumexp(x, temperature=0.5)))(x)
    p = so.argmax(x, temperature=0.5)
    np.testing.assert_allclose(h, (jnp.diag(p) - jnp.outer(p, p)) / 0.5, atol=1e-5)
    for mode in MODES:
        f = lambda x: so.argmax(x, temperature=0.7, mode=mode)  # noqa: B023
        np.testing.assert_allclose(jax.jit(jax.jacfwd(f))(x), jax.jit(jax.jacrev(f))(x), atol=1e-6)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: so.argmax(jnp.arange(3)), TypeError, "argmax expects a floating-point x"),
        (lambda: so.max(jnp.ones(3), axis=1), ValueError, "axis 1 is out of range"),
        (lambda: so.max(jnp.ones(3), axis=0.5), TypeError, "integer axis"),
        (lambda: so.min(jnp.float32(1.0)), ValueError, "at least one dimension"),
        (lambda: so.max(jnp.ones((2, 0))), ValueError, "empty axis"),
        (lambda: so.argmax(jnp.ones(3), mode="hardmax"), ValueError, "unknown mode 'hardmax'"),
        (lambda: so.max(jnp.ones(3), mode="hardmax"), ValueError, "unknown mode"),
        (lambda: so.logsumexp(jnp.ones(3), mode="softmax"), ValueError, "unknown mode"),
        (lambda: so.argmin(jnp.ones(3), temperature=-1.0), ValueError, "non-negative temperature"),
        (lambda: so.max(jnp.ones((2, 3)), temperature=jnp.ones(3)), ValueError, "size 1 along axis"),
        (lambda: so.max(jnp.ones((2, 3)), temperature=jnp.ones((4, 1))), ValueError, "does not broadcast"),
        (lambda: so.max(jnp.ones(3), keepdims=1), TypeError, "keepdims"),
        (lambda: so.argmax(jnp.ones(3), straight_through="yes"), TypeError, "straight_through"),
    ],
)
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_traced_zero_temperature_one_hot_is_exact_on_special_slices():
    # The softmax mode evaluates t = 0 through the same scores as t > 0 (0 at
    # every maximum, -L elsewhere): the result must still be the hard one-hot.
    x = jnp.asarray(
        [
            [1.0, 3.0, 3.0, 0.0],
            [-jnp.inf, -jnp.inf, -jnp.inf, -jnp.inf],
            [jnp.inf, 0.0, jnp.inf, -jnp.inf],
            [1.0, jnp.nan, 0.0, 2.0],
            [-BIG, BIG, BIG, 0.0],
        ],
        jnp.float32,
    )
    want = np.array(
        [[0, 0.5, 0.5, 0], [0.25] * 4, [0.5, 0, 0.5, 0], [np.nan] * 4, [0, 0.5, 0.5, 0]], np.float32
    )
    for t in (0.0, 1e-30):
        got = jax.jit(lambda x, t: so.argmax(x, temperature=t))(x, jnp.float32(t))
        np.testing.assert_array_equal(got, want)
        got_min = jax.jit(lambda x, t: so.argmin(-x, temperature=t))(x, jnp.float32(t))
        np.testing.assert_array_equal(got_min, want)
    g = jax.grad(lambda x: (so.argmax(x, temperature=jnp.float32(0.0)) * jnp.arange(4.0)).sum())(x[:1])
    np.testing.assert_array_equal(g, np.zeros((1, 4), np.float32))


@pytest.mark.parametrize("t", [1e37, 1e38])
def test_minus_inf_entries_weigh_nothing_at_huge_temperature(t):
    # Beyond t ~ 3e32 the band L t is capped at the largest float: a -inf entry
    # must still be masked out, not clamped to -max (which weighs exp(-max / t) > 0).
    x = jnp.asarray([0.0, -jnp.inf, 1.0])
    np.testing.assert_allclose(so.max(x, temperature=t), 0.5, rtol=1e-6)
    np.testing.assert_allclose(so.argmax(x, temperature=t), [0.5, 0.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(jax.grad(lambda x: so.max(x, temperature=t))(x), [0.5, 0.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(so.logsumexp(x, temperature=t), t * np.log(2.0), rtol=1e-6)


def test_soft_max_mean_does_not_overflow_at_huge_temperature():
    # |x - max| is the largest float: the expectation's sum must not overflow.
    x = jnp.asarray([0.0] + [-3e38] * 9, jnp.float32)
    val, g = jax.value_and_grad(lambda x: so.max(x, temperature=3e38))(x)
    assert np.all(np.isfinite(g))
    # The softmax-weighted mean, -2.30e38: 1 / t is held as two normal numbers,
    # so the weights are not flushed to uniform (-2.7e38) on CPU.
    e = np.exp(np.asarray(x, np.float64) / 3e38)
    np.testing.assert_allclose(val, (e * np.asarray(x, np.float64)).sum() / e.sum(), rtol=1e-5)


def test_logsumexp_derivatives_finite_with_extreme_entries_at_huge_temperature():
    # A batch of slices holding the largest floats, infinities and tiny values
    # at t = 3e38: every weight is finite, each slice's weights sum to 1 and
    # the t-derivative is finite (the masked form gave inf and NaN here).
    fmax = float(np.finfo(np.float32).max)
    rows = [
        [fmax, -fmax, 0.0, 1.0, 2.0, 3.0],
        [1.0, 3.0, 3.0, 0.0, 0.0, 0.0],
        [-np.inf, 0.0, 1.0, -np.inf, 2.0, 2.0],
        [np.inf, 1.0, 2.0, 3.0, 4.0, 5.0],
        [-np.inf] * 6,
        [1e30, -1e30, 1e29, 0.0, 5.0, 5.0],
        [1e-30, -1e-30, 0.0, 0.0, 1e-35, 2e-30],
        [fmax] * 6,
        [-fmax] * 6,
    ]
    x = jnp.asarray(rows, jnp.float32)
    t = jnp.float32(3e38)
    w = jnp.arange(1.0, len(rows) + 1.0)
    for fn in (so.logsumexp, lambda x, temperature: so.max(x, temperature=temperature, mode="logsumexp")):
        loss = lambda x, t, fn=fn: jnp.sum(fn(x, temperature=t) * w)
        gx, gt = jax.jit(jax.grad(loss, (0, 1)))(x, t)
        assert np.all(np.isfinite(gx))
        assert np.isfinite(gt)
        np.testing.assert_allclose(np.sum(gx, axis=-1), w, rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_length_one_axis_is_one_and_nan_stays_nan(mode):
    """One position weighs 1 at every temperature, +-inf included, and a NaN
    stays NaN also under jit at a concrete t = 0 (where XLA once folded the
    normalisation of a one-entry slice to 1)."""
    x = jnp.array([[jnp.nan], [1.0], [jnp.inf], [-jnp.inf]])
    want = np.array([[np.nan], [1.0], [1.0], [1.0]], np.float32)
    for t in (0.0, 1e-30, 1.0):
        for op in (so.argmax, so.argmin):
            np.testing.assert_array_equal(op(x, temperature=t, mode=mode), want)
            concrete = jax.jit(lambda x, op=op, t=t: op(x, temperature=t, mode=mode))
            traced = jax.jit(lambda x, t, op=op: op(x, temperature=t, mode=mode))
            np.testing.assert_array_equal(concrete(x), want)
            np.testing.assert_array_equal(traced(x, t), want)
    g = jax.grad(lambda x, t: so.argmax(x, temperature=t, mode=mode).sum(), argnums=(0, 1))(x[1:], 0.5)
    np.testing.assert_array_equal(g[0], 0.0)
    assert float(g[1]) == 0.0
