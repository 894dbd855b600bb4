"""max_pool/min_pool/avg_pool: lax.reduce_window at t = 0, padding, ties, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.test_util import check_grads

import softops as so
from tests.references.reductions import REFERENCES

GEOMETRIES = [
    {"window_shape": (3, 3)},
    {"window_shape": (2, 2), "strides": (2, 2)},
    {"window_shape": (2, 3), "strides": (1, 2), "padding": "SAME"},
    {"window_shape": (3, 2), "strides": (2, 1), "padding": ((1, 2), (0, 1))},
    {"window_shape": (4,), "strides": (3,), "padding": "SAME"},
]


def _lax(x, window_shape, strides=None, padding="VALID", *, init, op):
    lead = x.ndim - len(window_shape)
    strides = strides or (1,) * len(window_shape)
    if not isinstance(padding, str):
        padding = ((0, 0),) * lead + tuple(padding)
    return lax.reduce_window(
        x,
        np.asarray(init, x.dtype),
        op,
        (1,) * lead + tuple(window_shape),
        (1,) * lead + tuple(strides),
        padding,
    )


def _x(key, shape=(2, 7, 8), dtype="float32"):
    return jax.random.normal(key, shape, "float32").astype(dtype) * 2


@pytest.mark.parametrize("geom", GEOMETRIES)
def test_zero_temperature_is_reduce_window(geom, key):
    x = _x(key)
    traced = jax.jit(lambda x, t, m: so.max_pool(x, **geom, temperature=t, mode=m), static_argnums=2)
    for mode in ("softmax", "logsumexp"):
        expect = _lax(x, **geom, init=-np.inf, op=lax.max)
        np.testing.assert_array_equal(so.max_pool(x, **geom, temperature=0.0, mode=mode), expect)
        np.testing.assert_array_equal(traced(x, 0.0, mode), expect)
        np.testing.assert_array_equal(
            so.min_pool(x, **geom, temperature=0.0, mode=mode), _lax(x, **geom, init=np.inf, op=lax.min)
        )
    n = jnp.asarray(np.prod(geom["window_shape"]), x.dtype)
    np.testing.assert_array_equal(so.avg_pool(x, **geom), _lax(x, **geom, init=0.0, op=lax.add) / n)


@pytest.mark.parametrize("geom", GEOMETRIES)
def test_soft_pools_match_reference(geom, key, x64):
    x = np.asarray(_x(key, (2, 5, 6), dtype="float64"))
    if len(geom["window_shape"]) == 1:
        x = x[0]
    for mode in ("softmax", "logsumexp"):
        for t in (0.5, 2.0):
            for name, fn in (("max_pool", so.max_pool), ("min_pool", so.min_pool)):
                got = fn(x, **geom, temperature=t, mode=mode)
                np.testing.assert_allclose(got, REFERENCES[name]((x,), geom, t, mode), atol=1e-12)
    np.testing.assert_allclose(
        so.avg_pool(x, **geom), REFERENCES["avg_pool"]((x,), geom, 1.0, "mean"), atol=1e-12
    )


def test_tie_gradient_split_equally():
    x = jnp.asarray([[3.0, 3.0, 1.0, 0.0], [1.0, 2.0, 2.0, 2.0]])
    g = jax.grad(lambda x: so.max_pool(x, (2,), strides=(2,), temperature=0.0).sum())(x)
    np.testing.assert_array_equal(g, [[0.5, 0.5, 1.0, 0.0], [0.0, 1.0, 0.5, 0.5]])
    # XLA's select-and-scatter gives the whole gradient to one of the tied entries.
    g_lax = jax.grad(lambda x: _lax(x, (2,), (2,), init=-np.inf, op=lax.max).sum())(x)
    assert float(g_lax[0, 0]) == 1.0
    assert float(g_lax[0, 1]) == 0.0
    # Overlapping windows add up; min_pool mirrors.
    g2 = jax.grad(lambda x: so.min_pool(-x, (3,), temperature=0.0).sum())(x)
    third = 1.0 / 3.0
    np.testing.assert_allclose(g2, [[-0.5, -1.5, 0, 0], [0, -0.5 - third, -0.5 - third, -third]], rtol=1e-6)


def test_avg_pool_gradient_and_padding():
    x = jnp.arange(1.0, 7.0).reshape(1, 6)
    g = jax.grad(lambda x: so.avg_pool(x, (3,), strides=(3,)).sum())(x)
    np.testing.assert_allclose(g, np.full((1, 6), 1 / 3))
    # SAME padding: flax's default counts padding cells (zeros) in the divisor.
    same = so.avg_pool(jnp.ones(4), (3,), padding="SAME")
    np.testing.assert_allclose(same, [2 / 3, 1, 1, 2 / 3])
    np.testing.assert_allclose(so.avg_pool(jnp.ones(4), (3,), padding="SAME", count_include_pad=False), 1.0)
    # Padding never wins a max pool, whatever its sign.
    neg = -jnp.ones(4) * 5
    np.testing.assert_array_equal(so.max_pool(neg, (3,), padding="SAME", temperature=0.0), -5.0)
    np.testing.assert_allclose(so.max_pool(neg, (3,), padding="SAME", temperature=1.0), -5.0)
    # Temperature has no effect on the average pool.
    np.testing.assert_array_equal(
        so.avg_pool(x, (2,), temperature=0.0), so.avg_pool(x, (2,), temperature=3.0)
    )


def test_gradients_float64(key, x64):
    x = np.asarray(_x(key, (3, 4), dtype="float64"))
    geom = {"window_shape": (2, 2), "strides": (1, 2), "padding": "SAME"}
    for mode, order in (("softmax", 2), ("logsumexp", 1)):  # second order once: it is costly to compile
        f = jax.jit(lambda x, t, m=mode: so.max_pool(x, **geom, temperature=t, mode=m))
        check_grads(f, (x, 0.8), order, ("fwd", "rev"))
    check_grads(jax.jit(lambda x: so.avg_pool(x, **geom)), (x,), 1, ("fwd", "rev"))


@pytest.mark.parametrize("t", [0.0, 1e-30, 1.0, 1e30])
def test_extreme_inputs_and_nan(t):
    big = np.finfo(np.float32).max
    x = jnp.asarray([[big, -big, 1e30, 0.0, -1e30, jnp.inf], [1.0, jnp.nan, 2.0, 3.0, 4.0, 5.0]], jnp.float32)
    for mode in ("softmax", "logsumexp"):
        f = lambda x, t, m=mode: so.max_pool(x, (2,), strides=(2,), temperature=t, mode=m)
        val = f(x, t)
        np.testing.assert_array_equal(np.isnan(val), [[False] * 3, [True, False, False]])
        gx, gt = jax.grad(lambda x, t, f=f: jnp.nansum(f(x, t)), argnums=(0, 1))(x, jnp.float32(t))
        assert np.all(np.isfinite(gx[0]))
        assert np.isfinite(gt)
        assert val[0, 2] == np.inf
        if t < 1.0:
            np.testing.assert_array_equal(val[0, :2], np.asarray([big, 1e30], np.float32))


def test_monotone_convergence(key):
    x = _x(key)
    hard = so.max_pool(x, (3, 3), temperature=0.0)
    errs = [float(jnp.abs(so.max_pool(x, (3, 3), temperature=t) - hard).max()) for t in (2.0, 1.0, 0.3, 0.1)]
    assert all(a >= b for a, b in zip(errs, errs[1:], strict=False)), errs


def test_straight_through_dtype_and_batch_temperature(key):
    x = _x(key, dtype="bfloat16")
    st = so.max_pool(x, (2, 2), temperature=0.5, straight_through=True)
    assert st.dtype == jnp.bfloat16
    np.testing.assert_array_equal(st, so.max_pool(x, (2, 2), temperature=0.0))
    g_st = jax.grad(lambda x: so.max_pool(x, (2, 2), temperature=0.5, straight_through=True).sum())(x)
    g_soft = jax.grad(lambda x: so.max_pool(x, (2, 2), temperature=0.5).sum())(x)
    np.testing.assert_array_equal(g_st, g_soft)
    t = jnp.asarray([0.0, 1.0]).reshape(2, 1, 1)  # one temperature per batch element
    out = so.max_pool(x.astype(jnp.float32), (2, 2), temperature=t)
    np.testing.assert_array_equal(out[0], so.max_pool(x[0].astype(jnp.float32), (2, 2), temperature=0.0))
    ts = jnp.asarray([0.0, 0.5])
    v = jax.vmap(lambda t: so.min_pool(x, (2, 2), temperature=t))(ts)
    np.testing.assert_array_equal(v[0], so.min_pool(x, (2, 2), temperature=0.0))


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: so.max_pool(jnp.arange(6), (2,)), TypeError, "max_pool expects a floating-point x"),
        (lambda: so.max_pool(jnp.ones(6), "2"), TypeError, "window_shape"),
        (lambda: so.max_pool(jnp.ones(6), (0,)), ValueError, "positive ints"),
        (lambda: so.min_pool(jnp.ones(6), (2, 2)), ValueError, "more dimensions"),
        (lambda: so.max_pool(jnp.ones((3, 6)), (2,), strides=(1, 1)), ValueError, "one entry per window"),
        (lambda: so.max_pool(jnp.ones(6), (2,), padding="FULL"), ValueError, "padding must be"),
        (lambda: so.avg_pool(jnp.ones(6), (2,), padding=((1, -1),)), ValueError, "padding must be"),
        (lambda: so.avg_pool(jnp.ones(6), (2,), padding=((1, 1), (0, 0))), ValueError, "padding must be"),
        (lambda: so.max_pool(jnp.ones(3), (5,)), ValueError, "does not fit"),
        (lambda: so.max_pool(jnp.ones(6), (2,), mode="sparsemax"), ValueError, "unknown mode"),
        (lambda: so.avg_pool(jnp.ones(6), (2,), mode="softmax"), ValueError, "unknown mode"),
        (lambda: so.max_pool(jnp.ones(6), (2,), temperature=-1.0), ValueError, "non-negative temperature"),
        (lambda: so.avg_pool(jnp.ones(6), (2,), temperature=-1.0), ValueError, "non-negative temperature"),
        (lambda: so.max_pool(jnp.ones(6), (2,), temperature=jnp.ones(3)), ValueError, "does not broadcast"),
        (lambda: so.avg_pool(jnp.ones(6), (2,), count_include_pad=None), TypeError, "count_include_pad"),
    ],
)
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_traced_zero_gradient_splits_ties_in_overlapping_windows():
    # At t = 0 (here traced) the relaxation's derivative is the hard pool's:
    # each window sends 1 / (number of its maxima) to each maximum.
    x = np.array([[2.0, 2.0, 0.0, 1.0], [2.0, -np.inf, 1.0, 1.0], [0.0, 3.0, 3.0, -1.0]], np.float32)
    want = np.zeros_like(x)
    for i in range(x.shape[0] - 1):
        for j in range(x.shape[1] - 1):
            win = x[i : i + 2, j : j + 2]
            hits = win == win.max()
            want[i : i + 2, j : j + 2] += hits / hits.sum()
    for mode in ("softmax", "logsumexp"):
        f = jax.jit(lambda x, t, m=mode: so.max_pool(x, (2, 2), temperature=t, mode=m).sum())
        np.testing.assert_array_equal(jax.grad(f)(jnp.asarray(x), jnp.float32(0.0)), want)


@pytest.mark.parametrize("t", [0.0, 1.0])
def test_nan_window_does_not_poison_neighbour_gradients(t):
    # Windows [1, 2], [2, nan], [nan, 3], [3, 4]: only the two middle ones are NaN.
    x = jnp.asarray([1.0, 2.0, jnp.nan, 3.0, 4.0])
    f = lambda x: so.max_pool(x, (2,), temperature=t)
    g = jax.grad(lambda x: f(x)[0])(x)
    assert np.all(np.isfinite(g))
    g_all = jax.grad(lambda x: jnp.nansum(f(x)))(x)
    assert np.all(np.isfinite(g_all))
    if t == 0.0:
        np.testing.assert_array_equal(g, [0, 1, 0, 0, 0])
        np.testing.assert_array_equal(g_all, [0, 1, 0, 0, 1])
    # forward mode still marks the NaN windows
    _, tangent = jax.jvp(f, (x,), (jnp.ones(5),))
    np.testing.assert_array_equal(np.isnan(tangent), [False, True, True, False])


@pytest.mark.parametrize("t", [5e37, 1e38, 3e38])
def test_huge_temperature_is_the_window_mean(t):
    # The mean is taken in x's units: t * mean(x / t) would underflow to 0 here.
    np.testing.assert_allclose(so.max_pool(jnp.asarray([[0.0, 1.0]]), 2, temperature=t), [[0.5]])
    np.testing.assert_allclose(so.max_pool(jnp.asarray([[0.0, 1000.0]]), 2, temperature=t), [[500.0]])
    # SAME padding (-inf) weighs nothing, in the value and in the derivative.
    f = lambda x: so.max_pool(x, 2, padding="SAME", temperature=t)
    x = jnp.asarray([[0.0, 1.0, 2.0]])
    val, tan = jax.jvp(f, (x,), (jnp.ones_like(x),))
    np.testing.assert_allclose(val, [[0.5, 1.5, 2.0]], rtol=1e-6)
    np.testing.assert_allclose(tan, [[1.0, 1.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(jax.grad(lambda x: f(x).sum())(x), [[0.5, 1.0, 1.5]], rtol=1e-6)


def test_reverse_over_reverse_is_finite_on_hard_windows():
    # Windows at t = 0, or with an infinite maximum, take the hard pool's weights;
    # their second derivatives (a gradient penalty) must not meet exp(large) * 0.
    f = lambda x, t: so.max_pool(x, (2,), temperature=t).sum()
    x = jnp.asarray([[1.0, 2.0, 100.0]])
    np.testing.assert_array_equal(jax.jacrev(jax.jacrev(f))(x, 0.0), np.zeros((1, 3, 1, 3)))
    np.testing.assert_array_equal(jax.grad(lambda x: jnp.sum(jax.grad(f)(x, 0.0) ** 2))(x), np.zeros((1, 3)))
    x = jnp.asarray([[1.0, 2.0, jnp.inf, 3.0, 4.0]])
    penalty = jax.grad(lambda x: jnp.sum(jax.grad(f)(x, 1.0) ** 2))(x)
    assert np.all(np.isfinite(penalty))


@pytest.mark.parametrize("mode", ["softmax", "logsumexp"])
def test_shared_shift_agrees_with_the_per_window_shift(mode, key):
    """Overlapping windows at one temperature shift every entry by its image's
    maximum (one exp per entry) when the image is narrow enough; otherwise, and
    for infinite or NaN entries, by each window's. The derivative's value (always
    per window) and the plain value must agree either way."""
    geom = {"window_shape": (3, 3), "padding": ((3, 0), (0, 1))}  # a window of padding alone
    x = _x(key, (3, 6, 7))
    wide = x.at[1, 2, 3].set(-500.0)  # 500 / t below the image's maximum: per window
    odd = x.at[2, 0, 0].set(jnp.inf).at[0, 4, 4].set(jnp.nan)
    for data in (x, wide, odd):
        for t in (0.05, 0.5, 4.0):
            f = lambda x, t: so.max_pool(x, **geom, temperature=t, mode=mode)
            val = jax.jit(f)(data, jnp.float32(t))
            jvp_val, _ = jax.jvp(f, (data, jnp.float32(t)), (jnp.zeros_like(data), jnp.float32(1.0)))
            np.testing.assert_allclose(val, jvp_val, rtol=2e-6, atol=1e-6)
            assert np.all(np.asarray(val)[:, 0, :] == -np.inf)  # windows of padding only
            lo = np.asarray(jax.jit(lambda x, t: so.min_pool(x, **geom, temperature=t, mode=mode))(data, t))
            np.testing.assert_allclose(lo, -np.asarray(jax.jit(f)(-data, jnp.float32(t))), rtol=1e-6)
    # the narrow case against the float64 reference (the shared shift's rounding is that of x - M)
    valid = {"window_shape": (3, 3)}
    ref = REFERENCES["max_pool"]((np.asarray(x, np.float64),), valid, 0.5, mode)
    got = jax.jit(lambda x, t: so.max_pool(x, **valid, temperature=t, mode=mode))(x, jnp.float32(0.5))
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("mode", ["softmax", "logsumexp"])
def test_shared_shift_keeps_small_windows_precise_and_huge_temperatures_finite(mode):
    # the expectation of a window of small values, in an image whose maximum is
    # large, keeps the relative precision of its own entries; logsumexp (t log of
    # a sum shifted by the image's maximum) keeps that of the maximum
    x = jnp.asarray([[60.0, 0.0, 0.0, 0.0, 1e-5, 1e-5, 1e-5, 1e-5]])
    got = so.max_pool(x, (3,), temperature=1.0, mode=mode)
    ref = REFERENCES["max_pool"]((np.asarray(x, np.float64),), {"window_shape": (3,)}, 1.0, mode)
    atol = 0.0 if mode == "softmax" else 4 * np.finfo(np.float32).eps * 60.0
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=atol)
    # spread * t overflows at this temperature: the per-window shift, finite results
    x = jnp.asarray([[3e38, -3e38, 1.0, 2.0]])
    got = so.max_pool(x, (3,), temperature=1e37, mode=mode)
    assert np.all(np.isfinite(got)), got
    assert got[0, 0] == 3e38 or mode == "logsumexp"


def test_soft_max_pool_never_passes_the_hard_pool_and_keeps_constant_images():
    # the expectation is a mean of the window's entries: never above its maximum
    # (rounding included), and a constant window gives that constant exactly
    for c in (-7.1, 0.3, 1e30):
        x = jnp.full((1, 5, 5), c, jnp.float32)
        np.testing.assert_array_equal(so.max_pool(x, (3, 3), temperature=1.0), jnp.full((1, 3, 3), c))
        np.testing.assert_array_equal(so.min_pool(-x, (3, 3), temperature=1.0), jnp.full((1, 3, 3), -c))
    rng = np.random.default_rng(0)
    x = jnp.asarray(np.round(rng.standard_normal((30, 8, 8)) * 2, 1).astype(np.float32))  # many near-ties
    for t in (0.01, 0.1, 1.0):
        assert np.all(so.max_pool(x, (3, 3), temperature=t) <= so.max_pool(x, (3, 3), temperature=0.0))
    # entries near the largest float at a huge temperature: the window's sum of
    # shifts would overflow unscaled (its mean does not)
    w = np.asarray([2.46, 2.99, 2.64, 1.73, 3.4, 1.93, 2.37, 3.37, 2.27], np.float32) * np.float32(1e38)
    got = so.max_pool(w.reshape(1, 3, 3), (3, 3), temperature=np.float32(3e38))
    np.testing.assert_allclose(got.ravel(), so.max(w, temperature=np.float32(3e38)), rtol=1e-6)


def test_temperature_derivative_at_zero_is_the_limit_from_above_with_ties():
    """d/dt at t = 0 (and below the smallest usable t) is the limit as t -> 0+:
    log k on a window with k tied maxima in logsumexp mode, 0 for the
    expectation, as softops.max; padding never counts as a maximum."""
    x = jnp.array([[1.0, 5.0, 5.0, 2.0, 3.0, 3.0, 3.0, -1.0, 4.0]])
    want = np.log([[2.0, 3.0, 1.0]])

    def pool(op, x, t, pad, mode):
        return op(x, (4,), strides=(4,), padding=pad, temperature=t, mode=mode)

    for t in (0.0, 1e-30, 1e-3):
        for pad in ("VALID", ((0, 3),)):
            lse = jax.jacfwd(lambda t, pad=pad: pool(so.max_pool, x, t, pad, "logsumexp"))(jnp.float32(t))
            k = lse.shape[-1]
            np.testing.assert_allclose(lse, want[:, :k], rtol=1e-6, err_msg=f"t={t} {pad}")
            soft = jax.jacfwd(lambda t, pad=pad: pool(so.max_pool, x, t, pad, "softmax"))(jnp.float32(t))
            np.testing.assert_allclose(soft, 0.0, atol=1e-6)
            g = jax.grad(lambda t, pad=pad: pool(so.min_pool, -x, t, pad, "logsumexp").sum())(jnp.float32(t))
            np.testing.assert_allclose(g, -want[:, :k].sum(), rtol=1e-6)
