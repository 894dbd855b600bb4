"""Sorting-family checks beyond the generic suite: exact hard limits in every
layout, convergence, scale, ties, NaN, dtypes, gradients, properties, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax import lax
from jax.test_util import check_grads

import softops as so
from tests.references.sorting import REFERENCES

# (rtol, atol) per purpose; one table.
TOL = {
    "f64": (1e-9, 1e-10),
    "f32": (2e-5, 2e-5),
    "half": (2e-2, 2e-2),  # float16/bfloat16 output rounding of unit-scale values
}


def normal(shape, seed=0, dtype=jnp.float32):
    return jax.random.normal(jax.random.PRNGKey(seed), shape, jnp.float32).astype(dtype)


def assert_bits(a, b):
    a, b = np.atleast_1d(np.asarray(a)), np.atleast_1d(np.asarray(b))
    assert a.dtype == b.dtype
    assert a.shape == b.shape
    np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))


# --------------------------------------------------------------------- t = 0
LAYOUTS = [((9,), -1, False), ((3, 8), -1, True), ((5, 4, 3), 1, True), ((6, 2), 0, False)]


@pytest.mark.parametrize(("shape", "axis", "descending"), LAYOUTS)
def test_temperature_zero_is_jnp_bit_for_bit(shape, axis, descending):
    x = normal(shape).at[(0,) * len(shape)].set(0.0)
    x = jnp.round(x * 2) / 2  # ties and signed zeros
    x = x.at[(-1,) * len(shape)].set(-0.0)
    t0 = jax.jit(lambda t: so.sort(x, axis=axis, descending=descending, temperature=t))(0.0)
    assert_bits(t0, jnp.sort(x, axis=axis, descending=descending))
    assert_bits(
        so.sort(x, axis=axis, descending=descending, temperature=0.0),
        jnp.sort(x, axis=axis, descending=descending),
    )
    r = so.rank(x, axis=axis, descending=descending, temperature=0.0)
    hard = jnp.argsort(jnp.argsort(x, axis=axis, descending=descending), axis=axis).astype(x.dtype)
    assert_bits(r, hard)
    p = jax.jit(lambda t: so.argsort(x, axis=axis, descending=descending, temperature=t))(0.0)
    idx = jnp.argsort(jnp.moveaxis(x, axis, -1), descending=descending)
    assert_bits(p, jax.nn.one_hot(idx, x.shape[axis], dtype=x.dtype))
    q = jnp.array([0.0, 0.3, 0.5, 1.0])
    assert_bits(
        jax.jit(lambda t: so.quantile(x, q, axis=axis, temperature=t))(0.0), jnp.quantile(x, q, axis=axis)
    )
    assert_bits(so.median(x, axis=axis, temperature=0.0), jnp.median(x, axis=axis))
    assert_bits(so.percentile(x, q * 100, axis=axis, temperature=0.0), jnp.percentile(x, q * 100, axis=axis))


def test_top_k_temperature_zero_is_lax_top_k():
    x = jnp.round(normal((4, 12)) * 2) / 2
    v, d = jax.jit(lambda t: so.top_k(x, 5, temperature=t))(0.0)
    hv, hi = lax.top_k(x, 5)
    assert_bits(v, hv)
    assert_bits(d, jax.nn.one_hot(hi, 12, dtype=x.dtype))
    m = so.top_k_mask(x, 5, temperature=0.0)
    assert_bits(m, jax.nn.one_hot(hi, 12, dtype=x.dtype).sum(-2))


# -------------------------------------------------------------- convergence
def test_converges_to_float_precision():
    x = normal((4, 1000))
    err = jnp.max(jnp.abs(so.sort(x, temperature=1e-6) - jnp.sort(x)))
    assert float(err) <= 1e-5


MONOTONE = {
    "sort": lambda x, t: so.sort(x, temperature=t),
    "rank": lambda x, t: so.rank(x, temperature=t),
    "top_k": lambda x, t: so.top_k(x, 7, temperature=t)[0],
    "top_k_mask": lambda x, t: so.top_k_mask(x, 7, temperature=t),
}


@pytest.mark.parametrize("op", sorted(MONOTONE))
def test_error_decreases_monotonically(op, x64):
    """The l2 error of each row decreases with t (the max error too, for sort), on many rows."""
    f = jax.jit(MONOTONE[op])
    x = normal((40, 25), seed=3, dtype=jnp.float64)
    x = x.at[0, :5].set(0.5)  # a row with ties
    hard = f(x, 0.0)
    errs = np.stack([np.asarray(f(x, t) - hard) for t in np.geomspace(10.0, 1e-6, 40)])  # (T, rows, n)
    l2 = np.sqrt(np.sum(errs**2, axis=-1))
    assert np.all(np.diff(l2, axis=0) <= 1e-12), "l2 error grew as t decreased"
    if op == "sort":
        assert np.all(np.diff(np.max(np.abs(errs), axis=-1), axis=0) <= 1e-12)
    assert np.max(np.abs(errs[-1][1:])) <= 1e-12  # exact once t is below every gap


@pytest.mark.parametrize("op", ["quantile", "median"])
def test_quantiles_converge_and_the_documented_non_monotone_case(op, x64):
    q = jnp.array([0.1, 0.5, 0.77])
    f = jax.jit(
        lambda x, t: so.quantile(x, q, temperature=t) if op == "quantile" else so.median(x, temperature=t)
    )
    x = normal((40, 25), seed=3, dtype=jnp.float64)
    hard = f(x, 0.0)
    for t in np.geomspace(10.0, 1e-6, 30):
        # a position of the soft sort is within (n - 1) t / 2 of its hard value
        assert float(jnp.max(jnp.abs(f(x, t) - hard))) <= 12 * t + 1e-12
    assert float(jnp.max(jnp.abs(f(x, 1e-6) - hard))) <= 1e-12
    # the docstring's example: the error grows from t = 0.3 to t = 0.2, then vanishes
    m = lambda t: float(so.median(jnp.array([-2.0, 0.5, 0.3, 0.0, -0.1]), temperature=t))
    np.testing.assert_allclose([m(0.3), m(0.2), m(0.1)], [0.025, 0.05, 0.0], atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=9, max_size=9), st.floats(0.01, 3.0))
def test_property_sort_rank_bounds(xs, t):
    x = jnp.asarray(np.array(xs, np.float32))
    n = x.shape[0]
    s, r = so.sort(x, temperature=t), so.rank(x, temperature=t)
    assert bool(jnp.all(jnp.diff(s) >= t * (1 - 1e-3) - 1e-4))  # neighbours >= t apart
    assert bool(jnp.all((r >= -1e-4) & (r <= n - 1 + 1e-4)))
    np.testing.assert_allclose(jnp.sum(r), n * (n - 1) / 2, rtol=1e-4)
    np.testing.assert_allclose(jnp.sum(s), jnp.sum(x) + t * 0, rtol=1e-4, atol=1e-3 * n * (1 + t))


# ----------------------------------------------------------------- scale
def test_no_collapse_on_outliers():
    x = jnp.array([0.0, 1.0, 2.0, 1e6])
    assert abs(float(so.sort(x, temperature=0.01)[0])) <= 0.01
    assert abs(float(so.quantile(x, 0.0, temperature=0.01))) <= 0.01
    assert abs(float(so.top_k(-x, 1, temperature=0.01)[0][0])) <= 0.01


@pytest.mark.parametrize("c", [1e-6, 1e20])
def test_relative_scale_is_scale_equivariant(c):
    x = normal((3, 50))
    base = so.sort(x, temperature=0.5, scale="relative")
    got = so.sort(x * c, temperature=0.5, scale="relative")
    np.testing.assert_allclose(got / c, base, rtol=1e-5, atol=1e-5)
    rb = so.rank(x, temperature=0.5, scale="relative")
    np.testing.assert_allclose(so.rank(x * c, temperature=0.5, scale="relative"), rb, rtol=1e-4, atol=1e-4)
    assert not np.allclose(base, jnp.sort(x))  # the option does relax


def test_huge_and_tiny_magnitudes_absolute():
    x = normal((2, 30))
    for c in (1e-20, 1e20):
        out = so.sort(x * c, temperature=0.1 * c)
        np.testing.assert_allclose(out / c, so.sort(x, temperature=0.1), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------- ties
def test_ties_share_equally():
    x = jnp.array([1.0, 3.0, 1.0, 2.0])
    g = jax.grad(lambda x: so.sort(x, temperature=0.0)[0])(x)
    np.testing.assert_array_equal(g, [0.5, 0, 0.5, 0])
    g = jax.grad(lambda x: so.sort(x, temperature=0.3)[0])(x)
    np.testing.assert_allclose(g, [0.5, 0, 0.5, 0])
    r = so.rank(x, temperature=0.3)
    assert float(r[0]) == float(r[2]) == 0.5
    np.testing.assert_array_equal(so.argsort(x, temperature=0.3)[0], [0.5, 0, 0.5, 0])
    m = so.top_k_mask(jnp.array([5.0, 1.0, 1.0, 0.0]), 2, temperature=0.1)
    np.testing.assert_allclose(m, [1, 0.5, 0.5, 0])


# -------------------------------------------------------------------- NaN
def test_nan_sorts_last_and_stays_in_its_row():
    x = normal((3, 6))
    xn = x.at[1, 2].set(jnp.nan)
    sort, rank = (
        jax.jit(lambda x, t: so.sort(x, temperature=t)),
        jax.jit(lambda x, t: so.rank(x, temperature=t)),
    )
    for t in (0.0, 0.7):
        s = sort(xn, t)
        assert bool(jnp.isnan(s[1, -1]))
        assert not bool(jnp.any(jnp.isnan(s[1, :-1])))
        np.testing.assert_array_equal(s[::2], sort(x, t)[::2])
        np.testing.assert_allclose(s[1, :-1], so.sort(jnp.delete(x[1], 2), temperature=t), rtol=1e-6)
        r = rank(xn, t)
        assert float(r[1, 2]) == 5.0
        np.testing.assert_array_equal(r[::2], rank(x, t)[::2])
        q = so.quantile(xn, 0.5, temperature=t)
        assert bool(jnp.isnan(q[1]))
        assert bool(jnp.all(jnp.isfinite(q[::2])))
        g = jax.jit(jax.grad(lambda v, t: jnp.sum(so.sort(v, temperature=t)[::2])))(xn, t)
        assert bool(jnp.all(jnp.isfinite(g)))


# ----------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_half_precision_computed_in_float32(dtype):
    x = normal((2, 20)).astype(dtype)
    for fn in (so.sort, so.rank, so.median):
        out = fn(x, temperature=0.3)
        assert out.dtype == jnp.dtype(dtype)
        ref = fn(x.astype(jnp.float32), temperature=0.3)
        np.testing.assert_allclose(out.astype(jnp.float32), ref, *TOL["half"])
    assert_bits(so.sort(x, temperature=0.0), jnp.sort(x))


# -------------------------------------------------------------- gradients
@pytest.mark.parametrize(
    "fn",
    [
        lambda x, t: so.sort(x, axis=0, temperature=t),
        lambda x, t: so.sort(x, descending=True, temperature=t, scale="relative"),
        lambda x, t: so.rank(x, axis=0, descending=True, temperature=t),
        lambda x, t: so.top_k_mask(x, 2, temperature=t),
        lambda x, t: so.top_k(x, 2, temperature=t)[0],
        lambda x, t: so.quantile(x, jnp.array([0.2, 0.6]), axis=0, temperature=t),
    ],
)
def test_gradients_match_finite_differences(fn, x64):
    x = normal((5, 4), seed=7, dtype=jnp.float64) * 2
    check_grads(jax.jit(fn), (x, jnp.float64(0.6)), order=1, modes=("fwd", "rev"), atol=1e-6, rtol=1e-6)
    # Piecewise linear: the Hessian of sum(f^2) is 2 J^T J (f'' = 0 between the kinks).
    jac = jax.jit(jax.jacfwd(lambda x: fn(x, 0.6).reshape(-1)))(x).reshape(-1, x.size)
    hess = jax.jit(jax.hessian(lambda x: jnp.sum(fn(x, 0.6) ** 2)))(x).reshape(x.size, x.size)
    np.testing.assert_allclose(hess, 2 * jac.T @ jac, atol=1e-9)


def test_sort_by_gradient_is_the_soft_permutation(x64):
    key = normal((6,), seed=1, dtype=jnp.float64)
    v = normal((6,), seed=2, dtype=jnp.float64)
    p = so.argsort(key, temperature=1.0)
    np.testing.assert_allclose(so.sort_by(v, key, temperature=1.0), p @ v, *TOL["f64"])
    np.testing.assert_allclose(
        jax.jit(jax.jacrev(lambda v: so.sort_by(v, key, temperature=1.0)))(v), p, *TOL["f64"]
    )
    np.testing.assert_allclose(
        jax.jit(jax.jacfwd(lambda x: so.sort(x, temperature=1.0)))(key), p, *TOL["f64"]
    )


# ------------------------------------------------------------ properties
def test_soft_permutation_and_mask_properties():
    x = normal((3, 30))
    p = so.argsort(x, temperature=0.3)
    np.testing.assert_allclose(p.sum(-1), 1, *TOL["f32"])
    np.testing.assert_allclose(p.sum(-2), 1, *TOL["f32"])
    v, d = so.top_k(x, 4, temperature=0.3)
    assert v.shape == (3, 4)
    assert d.shape == (3, 4, 30)
    np.testing.assert_allclose(d.sum(-1), 1, *TOL["f32"])
    m = so.top_k_mask(x, 4, temperature=0.3)
    np.testing.assert_allclose(m.sum(-1), 4, *TOL["f32"])
    assert bool(jnp.all((m >= 0) & (m <= 1 + 1e-6)))


def test_matches_reference_in_other_layouts(x64):
    x = normal((4, 6), seed=5, dtype=jnp.float64)
    got = so.sort(x, axis=0, temperature=0.8)
    want = REFERENCES["sort"]((np.asarray(x).T,), {}, 0.8, "l2").T
    np.testing.assert_allclose(got, want, *TOL["f64"])
    got = so.sort(x, descending=True, temperature=0.8)
    np.testing.assert_allclose(got, -REFERENCES["sort"]((-np.asarray(x),), {}, 0.8, "l2"), *TOL["f64"])
    t = jnp.array([[0.1], [0.5], [1.0], [3.0]])  # one temperature per row
    got = so.rank(x, temperature=t)
    for i in range(4):
        want = REFERENCES["rank"]((np.asarray(x[i]),), {}, float(t[i, 0]), "l2")
        np.testing.assert_allclose(got[i], want, *TOL["f64"])


def test_no_quadratic_intermediate():
    n = 3000
    x = normal((1, n))
    for f in (
        lambda x: so.sort(x, temperature=0.1),
        lambda x: so.rank(x, temperature=0.1),
        lambda x: so.top_k(x, 3, temperature=0.1)[0],
        lambda x: so.top_k_mask(x, 3, temperature=0.1),
        lambda x: so.quantile(x, 0.3, temperature=0.1),
    ):
        jaxpr = jax.make_jaxpr(jax.grad(lambda x, f=f: jnp.sum(f(x))))(x)
        sizes = [int(np.prod(v.aval.shape)) for eqn in jaxpr.eqns for v in eqn.outvars]
        assert max(sizes) < 4 * n * 3, max(sizes)


def test_large_row_matches_reference_pav(x64):
    x = normal((2, 5000), seed=9, dtype=jnp.float64)
    s = jax.jit(lambda x: so.sort(x, temperature=0.01))(x)  # (eagerly, each op compiles on its own)
    assert bool(jnp.all(jnp.diff(s) >= 0.01 * (1 - 1e-9)))
    # optimality: s is the projection of sort(x) onto {gaps >= t}; KKT via isotonic of y
    from tests.test_isotonic import numpy_pav

    xs = np.sort(np.asarray(x), -1)
    w = np.arange(5000)
    want = np.stack([0.01 * w + numpy_pav(r - 0.01 * w) for r in xs])
    np.testing.assert_allclose(s, want, *TOL["f64"])


# --------------------------------------------------------------- errors
def test_errors():
    x = normal((2, 5))
    with pytest.raises(ValueError, match="top_k: k must satisfy"):
        so.top_k(x, 6)
    with pytest.raises(TypeError, match="top_k expects a static integer k"):
        so.top_k(x, 2.0)
    with pytest.raises(ValueError, match="top_k_mask: k must satisfy"):
        so.top_k_mask(x, -1)
    with pytest.raises(TypeError, match="quantile expects a floating-point q"):
        so.quantile(x, jnp.int32(1))
    with pytest.raises(ValueError, match="sort: unknown scale"):
        so.sort(x, scale="log")
    with pytest.raises(ValueError, match="rank expects x with at least one dimension"):
        so.rank(jnp.float32(1.0))
    with pytest.raises(ValueError, match="sort: axis 2 is out of range"):
        so.sort(x, axis=2)
    with pytest.raises(ValueError, match="argsort: temperature of shape"):
        so.argsort(x, temperature=jnp.ones(5))
    with pytest.raises(ValueError, match="sort_by expects values of the key's shape"):
        so.sort_by(x[:, :4], x)
    with pytest.raises(TypeError, match="sort_by expects a floating-point key"):
        so.sort_by(x, x.astype(jnp.int32))
    with pytest.raises(ValueError, match="median: unknown mode"):
        so.median(x, mode="entropic")
    with pytest.raises(TypeError, match="sort expects descending to be a Python bool"):
        so.sort(x, descending=1)


def test_rank_when_t_times_n_exceeds_the_largest_float():
    x = normal((1000,), seed=1)
    np.testing.assert_allclose(so.rank(x * 1e36, temperature=1e36), so.rank(x, temperature=1.0), atol=1e-3)
    r = so.rank(jnp.array([3e38, -3e38, 1e38, 2e38, 3.4e38]), temperature=1e38)
    np.testing.assert_allclose(r, [3.15, 0.0, 1.15, 2.15, 3.55], rtol=1e-5)
    m = so.top_k_mask(x * 1e36, 10, temperature=1e36)
    np.testing.assert_allclose(m, so.top_k_mask(x, 10, temperature=1.0), atol=1e-3)


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4)])
def test_empty_axes(shape):
    x = jnp.zeros(shape)
    n = shape[-1]
    for t in (0.0, 1.0):
        assert so.sort(x, temperature=t).shape == shape
        assert so.rank(x, temperature=t).shape == shape
        assert so.top_k_mask(x, 0, temperature=t).shape == shape
        assert so.sort_by(x, x, temperature=t).shape == shape
        assert so.argsort(x, temperature=t).shape == shape[:-1] + (n, n)
    if n == 0:
        with pytest.raises(ValueError, match="quantile: cannot take a quantile over the empty axis"):
            so.quantile(x, 0.5)


def test_quantile_accepts_q_of_any_shape():
    x = normal((3, 9), seed=2)
    q = jnp.array([[0.1, 0.5], [0.9, 0.3]])
    hard = so.quantile(x, q, temperature=0.0)
    assert_bits(hard, jnp.quantile(x, q.reshape(-1), axis=-1).reshape(2, 2, 3))
    assert so.quantile(x, q, temperature=0.2).shape == (2, 2, 3)


def test_relative_scale_ignores_one_outlier_among_four():
    s = so.sort(jnp.array([0.0, 1.0, 2.0, 1e6]), temperature=0.01, scale="relative")
    np.testing.assert_allclose(s, [0.0, 1.0, 2.0, 1e6], atol=0.01)


def test_top_k_ranks_a_sign_bit_nan_lowest_as_lax_top_k_at_every_temperature():
    """x86 arithmetic makes NaN with the sign bit set (inf - inf, 0 / 0);
    lax.top_k ranks it below -inf while lax.sort puts every NaN last. The soft
    path follows lax.top_k, so t -> 0 meets t = 0 and straight-through pairs
    the hard values with the gradients of the same elements."""
    neg_nan = (jnp.array([jnp.inf]) - jnp.inf)[0]
    x = jnp.array([1.0, 0.0, 0.5, -1.0]).at[1].set(neg_nan)
    assert bool(jnp.signbit(x[1]))
    for k in (1, 2, 4):
        hv, hi = lax.top_k(x, k)
        for t in (0.0, 1e-6):
            v, d = so.top_k(x, k, temperature=t)
            np.testing.assert_array_equal(v, hv)
            np.testing.assert_array_equal(d, jax.nn.one_hot(hi, 4))
            np.testing.assert_array_equal(
                so.top_k_mask(x, k, temperature=t), jnp.sum(jax.nn.one_hot(hi, 4), 0)
            )
    g = jax.grad(lambda x: so.top_k(x, 2, temperature=0.0)[0][1])(x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0, 0.0])
    g = jax.grad(lambda x: so.top_k(x, 2, temperature=0.1, straight_through=True)[0][0])(x)
    assert float(g[0]) > 0.5
    assert float(g[1]) == 0.0


def test_an_infinite_effective_temperature_is_the_large_temperature_limit():
    x = jnp.array([0.3, -1.0, 2.0, 0.5, 1.0])
    limit = so.rank(x, temperature=3e38)
    np.testing.assert_allclose(limit, jnp.full(5, 2.0))
    for got in (
        so.rank(x, temperature=jnp.inf),
        so.rank(x * 1e9, temperature=1e30, scale="relative"),  # t * spread overflows
        so.rank(x, temperature=1e30, scale="relative"),
    ):
        np.testing.assert_allclose(got, limit)
    np.testing.assert_allclose(so.top_k_mask(x, 2, temperature=jnp.inf), jnp.full(5, 0.4), rtol=1e-6)
    assert float(jax.grad(lambda t: so.rank(x, temperature=t)[0])(jnp.float32(jnp.inf))) == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sorting_keys_follow_jnp_argsort_and_lax_top_k(dtype):
    """The soft path sorts integer keys with the indices. Their order is the
    stable ``jnp.argsort`` order (``-0 == +0``; NaN last, all NaN tied) or
    ``lax.top_k``'s (``-NaN < -inf < ... < -0 < +0 < ... < inf < NaN``), ties
    by index, on rows full of repeats, signed zeros, subnormals, infinities
    and NaN of both signs with several payloads."""
    from softops._sorting import _order_key

    with jax.enable_x64(dtype == np.float64):
        rng = np.random.default_rng(0)
        tiny = np.finfo(dtype).smallest_subnormal
        special = np.array([0.0, -0.0, tiny, -tiny, 1.0, -1.0, np.inf, -np.inf, np.nan, -np.nan], dtype)
        itype = np.int64 if dtype == np.float64 else np.int32
        payload = (np.array([np.nan], dtype).view(itype) | 5).view(dtype)  # another quiet NaN
        special = np.concatenate([special, payload, -payload])
        rows = np.stack([rng.choice(special, 64) for _ in range(8)] + [rng.normal(size=64).astype(dtype)])
        rows[-1, ::7] = rows[-1, 3]  # ties among ordinary values
        x = jnp.asarray(rows)
        stable = lambda key: jnp.argsort(key, axis=-1, stable=True)
        np.testing.assert_array_equal(stable(_order_key(x, False)), jnp.argsort(x, axis=-1, stable=True))
        # lax.top_k's descending order, ties by index: a stable ascending sort of
        # the reversed row, read backwards
        top = lax.top_k(x, x.shape[-1])[1]
        rev = x.shape[-1] - 1 - stable(_order_key(x[:, ::-1], True))[:, ::-1]
        np.testing.assert_array_equal(rev, top)


def test_quantile_derivative_in_q_at_grid_points_is_the_smaller_one_sided_slope(x64):
    """At q (n - 1) = i, 0 < i < n - 1, the interpolation has a kink in q; the
    derivative there is the minimum-norm element of [left, right] (both one-sided
    slopes are >= 0), checked against one-sided differences; elsewhere the slope."""
    x = jnp.asarray([3.0, 0.0, 8.0, 1.0, 7.0])  # sorted: 0 1 3 7 8, grid q = k / 4
    for t in (0.0, 0.01):
        f = lambda q, t=t: so.quantile(x, q, temperature=t)  # noqa: E731
        for q in (0.25, 0.5, 0.75, 0.3, 0.6):
            h = 1e-7
            left = (f(q) - f(q - h)) / h
            right = (f(q + h) - f(q)) / h
            want = min(float(left), float(right))
            np.testing.assert_allclose(jax.grad(f)(q), want, rtol=1e-6, err_msg=f"q={q} t={t}")
            np.testing.assert_allclose(jax.jacfwd(f)(q), want, rtol=1e-6, err_msg=f"q={q} t={t}")
        np.testing.assert_allclose(
            jax.grad(lambda p, t=t: so.percentile(x, p, temperature=t))(50.0), 2.0 * 4 / 100, rtol=1e-9
        )


def test_sorting_keys_under_debug_nans_and_for_constants_inside_jit():
    """The keys make no NaN of their own (jax_debug_nans stays quiet on NaN-free
    input), and a constant row inside jit ties subnormals with zero where the
    platform's sort does (XLA folds constants without flushing them)."""
    with jax.debug_nans(True):
        x = jnp.array([3.0, 1.0, 2.0])
        np.testing.assert_array_equal(so.rank(x, temperature=0.0), [2.0, 0.0, 1.0])
        so.argsort(x, temperature=0.0)
        so.sort_by(x, x, temperature=0.0)
    x = jnp.array([0.0, -0.0, 1e-40, -1e-40, 0.0, -0.0, 1.0])
    want = jnp.argsort(x, stable=True)
    perm = jax.jit(lambda t: jnp.argmax(so.argsort(x, temperature=t), -1))(0.0)
    np.testing.assert_array_equal(perm, want)
    np.testing.assert_array_equal(jax.jit(lambda t: so.rank(x, temperature=t))(0.0), jnp.argsort(want))
