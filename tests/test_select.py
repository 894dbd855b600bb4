"""Family tests for selection: where and soft indexing (no temperature: not in the registry)."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.test_util import check_grads

import softops as so

DTYPES = [jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64]


def one_hot(i, n, dtype=jnp.float32):
    return jax.nn.one_hot(jnp.asarray(i), n, dtype=dtype)


def dirichlet(key, shape):
    return jax.random.dirichlet(key, jnp.ones(shape[-1]), shape[:-1])


# ------------------------------------------------------------------------- where
def test_where_is_exact_at_zero_one_even_with_inf_and_nan_branches():
    p = jnp.array([1.0, 0.0, 1.0, 0.0, 0.5])
    x = jnp.array([2.0, jnp.nan, -0.0, jnp.inf, 4.0])
    y = jnp.array([jnp.inf, 3.0, jnp.nan, 5.0, 0.0])
    out = so.where(p, x, y)
    np.testing.assert_array_equal(out[:4], jnp.where(p[:4] > 0, x[:4], y[:4]))
    assert float(out[4]) == 2.0
    for argnums in range(3):
        g = jax.grad(lambda *a: jnp.sum(so.where(*a)), argnums=argnums)(p, x, y)
        assert np.all(np.isfinite(g)), (argnums, g)
    gp, gx, gy = jax.grad(lambda *a: jnp.sum(so.where(*a)), argnums=(0, 1, 2))(p, x, y)
    np.testing.assert_array_equal(gx, p)
    np.testing.assert_array_equal(gy, 1.0 - p)
    np.testing.assert_array_equal(gp, [0.0, 0.0, 0.0, 0.0, 4.0])
    # finite branches keep d/dp = x - y at p in {0, 1} (straight-through needs it)
    np.testing.assert_array_equal(jax.grad(so.where)(1.0, 3.0, 1.0), 2.0)
    # forward mode: no 0 * nan from the branch not taken
    _, tan = jax.jvp(so.where, (p, x, y), (jnp.zeros(5), jnp.ones(5), jnp.full(5, jnp.nan)))
    np.testing.assert_array_equal(tan[jnp.array([0, 2])], [1.0, 1.0])


def test_where_blend_gradients_and_transforms(key, x64):
    p = jax.random.uniform(key, (3, 4), jnp.float64)
    x, y = jax.random.normal(key, (2, 3, 4), jnp.float64)
    np.testing.assert_allclose(so.where(p, x, y), p * x + (1 - p) * y, rtol=1e-14)
    check_grads(so.where, (p, x, y), order=2, modes=("fwd", "rev"))
    chex.assert_trees_all_close(jax.vmap(so.where)(p, x, y), so.where(p, x, y))
    chex.assert_trees_all_close(jax.jit(so.where)(p[0], x, 0.0), so.where(p[0], x, 0.0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_where_keeps_dtype(dtype):
    with jax.enable_x64(True):
        x = jnp.arange(3.0).astype(dtype)
        assert so.where(jnp.float32(0.5), x, x).dtype == dtype
        assert jax.grad(lambda x: jnp.sum(so.where(0.5, x, x)).astype(jnp.float32))(x).dtype == dtype


def test_where_errors():
    with pytest.raises(TypeError, match="where expects x and y of one floating dtype"):
        so.where(0.5, jnp.ones(2, jnp.float16), jnp.ones(2, jnp.float32))
    with pytest.raises(TypeError, match="where expects a floating-point p"):
        so.where(jnp.ones(2, bool), jnp.ones(2), jnp.ones(2))


# ---------------------------------------------------------------------- indexing
def test_take_one_hot_is_jnp_take(key):
    a = jax.random.normal(key, (3, 5, 4))
    idx = jnp.array([[4, 0], [2, 2]])
    for axis in (0, 1, 2, -1):
        n = a.shape[axis]
        i = jnp.minimum(idx, n - 1)
        np.testing.assert_array_equal(so.take(a, one_hot(i, n), axis=axis), jnp.take(a, i, axis=axis))
    flat = jnp.array([0, 59, 7])
    np.testing.assert_array_equal(so.take(a, one_hot(flat, a.size)), jnp.take(a, flat))


def test_take_is_the_expectation(key, x64):
    a = np.asarray(jax.random.normal(key, (4, 6), jnp.float64))
    d = np.asarray(dirichlet(key, (2, 3, 6)))
    want = np.einsum("ijk,lk->lij", d, a)
    np.testing.assert_allclose(so.take(a, d, axis=1), want, rtol=1e-12)
    check_grads(lambda a, d: so.take(a, d, axis=1), (a, d), order=1, modes=("fwd", "rev"))


def test_take_along_axis_one_hot_and_with_argmax(key):
    a = jax.random.normal(key, (3, 7))
    i = jnp.argsort(a, axis=1)[:, :4]
    np.testing.assert_array_equal(
        so.take_along_axis(a, one_hot(i, 7), axis=1), jnp.take_along_axis(a, i, axis=1)
    )
    # broadcasting of the non-axis dims, as jnp allows
    i0 = jnp.array([[2], [0]])  # (2, 1) against a.T (7, 3)
    np.testing.assert_array_equal(
        so.take_along_axis(a.T, one_hot(i0, 7), axis=0), jnp.take_along_axis(a.T, i0, axis=0)
    )
    np.testing.assert_array_equal(
        so.take_along_axis(a, one_hot(jnp.array([5, 20]), 21), axis=None),
        jnp.take_along_axis(a, jnp.array([5, 20]), axis=None),
    )
    # a soft argmax distribution at temperature 0 picks the maximum
    dist = so.argmax(a, axis=-1, temperature=0.0)
    np.testing.assert_array_equal(so.take_along_axis(a, dist[:, None, :], axis=1)[:, 0], jnp.max(a, axis=1))


def test_take_along_axis_expectation(key, x64):
    a = np.asarray(jax.random.normal(key, (3, 5), jnp.float64))
    d = np.asarray(dirichlet(key, (3, 2, 5)))
    np.testing.assert_allclose(so.take_along_axis(a, d, axis=1), np.einsum("ijk,ik->ij", d, a), rtol=1e-12)
    check_grads(lambda a, d: so.take_along_axis(a, d, axis=1), (a, d), order=1, modes=("fwd", "rev"))


def test_choose_is_exact_and_skips_unselected_non_finite(key):
    choices = [jnp.array([1.0, jnp.inf, 3.0]), jnp.array([jnp.nan, 5.0, 6.0]), jnp.array([7.0, 8.0, 9.0])]
    i = jnp.array([0, 1, 2])
    out = so.choose(one_hot(i, 3), choices)
    np.testing.assert_array_equal(out, jnp.choose(i, choices))
    g = jax.grad(lambda d: jnp.sum(so.choose(d, choices)))(one_hot(i, 3))
    assert np.all(np.isfinite(g))
    np.testing.assert_array_equal(g, [[1.0, 0.0, 7.0], [0.0, 5.0, 8.0], [3.0, 6.0, 9.0]])
    d = jnp.array([0.5, 0.25, 0.25])
    np.testing.assert_allclose(so.choose(d, [jnp.float32(4.0), jnp.float32(8.0), jnp.float32(0.0)]), 4.0)


def test_dynamic_index_and_slice_one_hot_follow_lax_with_clamping(key):
    a = jax.random.normal(key, (6, 3))
    # jitted once per static configuration (the one-hot is traced), not per start
    index = jax.jit(so.dynamic_index_in_dim, static_argnames=("axis", "keepdims"))
    slice_ = jax.jit(so.dynamic_slice_in_dim, static_argnums=(2,), static_argnames=("axis",))
    for i in range(6):
        d = one_hot(i, 6)
        np.testing.assert_array_equal(index(a, d), lax.dynamic_index_in_dim(a, i, 0))
        np.testing.assert_array_equal(
            index(a.T, d, axis=1, keepdims=False),
            lax.dynamic_index_in_dim(a.T, i, 1, keepdims=False),
        )
        for size in (0, 1, 4, 6):
            np.testing.assert_array_equal(
                slice_(a, d, size), lax.dynamic_slice_in_dim(a, i, size, 0)
            )  # clamped
            np.testing.assert_array_equal(
                slice_(a.T, d, size, axis=1), lax.dynamic_slice_in_dim(a.T, i, size, 1)
            )
    # and eagerly, once
    np.testing.assert_array_equal(
        so.dynamic_slice_in_dim(a, one_hot(5, 6), 4), lax.dynamic_slice_in_dim(a, 5, 4, 0)
    )


def test_dynamic_slice_expectation_moves_clamped_mass(x64):
    a = jnp.arange(5.0, dtype=jnp.float64) ** 2
    d = jnp.array([0.1, 0.2, 0.3, 0.15, 0.25], jnp.float64)
    # windows of 3 start at 0, 1, 2; starts 3 and 4 clamp to 2
    want = 0.1 * a[0:3] + 0.2 * a[1:4] + (0.3 + 0.15 + 0.25) * a[2:5]
    np.testing.assert_allclose(so.dynamic_slice_in_dim(a, d, 3), want, rtol=1e-14)
    check_grads(lambda a, d: so.dynamic_slice_in_dim(a, d, 3), (a, d), order=1, modes=("fwd", "rev"))
    g = jax.grad(lambda d: jnp.sum(so.dynamic_slice_in_dim(a, d, 3)))(d)
    np.testing.assert_allclose(g[2:], [np.sum(a[2:5])] * 3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_indexing_dtypes_jit_vmap(dtype, key):
    with jax.enable_x64(True):
        a = jax.random.normal(key, (4, 5)).astype(dtype)
        d = dirichlet(key, (2, 5)).astype(dtype)
        for out in (
            so.take(a, d, axis=1),
            so.take_along_axis(a, d[None].repeat(4, 0), axis=1),
            so.dynamic_index_in_dim(a, d[0], axis=1),
            so.dynamic_slice_in_dim(a, d[0], 2, axis=1),
            so.choose(d, [a[0, :2], a[1, :2], a[2, :2], a[3, :2], a[0, 2:4]]),
        ):
            assert out.dtype == dtype
    a = jax.random.normal(key, (4, 5))
    d = dirichlet(key, (4, 5))
    f = lambda a, d: so.dynamic_slice_in_dim(a, d, 2)  # noqa: E731
    chex.assert_trees_all_close(jax.vmap(f)(a, d), jnp.stack([f(a[i], d[i]) for i in range(4)]), rtol=1e-6)
    chex.assert_trees_all_close(jax.jit(f)(a[0], d[0]), f(a[0], d[0]))


def test_indexing_errors():
    a = jnp.ones((3, 4))
    with pytest.raises(TypeError, match="take expects a floating-point distribution over indices"):
        so.take(a, jnp.array([1, 2]), axis=0)
    with pytest.raises(TypeError, match="take expects a floating-point a"):
        so.take(jnp.ones(3, jnp.int32), jnp.ones(3) / 3)
    with pytest.raises(ValueError, match=r"take expects the distribution's last axis to have size 4"):
        so.take(a, jnp.ones(3) / 3, axis=1)
    with pytest.raises(ValueError, match="take: axis 2 is out of range"):
        so.take(a, jnp.ones(3) / 3, axis=2)
    with pytest.raises(ValueError, match=r"take_along_axis expects dist.ndim == a.ndim \+ 1"):
        so.take_along_axis(a, jnp.ones((3, 4)) / 4, axis=1)
    with pytest.raises(ValueError, match="choose expects at least one choice"):
        so.choose(jnp.ones(1), [])
    with pytest.raises(ValueError, match="choose expects the distribution's last axis to have size 2"):
        so.choose(jnp.ones(3) / 3, [jnp.ones(2), jnp.ones(2)])
    with pytest.raises(
        TypeError, match=r"choose expects choices\[0\] and choices\[1\] of one floating dtype"
    ):
        so.choose(jnp.ones(2) / 2, [jnp.ones(2), jnp.ones(2, jnp.float16)])
    with pytest.raises(ValueError, match=r"dynamic_index_in_dim expects a distribution of shape \(3,\)"):
        so.dynamic_index_in_dim(a, jnp.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match="dynamic_slice_in_dim: slice_size 5 is out of range"):
        so.dynamic_slice_in_dim(a, jnp.ones(3) / 3, 5)
    with pytest.raises(TypeError, match="dynamic_slice_in_dim expects an integer slice_size"):
        so.dynamic_slice_in_dim(a, jnp.ones(3) / 3, 1.5)
    with pytest.raises(ValueError, match="a trailing index axis"):
        so.take(a, jnp.float32(1.0))


def test_python_float_branches_take_the_arrays_dtype_and_errors_name_the_operator():
    p = jnp.array([1.0, 0.0, 0.5])
    y16 = jnp.array([1.0, 2.0, 3.0], jnp.float16)
    for got, want in (
        (so.where(p, 0.3, y16), jnp.where(p > 0.5, 0.3, y16)),
        (so.choose(jnp.array([1.0, 0.0]), [0.3, y16]), jnp.full((3,), 0.3, jnp.float16)),
    ):
        assert got.dtype == jnp.float16
        np.testing.assert_array_equal(got[:2], want[:2])
    assert float(so.where(0.5, 0.3, y16)[0]) == float((jnp.float16(0.3) + jnp.float16(1.0)) / 2)
    with pytest.raises(
        TypeError, match="where expects x and y of one floating dtype, got x float32, y float16"
    ):
        so.where(p, jnp.ones(3), y16)
    with pytest.raises(ValueError, match="where expects operands that broadcast together"):
        so.where(jnp.ones(3), jnp.ones(2), jnp.ones(2))
    with pytest.raises(ValueError, match="choose expects operands that broadcast together"):
        so.choose(jnp.ones((3, 2)), [jnp.ones(2), jnp.ones(2)])
    with pytest.raises(
        ValueError, match="dynamic_index_in_dim: axis 0 is out of range for an array of rank 0"
    ):
        so.dynamic_index_in_dim(jnp.float32(1.0), jnp.zeros(0))


def test_one_hot_indexing_is_exact_next_to_infinite_and_nan_entries():
    """Positions of probability 0 contribute nothing (no 0 * inf): picking the
    log-probability of an action next to masked (-inf) ones, say."""
    inf, nan = jnp.inf, jnp.nan
    a = jnp.array([1.0, inf, 3.0, -inf, nan])
    eye = jnp.eye(5)
    np.testing.assert_array_equal(so.take(a, eye), a)
    np.testing.assert_array_equal(jax.jit(jax.vmap(lambda d: so.take(a, d)))(eye), a)
    for i in range(5):
        assert_same = np.testing.assert_array_equal
        assert_same(so.dynamic_index_in_dim(a, eye[i], keepdims=False), a[i])
        assert_same(so.dynamic_slice_in_dim(a, eye[i], 1), lax.dynamic_slice_in_dim(a, i, 1))
        # d/da is the weight, also at a selected non-finite entry; d/d dist is a where finite
        np.testing.assert_array_equal(jax.grad(lambda a, i=i: so.take(a, eye[i]))(a), eye[i])
        np.testing.assert_array_equal(jax.grad(lambda d: so.take(a, d))(eye[i]), [1.0, 0.0, 3.0, 0.0, 0.0])
        np.testing.assert_array_equal(jax.jacfwd(lambda d: so.take(a, d))(eye[i]), [1.0, 0.0, 3.0, 0.0, 0.0])
        h = jax.hessian(lambda d: so.take(a, d) ** 2)(eye[i])  # 2 (a a^T) on the finite entries
        np.testing.assert_array_equal(h, 2 * np.outer([1.0, 0.0, 3.0, 0.0, 0.0], [1.0, 0.0, 3.0, 0.0, 0.0]))
    mixed = jnp.array([[0.0, 0.5, 0.5, 0.0, 0.0], [0.0, 0.5, 0.0, 0.5, 0.0], [0.5, 0.0, 0.5, 0.0, 0.0]])
    np.testing.assert_array_equal(so.take(a, mixed), [inf, nan, 2.0])
    logp = jnp.log(jnp.array([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8]]))
    idx = jnp.array([[1], [2]])
    np.testing.assert_array_equal(
        so.take_along_axis(logp, jax.nn.one_hot(idx, 3), axis=-1), jnp.take_along_axis(logp, idx, axis=-1)
    )
    g = jax.grad(lambda lp: so.take_along_axis(lp, jax.nn.one_hot(idx, 3), axis=-1).sum())(logp)
    np.testing.assert_array_equal(g, jax.nn.one_hot(idx[:, 0], 3))
