"""Family tests for the comparisons (soft booleans): ties, limits, bounds, symmetry, errors."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import softops as so
from softops._compare import ISCLOSE_MODES
from softops._families import STEP_MODES

PAIRS = {
    "greater": jnp.greater,
    "greater_equal": jnp.greater_equal,
    "less": jnp.less,
    "less_equal": jnp.less_equal,
    "equal": jnp.equal,
    "not_equal": jnp.not_equal,
}
# Edge values: ties, signed zeros, infinities, NaN, the largest finite numbers.
BIG = float(np.finfo(np.float32).max)
EDGE = np.array([0.0, -0.0, 1.0, 1.0, np.inf, -np.inf, np.nan, BIG, -BIG, 1e-30], np.float32)
A, B = np.meshgrid(EDGE, EDGE)
TEMPS = [0.0, 1e-30, 1e-3, 1.0, 1e30]
_STATIC = ("mode", "straight_through", "rtol", "atol", "equal_nan")
J = {name: jax.jit(getattr(so, name), static_argnames=_STATIC[:2]) for name in PAIRS}
J["isclose"] = jax.jit(so.isclose, static_argnames=_STATIC)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_temperature_zero_is_jnp_on_edge_values(name):
    fn, ref = getattr(so, name), PAIRS[name]
    want = np.asarray(ref(A, B)).astype(np.float32)
    np.testing.assert_array_equal(fn(A, B, temperature=0.0), want)
    traced = jax.jit(lambda t: fn(A, B, temperature=t))(jnp.float32(0.0))
    np.testing.assert_array_equal(traced, want)


@pytest.mark.parametrize("name", sorted(PAIRS))
@pytest.mark.parametrize("t", TEMPS)
def test_values_stay_in_unit_interval_and_gradients_finite(name, t):
    fn = getattr(so, name)
    out = fn(A, B, temperature=t)
    finite = np.isfinite(A) & np.isfinite(B)
    assert np.all((out >= 0) & (out <= 1))
    g = jax.grad(lambda a: jnp.sum(fn(a, B, temperature=t)))(jnp.asarray(A))
    assert np.all(np.isfinite(np.asarray(g)[finite]))


@pytest.mark.parametrize("name", sorted(PAIRS))
@pytest.mark.parametrize("mode", STEP_MODES)
def test_every_mode_stays_in_unit_interval_near_the_jump(name, mode):
    """Rounding must not push a soft boolean past 1 (4 F(u) F(-u) at u ~ eps, polynomials near 1)."""
    tiny = np.float32(np.finfo(np.float32).eps)
    a = np.concatenate([EDGE, np.float32([tiny, -tiny, 1.0 - tiny, 0.999999, 1e-7, 3e-8])])
    aa, bb = np.meshgrid(a, np.float32([0.0, 1.0, 1.19e-7, -1e-30]))
    for t in (1e-7, 1.0, 1e33, 1e38):
        out = np.asarray(J[name](aa, bb, temperature=t, mode=mode))
        assert np.all((out >= 0) & (out <= 1)), (t, out.max(), out.min())
    with jax.enable_x64(True):
        out = np.asarray(getattr(so, name)(np.float64(2.2e-16), np.float64(0.0), mode=mode))
        assert 0 <= out <= 1


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_nan_gives_the_jnp_answer_at_every_temperature(name):
    fn, ref = getattr(so, name), PAIRS[name]
    a = jnp.array([np.nan, 1.0, np.nan], jnp.float32)
    b = jnp.array([1.0, np.nan, np.nan], jnp.float32)
    for t in TEMPS:
        np.testing.assert_array_equal(fn(a, b, temperature=t), np.asarray(ref(a, b), np.float32))


def test_strict_and_non_strict_differ_only_at_zero_temperature_on_ties():
    a = jnp.array([1.0, 2.0, 3.0])
    b = jnp.array([1.0, 1.0, 4.0])
    for t in (0.3, 1.0):
        np.testing.assert_array_equal(so.greater(a, b, temperature=t), so.greater_equal(a, b, temperature=t))
        np.testing.assert_array_equal(so.less(a, b, temperature=t), so.less_equal(a, b, temperature=t))
    assert float(so.greater(1.0, 1.0, temperature=0.0)) == 0.0
    assert float(so.greater_equal(1.0, 1.0, temperature=0.0)) == 1.0
    assert float(so.greater(1.0, 1.0, temperature=0.5)) == 0.5


def test_difference_overflow_is_saturated_not_nan():
    a, b = jnp.float32(BIG), jnp.float32(-BIG)
    for t in (1.0, 1e30):
        assert float(so.greater(a, b, temperature=t)) == 1.0
        assert float(so.less(a, b, temperature=t)) == 0.0
        assert float(so.equal(a, b, temperature=t)) == 0.0
        assert np.isfinite(float(jax.grad(so.greater)(a, b, temperature=t)))


finite = st.floats(-1e6, 1e6, allow_nan=False, width=32)
temps = st.sampled_from([1e-6, 0.1, 1.0, 10.0, 1e6])
modes = st.sampled_from(STEP_MODES)


@settings(max_examples=30, deadline=None)
@given(a=finite, b=finite, t=temps, mode=modes)
def test_symmetries_and_complements(a, b, t, mode):
    a, b = np.float64(a), np.float64(b)
    with jax.enable_x64(True):
        g = float(J["greater"](a, b, temperature=t, mode=mode))
        l = float(J["less"](b, a, temperature=t, mode=mode))
        assert g == pytest.approx(l, abs=1e-12)
        assert g + float(J["less"](a, b, temperature=t, mode=mode)) == pytest.approx(1.0, abs=1e-12)
        e = float(J["equal"](a, b, temperature=t, mode=mode))
        assert e == pytest.approx(float(J["equal"](b, a, temperature=t, mode=mode)), abs=1e-12)
        assert e + float(J["not_equal"](a, b, temperature=t, mode=mode)) == pytest.approx(1.0, abs=1e-12)
        assert 0.0 <= e <= 1.0
        assert 0.0 <= g <= 1.0


@settings(max_examples=25, deadline=None)
@given(a=finite, step=st.floats(0.0, 10.0), t=temps, mode=modes)
def test_greater_is_monotone_in_a_and_equal_decreases_away_from_b(a, step, t, mode):
    with jax.enable_x64(True):
        b = np.float64(0.5)
        lo, hi = np.float64(a), np.float64(a) + step
        assert float(J["greater"](hi, b, temperature=t, mode=mode)) >= float(
            J["greater"](lo, b, temperature=t, mode=mode)
        )
        near, far = abs(lo - b), abs(lo - b) + step
        assert (
            float(J["equal"](b + far, b, temperature=t, mode=mode))
            <= float(J["equal"](b + near, b, temperature=t, mode=mode)) + 1e-15
        )


def test_equal_peaks_at_one_with_zero_slope():
    for mode in STEP_MODES:
        assert float(J["equal"](2.0, 2.0, mode=mode)) == 1.0
        # 0 analytically; f(u) F(-u) - F(u) f(-u) leaves rounding noise for gaussian
        assert abs(float(jax.jit(jax.grad(so.equal), static_argnames="mode")(2.0, 2.0, mode=mode))) < 1e-7
    # logistic: sech^2(u / 2), the logistic density scaled to peak 1
    u = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(
        J["equal"](jnp.asarray(u, jnp.float32), 0.0), 1 / np.cosh(u / 2) ** 2, rtol=1e-5
    )


@settings(max_examples=30, deadline=None)
@given(d=st.floats(-20.0, 20.0), b=st.floats(-5.0, 5.0), t=temps, mode=st.sampled_from(ISCLOSE_MODES))
def test_isclose_is_a_bounded_band_kernel(d, b, t, mode):
    with jax.enable_x64(True):
        kw = dict(atol=0.5, rtol=0.1, temperature=t, mode=mode)
        v = float(J["isclose"](b + d, b, **kw))
        inner = float(J["isclose"](b + d / 2, b, **kw))
        assert 0.0 <= v <= 1.0
        assert v <= inner + 1e-12  # decreasing in |a - b|
        assert float(J["isclose"](b, b, **kw)) == pytest.approx(1.0, abs=1e-12)


def test_isclose_limits_and_special_values():
    a = jnp.array([1.0, 1.4, 1.6, np.inf, np.inf, np.nan, np.nan])
    b = jnp.array([1.0, 1.0, 1.0, np.inf, 1.0, np.nan, 1.0])
    for equal_nan in (False, True):
        want = np.asarray(jnp.isclose(a, b, atol=0.5, rtol=0.0, equal_nan=equal_nan), np.float32)
        np.testing.assert_array_equal(
            so.isclose(a, b, atol=0.5, rtol=0.0, equal_nan=equal_nan, temperature=0.0), want
        )
        soft = so.isclose(a, b, atol=0.5, rtol=0.0, equal_nan=equal_nan, temperature=1.0)
        np.testing.assert_array_equal(soft[3:], want[3:])  # non-finite: the hard answer
    # zero tolerance: the equal kernel
    x = jnp.linspace(-3.0, 3.0, 13)
    chex.assert_trees_all_close(so.isclose(x, 0.0, atol=0.0, rtol=0.0), so.equal(x, 0.0), rtol=1e-6)
    # small temperature: 1 inside the band, 0 outside
    np.testing.assert_allclose(
        so.isclose(jnp.array([1.2, 1.9]), 1.0, atol=0.5, rtol=0.0, temperature=1e-3), [1.0, 0.0], atol=1e-6
    )


def test_broadcasting_transformations_and_dtypes():
    a = jnp.linspace(-2.0, 2.0, 5)
    t = jnp.array([0.0, 0.5, 2.0])
    out = jax.vmap(lambda t: so.greater(a, 0.0, temperature=t))(t)
    np.testing.assert_array_equal(out[0], (a > 0).astype(jnp.float32))
    chex.assert_trees_all_close(so.greater(a[None], 0.0, temperature=t[:, None]), out)
    for dtype in (jnp.float16, jnp.bfloat16, jnp.float32):
        x = a.astype(dtype)
        assert so.equal(x, x[::-1]).dtype == dtype
        assert jax.grad(lambda x: jnp.sum(so.less(x, x[::-1])).astype(jnp.float32))(x).dtype == dtype
    st_val = so.greater(a, 0.0, temperature=0.5, straight_through=True)
    np.testing.assert_array_equal(st_val, (a > 0).astype(jnp.float32))
    chex.assert_trees_all_close(
        jax.grad(lambda a: jnp.sum(so.greater(a, 0.0, temperature=0.5, straight_through=True)))(a),
        jax.grad(lambda a: jnp.sum(so.greater(a, 0.0, temperature=0.5)))(a),
    )


def test_errors_name_the_operator():
    with pytest.raises(TypeError, match="greater expects a floating-point a"):
        so.greater(jnp.arange(3), 1.0)
    with pytest.raises(ValueError, match="less: unknown mode 'x'; expected one of"):
        so.less(1.0, 2.0, mode="x")
    with pytest.raises(ValueError, match="equal expects a non-negative temperature"):
        so.equal(1.0, 2.0, temperature=-1.0)
    with pytest.raises(ValueError, match="isclose: unknown mode 'algebraic'"):
        so.isclose(1.0, 2.0, mode="algebraic")
    with pytest.raises(ValueError, match="isclose expects a non-negative atol"):
        so.isclose(1.0, 2.0, atol=-1.0)
    with pytest.raises(TypeError, match="isclose expects rtol to be a Python number"):
        so.isclose(1.0, 2.0, rtol="big")
    with pytest.raises(TypeError, match="isclose expects equal_nan to be a Python bool"):
        so.isclose(1.0, 2.0, equal_nan=1)
