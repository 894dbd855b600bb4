"""Family tests for logic on soft booleans (no temperature: not in the registry)."""

import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import softops as so
from softops._logic import TNORMS

BINARY = {"logical_and": jnp.logical_and, "logical_or": jnp.logical_or, "logical_xor": jnp.logical_xor}
BITS = np.array(list(itertools.product([0.0, 1.0], repeat=2)), np.float32).T  # all 4 pairs
DTYPES = [jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64]


def _np_binary(name, tnorm, p, q):
    """Textbook formulas in float64."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    if tnorm == "product":
        return {"logical_and": p * q, "logical_or": p + q - p * q, "logical_xor": p + q - 2 * p * q}[name]
    if tnorm == "lukasiewicz":
        return {
            "logical_and": np.maximum(p + q - 1, 0),
            "logical_or": np.minimum(p + q, 1),
            "logical_xor": np.abs(p - q),
        }[name]
    return {
        "logical_and": np.minimum(p, q),
        "logical_or": np.maximum(p, q),
        "logical_xor": np.maximum(np.minimum(p, 1 - q), np.minimum(1 - p, q)),
    }[name]


@pytest.mark.parametrize("tnorm", TNORMS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_exact_boolean_logic_on_zero_one(name, tnorm):
    p, q = BITS
    got = getattr(so, name)(p, q, tnorm=tnorm)
    np.testing.assert_array_equal(got, np.asarray(BINARY[name](p > 0, q > 0), np.float32))
    np.testing.assert_array_equal(so.logical_not(p), 1.0 - p)


@pytest.mark.parametrize("tnorm", TNORMS)
def test_all_any_exact_on_zero_one_along_axes(tnorm, key):
    p = jax.random.bernoulli(key, 0.7, (4, 3, 5)).astype(jnp.float32)
    for axis in (None, 0, 1, -1, (0, 2)):
        for keepdims in (False, True):
            kw = dict(axis=axis, keepdims=keepdims)
            np.testing.assert_array_equal(
                so.all(p, tnorm=tnorm, **kw), jnp.all(p > 0, **kw).astype(jnp.float32)
            )
            np.testing.assert_array_equal(
                so.any(p, tnorm=tnorm, **kw), jnp.any(p > 0, **kw).astype(jnp.float32)
            )
    # empty reductions: the identities 1 and 0
    e = jnp.zeros((2, 0))
    np.testing.assert_array_equal(so.all(e, axis=1, tnorm=tnorm), [1.0, 1.0])
    np.testing.assert_array_equal(so.any(e, axis=1, tnorm=tnorm), [0.0, 0.0])


@pytest.mark.parametrize("tnorm", TNORMS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_values_match_formulas(name, tnorm, key, x64):
    p, q = jax.random.uniform(key, (2, 50), jnp.float64)
    np.testing.assert_allclose(
        getattr(so, name)(p, q, tnorm=tnorm), _np_binary(name, tnorm, p, q), rtol=1e-12
    )


@pytest.mark.parametrize("tnorm", TNORMS)
def test_reductions_match_formulas(tnorm, key, x64):
    p = np.asarray(jax.random.uniform(key, (3, 6), jnp.float64))
    ref_all = {
        "product": np.prod(p, 1),
        "lukasiewicz": np.maximum(0, 1 - np.sum(1 - p, 1)),
        "goedel": np.min(p, 1),
    }[tnorm]
    ref_any = {
        "product": 1 - np.prod(1 - p, 1),
        "lukasiewicz": np.minimum(1, np.sum(p, 1)),
        "goedel": np.max(p, 1),
    }[tnorm]
    np.testing.assert_allclose(so.all(p, axis=1, tnorm=tnorm), ref_all, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(so.any(p, axis=1, tnorm=tnorm), ref_any, rtol=1e-12, atol=1e-15)


def test_product_all_any_over_many_elements_stay_accurate(x64):
    n = 100_000
    p = np.full(n, 1.0 - 1e-6, np.float32)
    ref = np.exp(n * np.log(np.float64(p[0])))  # float64 product of the float32 inputs
    all32 = jax.jit(so.all)(jnp.asarray(p))
    assert abs(float(all32) - ref) / ref < 1e-4  # float32 inputs, 1e5 factors
    g = jax.jit(jax.grad(so.all))(jnp.asarray(p))
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, ref / np.float64(p[0]), rtol=1e-4)
    # a disjunction of many tiny probabilities: ~ n p, not lost to 1 - p == 1
    tiny = jnp.full(n, 1e-10, jnp.float32)
    np.testing.assert_allclose(float(jax.jit(so.any)(tiny)), -np.expm1(n * np.log1p(-1e-10)), rtol=1e-4)


def test_product_gradients_are_products_of_the_others():
    p = jnp.array([0.0, 0.5, 0.25])
    # exp/log are not correctly rounded on every backend: 1 ulp, exact zeros
    np.testing.assert_allclose(jax.grad(so.all)(p), [0.125, 0.0, 0.0], rtol=1e-6, atol=0)
    np.testing.assert_array_equal(jax.grad(so.all)(jnp.array([0.0, 0.0, 0.5])), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(jax.grad(so.all)(jnp.array([0.5, 0.25, 0.8])), [0.2, 0.4, 0.125], rtol=1e-6)
    np.testing.assert_allclose(
        jax.grad(so.any)(jnp.array([1.0, 0.5, 0.75])), [0.125, 0.0, 0.0], rtol=1e-6, atol=0
    )
    h = jax.hessian(so.all)(jnp.array([0.5, 0.25, 0.8]))
    np.testing.assert_allclose(h, [[0, 0.8, 0.25], [0.8, 0, 0.5], [0.25, 0.5, 0]], rtol=1e-6)


def test_pinned_subgradients_at_kinks_and_ties():
    g = lambda f, *a, **k: jax.grad(f, argnums=(0, 1))(*a, **k)  # noqa: E731
    assert g(so.logical_and, 0.5, 0.5, tnorm="lukasiewicz") == (0.0, 0.0)  # p + q == 1
    assert g(so.logical_or, 0.25, 0.75, tnorm="lukasiewicz") == (0.0, 0.0)
    assert g(so.logical_and, 0.3, 0.3, tnorm="goedel") == (0.5, 0.5)  # tie split
    assert g(so.logical_or, 0.3, 0.3, tnorm="goedel") == (0.5, 0.5)
    assert g(so.logical_xor, 0.4, 0.4, tnorm="lukasiewicz") == (0.0, 0.0)  # |p - q| at 0
    np.testing.assert_array_equal(
        jax.grad(lambda p: so.all(p, tnorm="lukasiewicz"))(jnp.array([0.5, 0.5])), [0.0, 0.0]
    )
    np.testing.assert_array_equal(
        jax.grad(lambda p: so.any(p, tnorm="goedel"))(jnp.array([0.5, 0.5, 0.1])), [0.5, 0.5, 0.0]
    )


unit = st.floats(0.0, 1.0)


@settings(max_examples=25, deadline=None)
@given(p=unit, q=unit, r=unit, tnorm=st.sampled_from(TNORMS))
def test_tnorm_laws(p, q, r, tnorm):
    with jax.enable_x64(True):
        p, q, r = (np.float64(v) for v in (p, q, r))
        f_and = lambda a, b: float(so.logical_and(a, b, tnorm=tnorm))  # noqa: E731
        f_or = lambda a, b: float(so.logical_or(a, b, tnorm=tnorm))  # noqa: E731
        assert f_and(p, q) == pytest.approx(f_and(q, p), abs=1e-15)
        assert f_and(p, np.float64(1.0)) == pytest.approx(p, abs=1e-15)
        assert f_and(np.float64(f_and(p, q)), r) == pytest.approx(
            f_and(p, np.float64(f_and(q, r))), abs=1e-12
        )
        assert (
            0.0 <= f_and(p, q) <= min(p, q) + 1e-15 <= max(p, q) + 1e-15 <= f_or(p, q) + 2e-15 <= 1.0 + 3e-15
        )
        # De Morgan
        assert f_or(p, q) == pytest.approx(1.0 - f_and(1.0 - p, 1.0 - q), abs=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes_transformations(dtype, key):
    with jax.enable_x64(True):
        p, q = jax.random.uniform(key, (2, 4, 6)).astype(dtype)
        for fn in (so.logical_and, so.logical_or, so.logical_xor):
            assert fn(p, q).dtype == dtype
        assert so.logical_not(p).dtype == dtype
        assert so.all(p, axis=1).dtype == dtype
        assert so.any(p).dtype == dtype
        g = jax.grad(lambda p: so.all(p).astype(jnp.float32))(p)
        assert g.dtype == dtype
        ref = so.all(p.astype(jnp.float64), axis=1)
        np.testing.assert_allclose(np.asarray(so.all(p, axis=1), np.float64), ref, rtol=3e-2, atol=1e-3)
    f = lambda p: so.any(p, axis=-1)  # noqa: E731
    p = jax.random.uniform(key, (3, 5))
    chex.assert_trees_all_close(jax.jit(f)(p), f(p), rtol=1e-6)
    chex.assert_trees_all_close(jax.vmap(f)(p), f(p), rtol=1e-6)
    chex.assert_trees_all_close(jax.jacfwd(f)(p), jax.jacrev(f)(p), rtol=1e-5, atol=1e-7)


def test_nan_propagates():
    p = jnp.array([jnp.nan, 0.5, 0.0])
    for tnorm in TNORMS:
        assert np.isnan(so.logical_and(p, 0.5, tnorm=tnorm)[0])
        assert np.isnan(so.logical_or(p, 0.5, tnorm=tnorm)[0])
        assert np.isnan(so.all(p, tnorm=tnorm))
        assert np.isnan(so.any(p, tnorm=tnorm))


def test_errors():
    with pytest.raises(ValueError, match="logical_and: unknown tnorm 'min'; expected one of 'product'"):
        so.logical_and(0.5, 0.5, tnorm="min")
    with pytest.raises(ValueError, match="all: unknown tnorm"):
        so.all(jnp.ones(3), tnorm=None)
    with pytest.raises(TypeError, match="logical_or expects a floating-point p"):
        so.logical_or(jnp.ones(3, jnp.int32), 0.5)
    with pytest.raises(TypeError, match="logical_not expects a floating-point p"):
        so.logical_not(jnp.ones(3, bool))
    with pytest.raises(TypeError, match=r"logical_xor: no implicit promotion .*float16, float32"):
        so.logical_xor(jnp.ones(3, jnp.float16), jnp.ones(3, jnp.float32))  # strict promotion in tests
    with pytest.raises(ValueError, match="any: axis 3 is out of range"):
        so.any(jnp.ones((2, 2)), axis=3)
    with pytest.raises(ValueError, match="all: repeated axis"):
        so.all(jnp.ones((2, 2)), axis=(0, -2))
    with pytest.raises(TypeError, match="all expects keepdims to be a Python bool"):
        so.all(jnp.ones(2), keepdims=1)


@pytest.mark.parametrize("op", ["all", "any"])
def test_product_hessian_at_boolean_inputs(op, x64):
    """The Hessian of prod(p) at a zero factor is not zero (and 1 - prod(1 - p) likewise at p = 1)."""
    p = jnp.array([0.0, 0.5, 1.0]) if op == "all" else jnp.array([1.0, 0.5, 0.0])
    ref = (lambda q: jnp.prod(q)) if op == "all" else (lambda q: 1.0 - jnp.prod(1.0 - q))
    f = getattr(so, op)
    np.testing.assert_allclose(jax.jit(jax.hessian(f))(p), jax.hessian(ref)(p), atol=1e-12)
    np.testing.assert_allclose(jax.jit(jax.jacfwd(jax.grad(f)))(p), jax.hessian(ref)(p), atol=1e-12)
    x = jnp.array([[0.3, 0.0, 0.7], [1.0, 0.2, 0.9]])
    h = jax.jit(jax.hessian(lambda q: f(q, axis=1).sum()))(x)
    h_ref = jax.hessian(lambda q: jax.vmap(ref)(q).sum())(x)
    np.testing.assert_allclose(h, h_ref, atol=1e-12)


def test_mixed_float_operands_follow_weak_typing():
    p = jnp.array([0.2, 0.9], jnp.float16)
    assert so.logical_and(p, 0.5).dtype == jnp.float16
    assert so.logical_or(0.5, p).dtype == jnp.float16


def test_conjunction_of_few_small_factors_is_the_plain_product():
    """The plain product where it is a normal number and short enough to beat the
    logs' rounding; the sum of logs where it would underflow or run long."""
    p = jnp.array([1e-30, 0.5, 0.5], jnp.float32)
    assert float(so.all(p)) == float(jnp.prod(p))
    rng = np.random.default_rng(0)
    for n in (3, 30, 1000, 100_000):
        for lo in (0.0, 0.9, 1.0 - 3.0 / n):
            q = rng.uniform(lo, 1.0, n).astype(np.float32)
            want = np.prod(q.astype(np.float64))
            if want > 1e-36:
                np.testing.assert_allclose(float(so.all(jnp.asarray(q))), want, rtol=2e-6)
    x = jnp.asarray(rng.uniform(0, 1, (4, 5)), jnp.float32)
    np.testing.assert_array_equal(so.all(x, axis=()), x)  # no reduction: the identity


def test_scalar_axis_and_empty_axes():
    with pytest.raises(ValueError, match="all: axis 0 is out of range for an array of rank 0"):
        so.all(jnp.float32(0.5), axis=0)
    assert float(so.all(jnp.float32(0.5))) == 0.5
    for f in (so.all, so.any):
        h = jax.hessian(lambda p, f=f: f(p, axis=1).sum())(jnp.zeros((2, 0)))
        assert h.shape == (2, 0, 2, 0)
        np.testing.assert_array_equal(f(jnp.zeros((2, 0)), axis=1), [float(f is so.all)] * 2)
