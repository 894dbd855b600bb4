"""Family-specific checks for the elementwise, rounding and safe operators (issue: foundation)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import checkify

import softops as so
from softops._families import SMOOTH_MODES, family

X = jnp.linspace(-4.0, 4.0, 81)
EXTREME_T = (0.0, 1e-30, 1e-3, 1.0, 1e30)


# float32 comparisons of two formulas for the same function: a few ULPs apart.
RTOL, ATOL = 1e-5, 1e-6


def test_default_relaxations_are_the_textbook_functions():
    np.testing.assert_allclose(so.relu(X), jax.nn.softplus(X), rtol=RTOL)
    np.testing.assert_allclose(so.heaviside(X), jax.nn.sigmoid(X), rtol=RTOL)
    np.testing.assert_allclose(so.abs(X), jnp.sqrt(1 + X**2) - 1, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("t", [0.1, 0.5, 3.0])
def test_temperature_rescales_the_default_relaxation(t):
    np.testing.assert_allclose(so.relu(X, temperature=t), t * so.relu(X / t), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(so.abs(X, temperature=t), t * so.abs(X / t), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(so.heaviside(X, temperature=t), so.heaviside(X / t), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(so.sign(X, temperature=t), so.sign(X / t), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("t", EXTREME_T)
def test_clip_and_round_stay_exact_for_large_inputs(t):
    big = jnp.array([1e10, -1e10, 3e38, -3e38])
    np.testing.assert_array_equal(so.clip(big, -1.0, 1.0, temperature=t), jnp.array([1.0, -1.0, 1.0, -1.0]))
    np.testing.assert_array_equal(so.round(big, temperature=t), big)
    np.testing.assert_array_equal(so.floor(big, temperature=t), big)
    np.testing.assert_array_equal(so.ceil(big, temperature=t), big)
    if t <= 1.0:  # (the soft maximum itself grows like t log 2 at huge temperatures)
        np.testing.assert_array_equal(so.maximum(big, 0.0, temperature=t), jnp.maximum(big, 0.0))


def test_ramp_abs_is_the_huber_function():
    t = 0.7
    huber = jnp.where(jnp.abs(X) <= t, X**2 / (2 * t), jnp.abs(X) - t / 2)
    np.testing.assert_allclose(so.abs(X, temperature=t, mode="ramp"), huber, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode", ["ramp", "cubic", "quintic"])
def test_compact_modes_equal_the_hard_operator_outside_the_band(mode):
    t = 0.5
    out = jnp.abs(X) > t
    for op in (so.relu, so.heaviside, so.sign):
        np.testing.assert_array_equal(op(X, temperature=t, mode=mode)[out], op(X, temperature=0.0)[out])
    clip_out = (jnp.abs(X - 1) > t) & (jnp.abs(X + 1) > t)
    np.testing.assert_array_equal(
        so.clip(X, -1.0, 1.0, temperature=t, mode=mode)[clip_out], jnp.clip(X, -1.0, 1.0)[clip_out]
    )
    cells = jnp.abs(X - jnp.floor(X) - 0.5) > t / 2  # t/2 <= 1/2: band inside each cell
    np.testing.assert_allclose(so.round(X, temperature=t / 2, mode=mode)[cells], jnp.round(X)[cells])


@pytest.mark.parametrize("mode", SMOOTH_MODES)
def test_soft_values_stay_in_their_ranges(mode):
    for t in EXTREME_T:
        h = so.heaviside(X * 1e3, temperature=t, mode=mode)
        assert bool(jnp.all((h >= 0) & (h <= 1)))
        c = so.clip(X, -1.0, 1.0, temperature=t, mode=mode)
        assert bool(jnp.all((c >= -1) & (c <= 1)))
        assert bool(jnp.all(so.relu(X, temperature=t, mode=mode) >= jax.nn.relu(X)))
        assert bool(jnp.all(so.abs(X, temperature=t, mode=mode) <= jnp.abs(X)))


def test_heaviside_value_at_zero_is_a_keyword():
    assert float(so.heaviside(0.0, temperature=0.0)) == 0.5
    assert float(so.heaviside(0.0, temperature=0.0, at_zero=1.0)) == 1.0
    assert float(so.heaviside(0.0, temperature=0.0, at_zero=0.0)) == 0.0


def test_round_tends_to_the_identity_at_large_temperature():
    np.testing.assert_allclose(so.round(X, temperature=1e6), X, atol=1e-5)
    np.testing.assert_allclose(so.floor(X, temperature=1e6), X - 0.5, atol=1e-5)


def test_ramp_straight_through_round_is_the_identity_estimator():
    g = jax.vmap(jax.grad(lambda x: so.round(x, temperature=0.5, mode="ramp", straight_through=True)))(X)
    np.testing.assert_allclose(g, 1.0, rtol=1e-6)


def test_safe_operators_have_finite_gradients_where_jnp_does_not():
    zero = jnp.zeros(3)
    assert bool(jnp.all(jnp.isnan(jax.grad(jnp.linalg.norm)(zero))))  # what users hit with jnp
    np.testing.assert_array_equal(jax.grad(so.norm)(zero, temperature=0.0), zero)
    assert jnp.isinf(jax.grad(jnp.sqrt)(0.0))
    assert float(jax.grad(so.sqrt)(0.0, temperature=0.0)) == 0.0
    assert float(jax.grad(so.log)(0.0, temperature=0.0)) == 0.0
    assert float(so.log(0.0, temperature=0.0)) == -np.inf  # jnp's value is kept
    ga, gb = jax.grad(so.divide, argnums=(0, 1))(1.0, 0.0, temperature=0.0)
    assert float(ga) == 0.0
    assert float(gb) == 0.0
    # relaxed: smooth through the singular point
    np.testing.assert_allclose(jax.grad(so.sqrt)(0.0, temperature=0.5), 1.0)
    np.testing.assert_allclose(jax.hessian(lambda v: so.norm(v, temperature=0.5))(zero), jnp.eye(3) / 0.5)
    assert float(so.divide(1.0, 0.0)) == 0.0


def test_safe_operators_keep_jnp_values_on_their_domain():
    x = jnp.array([0.0, 0.25, 4.0, 1e30])
    np.testing.assert_array_equal(so.sqrt(x, temperature=0.0), jnp.sqrt(x))
    np.testing.assert_array_equal(so.log(x, temperature=0.0), jnp.log(x))
    assert bool(jnp.isnan(so.sqrt(-1.0, temperature=0.3)))
    assert bool(jnp.isnan(so.log(-1.0)))


def test_traced_negative_temperature_is_clamped_and_checkable():
    f = jax.jit(lambda t: so.relu(X, temperature=t))
    np.testing.assert_array_equal(f(-1.0), jax.nn.relu(X))
    checked = jax.jit(checkify.checkify(lambda t: so.relu(X, temperature=so.check_temperature(t))))
    err, _ = checked(-1.0)
    with pytest.raises(checkify.JaxRuntimeError, match="non-negative"):
        err.throw()
    err, out = checked(0.5)
    err.throw()
    # a traced temperature against a concrete one: two programs, equal to an ulp
    np.testing.assert_allclose(out, so.relu(X, temperature=0.5), rtol=1e-6)


def test_validation_messages_name_the_problem():
    with pytest.raises(ValueError, match="lower <= upper"):
        so.clip(X, 1.0, -1.0)
    with pytest.raises(ValueError, match="outside the subdifferential"):
        so.relu(X, subgradient=2.0)
    with pytest.raises(TypeError, match="subgradient"):
        so.relu(X, subgradient=True)
    with pytest.raises(TypeError, match="relu expects a floating-point x, got int32"):
        so.relu(jnp.arange(3))
    with pytest.raises(ValueError, match="'logistic', 'algebraic'"):
        so.abs(X, mode="softplus")
    with pytest.raises(ValueError, match="expected one of 'algebraic'"):
        so.sqrt(X, mode="logistic")
    with pytest.raises(TypeError, match="norm expects an integer axis"):
        so.norm(X, axis=1.5)
    with pytest.raises(ValueError, match="out of range"):
        so.norm(X, axis=3)


def test_clip_with_one_bound_uses_clips_rule_at_the_bound():
    assert float(jax.grad(so.clip)(1.0, None, 1.0, temperature=0.0)) == 0.0
    assert float(jax.grad(so.clip)(-1.0, -1.0, None, temperature=0.0)) == 0.0
    np.testing.assert_array_equal(so.clip(X, None, 1.0, temperature=0.0), jnp.clip(X, None, 1.0))
    np.testing.assert_array_equal(so.clip(X, temperature=0.3), X)
    # derivative w.r.t. the bound is 1 minus the derivative w.r.t. x at the tie
    gx, glo, ghi = jax.grad(so.clip, argnums=(0, 1, 2))(-1.0, -1.0, 1.0, temperature=0.0)
    assert (float(gx), float(glo), float(ghi)) == (0.0, 1.0, 0.0)


def test_maximum_tie_split_and_temperature_derivative_at_zero():
    ga, gb = jax.grad(so.maximum, argnums=(0, 1))(2.0, 2.0, temperature=0.0)
    assert float(ga) == float(gb) == 0.5
    # d/dt at t = 0 is the limit from above: S(0) = log 2 at a tie (logistic), 0 elsewhere
    np.testing.assert_allclose(jax.grad(lambda t: so.maximum(2.0, 2.0, temperature=t))(0.0), np.log(2.0))
    assert float(jax.grad(lambda t: so.maximum(2.0, 3.0, temperature=t))(0.0)) == 0.0


@pytest.mark.parametrize("mode", ["logistic", "algebraic", "gaussian", "ramp", "cubic", "quintic"])
def test_staircases_hit_their_cell_ends_exactly(mode):
    # The per-temperature normaliser is folded on the host for a constant t and
    # computed by XLA's kernels otherwise; either way integers stay integers.
    x = jnp.arange(-20.0, 21.0)
    for t in (0.05, 0.3, 1.0, 3.0):
        constant = jax.jit(lambda x, t=t: so.round(x, temperature=t, mode=mode))
        traced = jax.jit(lambda x, t: so.round(x, temperature=t, mode=mode))
        np.testing.assert_array_equal(constant(x), x)
        np.testing.assert_array_equal(traced(x, t), x)
        np.testing.assert_array_equal(so.floor(x + 0.5, temperature=t, mode=mode), x)
        np.testing.assert_array_equal(so.ceil(x - 0.5, temperature=t, mode=mode), x)
    # the exact value at the ends comes with the kernel's slope there, not the hard one's
    for fn in (so.round, so.floor):
        slope = jax.jit(jax.vmap(jax.grad(lambda x, fn=fn: fn(x, temperature=1.0, mode=mode))))
        end, near = slope(jnp.array([3.0, 3.5])), slope(jnp.array([3.001, 3.499]))
        np.testing.assert_allclose(end, near, rtol=2e-2)
        assert np.all(end > 0.1)


@pytest.mark.parametrize("mode", ["ramp", "cubic", "quintic", "algebraic"])
def test_a_constant_temperature_gives_the_traced_staircase(mode):
    """A compact mode at a constant ``t <= 1/2`` reaches its cell ends exactly
    and leaves only +-inf and NaN to the select; a traced ``t`` keeps the select
    on the ends too. Both are exact on the ends, on integers beyond 2**23 (where
    ``m + 1/2`` rounds) and on the non-finite lanes; elsewhere they are two
    programs (the normaliser folded on the host or not), equal to an ulp of the
    step. Next to a cell end, where ``x - floor(x)`` rounds onto it (``x = +-1e-30``), the
    constant one gives the step's 0 and the traced one ``x`` itself."""
    big = np.float32(2**24 + 2)
    # cell ends of round (integers), shifted by ``at`` onto those of floor and ceil
    odd = np.float32(2**23 + 1)  # m + 1/2 is a tie there, rounded to even
    ends = np.float32([0.0, 3.0, -7.0, odd, -odd, big, -big, big + 1, 3e38, -3e38, np.inf, -np.inf, np.nan])
    inside = np.float32([0.3, -1.7, 0.5, 2.5, 0.45, 0.55, -3.2, 1e-30, -1e-30])
    x = np.concatenate([ends, inside])
    for fn, hard, at in ((so.round, np.round, 0.0), (so.floor, np.floor, 0.5), (so.ceil, np.ceil, -0.5)):
        want = hard(ends + np.float32(at))  # the staircase's value on its cell ends
        for t in (0.05, 0.25, 0.5, 0.7):
            constant = jax.jit(lambda x, fn=fn, t=t: fn(x, temperature=t, mode=mode))
            traced = jax.jit(lambda x, t, fn=fn: fn(x, temperature=t, mode=mode))
            got_c, got_t = np.asarray(constant(x + np.float32(at))), np.asarray(traced(x + np.float32(at), t))
            for got in (got_c, got_t):
                np.testing.assert_array_equal(got[: len(ends)], want, err_msg=f"{fn.__name__} {t}")
            # (the step is formed at the scale of 1/2: an ulp of 1/2 absolute)
            np.testing.assert_allclose(got_c, got_t, rtol=2**-22, atol=2**-24, err_msg=f"{fn.__name__} {t}")


@pytest.mark.parametrize("mode", ["logistic", "algebraic", "gaussian", "ramp", "cubic", "quintic"])
def test_staircase_temperature_gradient_ignores_non_finite_entries(mode):
    """The per-temperature staircase evaluates its kernel on every lane; a lane
    whose x is +-inf or NaN takes x, and adds nothing to d/dt of a sum."""
    finite = np.float32([0.3, -1.7, 2.5, 4.0])
    x = np.concatenate([finite, np.float32([np.inf, -np.inf, np.nan])])
    for fn in (so.round, so.floor, so.ceil):
        out = fn(x, temperature=0.4, mode=mode)
        np.testing.assert_array_equal(out[4:6], [np.inf, -np.inf])
        assert np.isnan(out[6])
        g = jax.grad(lambda t, fn=fn: jnp.sum(fn(x[:6], temperature=t, mode=mode)))(np.float32(0.4))
        want = jax.grad(lambda t, fn=fn: jnp.sum(fn(finite, temperature=t, mode=mode)))(np.float32(0.4))
        np.testing.assert_allclose(g, want, rtol=1e-6)
        gx = jax.grad(lambda x, fn=fn: jnp.sum(fn(x, temperature=0.4, mode=mode)))(x)
        np.testing.assert_array_equal(gx[4:], 0.0)


@pytest.mark.parametrize("mode", ["logistic", "gaussian"])
def test_staircase_kernel_derivatives_to_second_order(mode, x64):
    """The logistic and gaussian staircases are one custom-JVP kernel, their
    slope and d/dt written out. Against autodiff of the textbook formula
    m + 1/2 + odd(r / t) / (2 odd(1 / (2 t))): values, first and second
    derivatives in x and t, for a traced scalar temperature and an array of
    them; exactly 0 derivatives at +-inf and below the smallest temperature;
    slope 1 and d/dt 0 at linear temperatures (above 1e8 in float64)."""
    odd = {
        "logistic": lambda u: 0.5 * jnp.tanh(0.5 * u),
        "gaussian": lambda u: 0.5 * jax.scipy.special.erf(u / np.sqrt(2.0)),
    }[mode]
    # (floor and ceil share the kernel with another cell; the generic tests check them)
    x = np.array([-2.3, -0.9, -0.3, 0.2, 0.45, 1.7, 3.1])

    def ref(x, t):
        m = jnp.floor(x)
        return m + 0.5 + odd((x - m - 0.5) / t) / (2.0 * odd(0.5 / t))

    def f(x, t):
        return so.round(x, temperature=t, mode=mode)

    paths = (f, lambda x, t: so.round(x, temperature=jnp.reshape(t, (1,)), mode=mode)[0], ref)
    derivs = jax.jit(
        lambda x, t: [(g(x, t), d(g, (0, 1))(x, t)) for g in paths for d in (jax.jacfwd, jax.hessian)]
    )
    derivs = jax.vmap(derivs, (0, None))
    for t in (0.05, 0.3, 2.0):
        out = derivs(x, t)
        *ours, want = [jax.tree.leaves(out[2 * i : 2 * i + 2]) for i in range(3)]
        for got in ours:
            for a, b in zip(got, want, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11 * np.max(np.abs(b)))
    d1 = jax.jit(jax.vmap(jax.jacfwd(f, (0, 1)), (0, None)))
    d2 = jax.jit(jax.vmap(jax.hessian(f, (0, 1)), (0, None)))
    inf = np.array([np.inf, -np.inf])
    for t in (0.3, 1e-200):
        for d in jax.tree.leaves((d1(inf, t), d2(inf, t), d1(x, 1e-200), d2(x, 1e-200))):
            np.testing.assert_array_equal(d, 0.0)
    np.testing.assert_allclose(f(x, 1e9), x, atol=1e-15)
    # float32, |r / t| ~ 1e13: the density's derivatives meet powers of 1 / t
    h = jax.jit(jax.hessian(f, (0, 1)))(np.float32(0.3), np.float32(1e-14))
    assert np.all(np.isfinite(jax.tree.leaves(h)))
    (gx, gt), h = d1(x, 1e9), d2(x, 1e9)
    np.testing.assert_array_equal(gx, 1.0)
    np.testing.assert_array_equal(gt, 0.0)
    np.testing.assert_array_equal(jax.tree.leaves(h), 0.0)


@pytest.mark.parametrize("mode", ["logistic", "algebraic", "gaussian", "cubic", "triangular"])
def test_steps_beyond_the_saturation_bound(mode):
    """Where x / t overflows or passes the bound, steps keep their hard limits,
    and their second derivatives (forward over forward too) stay finite: a
    kernel that scales without clamping must not meet inf * 0 there."""
    x = np.float32([1e20, -1e20, 3e38, -3e38])
    for t in (1e-17, 1e-5, 0.5):
        np.testing.assert_array_equal(so.sign(x, temperature=t, mode=mode), [1, -1, 1, -1])
        np.testing.assert_array_equal(so.heaviside(x, temperature=t, mode=mode), [1, 0, 1, 0])
        np.testing.assert_array_equal(so.not_equal(x, 0.25, temperature=t, mode=mode), 1.0)
        for fn in (so.heaviside, so.sign, lambda x, **k: so.equal(x, 0.25, **k)):
            f = lambda x, t, fn=fn: fn(x, temperature=t, mode=mode)  # noqa: E731
            for h in (jax.jacfwd(jax.jacfwd(f)), jax.hessian(f), jax.jacfwd(jax.jacfwd(f, 1), 1)):
                assert np.all(np.isfinite(jax.vmap(h, (0, None))(x, np.float32(t)))), (fn, t)


def test_derivatives_far_beyond_the_saturation_bound(x64):
    """Where |x / t| is far beyond the saturation bound the derivatives are the
    hard operator's: the algebraic density clamps its argument (to 1e18), so
    its tail there, times 1 / t, would be a huge wrong slope, and its own
    derivative would be 0 * inf in float32."""
    grad = jax.jit(jax.grad(lambda x: so.heaviside(x, temperature=1e-140, mode="algebraic")))(0.3)
    assert float(grad) == 0.0
    g = jax.jit(
        jax.grad(
            lambda c: jnp.sum(
                so.greater(jnp.array([-5.0, 2.0, 7.0]), c, temperature=1e-100, mode="algebraic")
            )
        )
    )(0.0)
    assert float(g) == 0.0
    assert float(jax.jit(jax.hessian(lambda x: so.relu(x, temperature=1e-100, mode="algebraic")))(0.3)) == 0.0
    for mode in ("algebraic", "logistic"):
        h = jax.jit(jax.hessian(lambda x, mode=mode: so.heaviside(x, temperature=1e-15, mode=mode)))(
            np.float32(3.0)
        )
        assert float(h) == 0.0


def test_staircase_derivatives_at_infinities_and_integers():
    """+-inf has slope 0 at every temperature, linear ones included; d/dt at a
    cell end (an integer, for round) is exactly 0 in the kernel modes, so a
    temperature gradient over many integers does not drift."""
    inf = np.float32([np.inf, -np.inf])
    ints = jnp.arange(-5000.0, 5000.0, dtype=jnp.float32)
    for mode in ("logistic", "algebraic", "ramp"):
        slope = jax.jit(
            jax.vmap(jax.grad(lambda x, t, mode=mode: so.round(x, temperature=t, mode=mode)), (0, None))
        )
        for t in (0.3, 1e5):
            np.testing.assert_array_equal(slope(inf, np.float32(t)), 0.0)
    # (the algebraic staircase's d/dt at an integer is 0 to an ulp of its two
    # terms, which reverse mode sums over the lanes separately: ~5e-8 each)
    for mode in ("logistic", "gaussian", "ramp"):
        gt = jax.grad(lambda t, mode=mode: jnp.sum(so.round(ints, temperature=t, mode=mode)))(np.float32(0.3))
        assert float(gt) == 0.0


def test_temperatures_beyond_one_over_tiny_keep_their_value():
    # 1 / t is subnormal there; the kernels' x / t must still be x / t.
    big = np.float32(1e38)
    # (relu-like operators cap t at 1 / tiny = 2**126 = 8.5e37, just above 8e37)
    near = np.float32(8e37)
    x, t = float(np.float32(8e35)), float(near)
    want = x * x / (np.hypot(x, t) + t)
    np.testing.assert_allclose(so.abs(np.float32(8e35), temperature=near), want, rtol=1e-6)
    np.testing.assert_allclose(
        jax.grad(lambda x: so.abs(x, temperature=near))(np.float32(8e35)), 0.01, rtol=1e-3
    )
    np.testing.assert_array_equal(
        so.abs(np.float32(1e36), temperature=big), so.abs(np.float32(1e36), temperature=2.0**126)
    )
    np.testing.assert_allclose(so.heaviside(big, temperature=big), jax.nn.sigmoid(1.0), rtol=1e-6)
    np.testing.assert_allclose(
        so.greater(np.float32(3e38), 0.0, temperature=3e38), jax.nn.sigmoid(1.0), rtol=1e-6
    )
    assert float(so.greater(np.float32(3e38), 0.5, temperature=np.inf)) == 0.5
    # (x / t is below 1e-19 at t = inf: sign's odd part is that small, not 0)
    assert abs(float(so.sign(np.float32(1e30), temperature=np.inf))) < 1e-19
    # an infinite input keeps its hard limit at an infinite temperature too
    for mode in ("logistic", "algebraic", "gaussian", "cubic", "triangular"):
        assert float(so.greater(np.float32(np.inf), 0.0, temperature=np.inf, mode=mode)) == 1.0
        assert float(so.equal(np.float32(-np.inf), 0.0, temperature=np.inf, mode=mode)) == 0.0
        np.testing.assert_array_equal(
            so.sign(np.float32([np.inf, -np.inf]), temperature=np.inf, mode=mode), [1.0, -1.0]
        )
        assert (
            float(
                jax.grad(lambda t, m=mode: so.greater(np.float32(np.inf), 0.0, temperature=t, mode=m))(np.inf)
            )
            == 0.0
        )


def test_clip_gradients_where_the_relaxation_sits_on_a_bound():
    """Past the band of a compact mode, where rounding absorbs the residual, and
    for lower == upper, the relaxed clip equals a bound: its derivatives are the
    bound's, not 0."""
    g = jax.grad(lambda lo, hi: so.clip(-3.0, lo, hi, temperature=1.0, mode="ramp"), argnums=(0, 1))
    np.testing.assert_array_equal(g(0.0, 1.0), [1.0, 0.0])
    for st in (False, True):
        f = lambda lo, hi, st=st: so.clip(30.0, lo, hi, temperature=1.0, straight_through=st)
        np.testing.assert_allclose(jax.grad(f, argnums=(0, 1))(1.0, 2.0), [0.0, 1.0], atol=1e-6)
    for x in (0.5, 1.0):  # lower == upper: the bounds share the derivative, x gets none
        g = jax.grad(lambda x, c: so.clip(x, c, c, temperature=1.0), argnums=(0, 1))(x, 1.0)
        np.testing.assert_allclose(g, [0.0, 1.0], atol=1e-7)
    g = jax.grad(lambda x, lo, hi: so.clip(x, lo, hi, temperature=1.0), argnums=(0, 1, 2))(0.5, 1.0, 1.0)
    s = 1 / (1 + np.exp(0.5))  # logistic cdf of (x - bound) / t
    np.testing.assert_allclose(g, [0.0, 1 - s, s], rtol=1e-6)
    g = jax.grad(lambda x, hi: so.clip(x, 0.0, hi, temperature=1e-17), argnums=(0, 1))(1.0, 1.0)
    np.testing.assert_allclose(g, [0.5, 0.5], rtol=1e-6)


def test_relu_temperature_derivative_is_accurate_far_above_the_kink():
    # d/dt t S(x/t) = S(u) - u S'(u): the same at x and -x (S(u) - S(-u) = u),
    # and small but not 0 far from the kink. Forming S'(u) as cdf(u) - 1 cancels
    # for large u (to 0 in logistic at u = 30, by half in algebraic at u = 3000).
    u = np.array([3.0, 30.0, 300.0, 3000.0])
    exact = {
        "logistic": np.log1p(np.exp(-u)) + u * np.exp(-u) / (1.0 + np.exp(-u)),
        "algebraic": 0.5 / np.sqrt(1.0 + u * u),
    }
    for mode, want in exact.items():
        dt = jax.vmap(jax.grad(lambda x, t, m=mode: so.relu(x, temperature=t, mode=m), argnums=1), (0, None))
        above = dt(jnp.asarray(u, jnp.float32), jnp.float32(1.0))
        below = dt(jnp.asarray(-u, jnp.float32), jnp.float32(1.0))
        want = want.astype(np.float32)  # (the logistic's underflow to 0 beyond u ~ 100)
        np.testing.assert_allclose(above, want, rtol=1e-5, err_msg=mode)
        np.testing.assert_allclose(below, want, rtol=1e-5, err_msg=mode)


LIGHT_MODES = ["logistic", "gaussian", "ramp", "cubic", "quintic"]


@pytest.mark.parametrize("mode", [*LIGHT_MODES, "algebraic"])
def test_saturated_lanes_have_exact_values_and_zero_derivatives(mode):
    """Where x / t overflows (infinite inputs, the largest floats, tiny
    temperatures) the relaxation sits on its hard value and every derivative,
    reverse-mode ones included, is exactly 0: the clamped score carries no
    derivative and forms none from the overflowing x / t."""
    big = float(np.finfo(np.float32).max)
    xs = jnp.array([-np.inf, -big, big, np.inf], jnp.float32)
    ops = {
        "relu": (lambda x, t: so.relu(x, temperature=t, mode=mode), [0.0, 0.0, big, np.inf], [0, 0, 1, 1]),
        "maximum": (
            lambda x, t: so.maximum(x, 0.5, temperature=t, mode=mode),
            [0.5, 0.5, big, np.inf],
            [0, 0, 1, 1],
        ),
        "clip": (lambda x, t: so.clip(x, -1.0, 1.0, temperature=t, mode=mode), [-1, -1, 1, 1], [0, 0, 0, 0]),
        "heaviside": (lambda x, t: so.heaviside(x, temperature=t, mode=mode), [0, 0, 1, 1], [0, 0, 0, 0]),
        "sign": (lambda x, t: so.sign(x, temperature=t, mode=mode), [-1, -1, 1, 1], [0, 0, 0, 0]),
    }
    for name, (f, want, dx_want) in ops.items():
        for t in (np.float32(0.5), np.float32(1e-10)):
            np.testing.assert_array_equal(f(xs, t), want, err_msg=name)
            dt = jax.vmap(jax.grad(f, argnums=1), (0, None))(xs, t)
            dx = jax.vmap(jax.grad(f), (0, None))(xs, t)
            np.testing.assert_array_equal(dt, 0.0, err_msg=f"{name} d/dt at t={t}")
            np.testing.assert_array_equal(dx, dx_want, err_msg=f"{name} d/dx at t={t}")
            fwd = jax.vmap(jax.jacfwd(f, argnums=1), (0, None))(xs, t)
            np.testing.assert_array_equal(fwd, 0.0, err_msg=f"{name} forward-mode d/dt at t={t}")


@pytest.mark.parametrize("mode", ["logistic", "algebraic", "gaussian", "cubic"])
def test_temperature_broadcasting_beyond_the_inputs_differentiates(mode):
    """A (3, 1) temperature broadcasts maximum(a, b) of shape (4,) to (3, 4):
    every Jacobian has that shape (the hard kink's rule once returned (4,))."""
    t = jnp.array([[1e-3], [0.5], [2.0]])
    f = lambda a: so.maximum(a, jnp.ones(4), temperature=t, mode=mode)  # noqa: E731
    a = jnp.array([0.0, 1.0, 2.0, 3.0])
    for jac in (jax.jacrev, jax.jacfwd):
        np.testing.assert_allclose(jac(f)(a), jax.jacfwd(f)(a), rtol=1e-6)
    assert jax.jacrev(f)(a).shape == (3, 4, 4)
    for op in (
        lambda a: so.clip(a, -1.0, 1.0, temperature=t, mode=mode),
        lambda a: so.clip(a, lower=0.0, temperature=t, mode=mode),
        lambda a: so.relu(a, temperature=t, mode=mode),
        lambda a: so.abs(a, temperature=t, mode=mode),
        lambda a: so.minimum(a, 0.5, temperature=t, mode=mode),
        lambda a: so.heaviside(a, temperature=t, mode=mode),
    ):
        np.testing.assert_allclose(jax.jacrev(op)(a), jax.jacfwd(op)(a), rtol=1e-6)
        assert jax.jacrev(op)(a).shape == (3, 4, 4)


@pytest.mark.parametrize("mode", ["logistic", "algebraic", "gaussian", "quintic"])
def test_signed_zeros_at_a_traced_zero_temperature(mode):
    """A -0.0 on a bound or in a tie keeps its sign at t = 0, concrete or traced,
    as in jnp.clip/maximum/minimum (the relaxation's tie value h + t s0 is +0.0
    at t = 0)."""
    z = jnp.array([-0.0, 0.0, -0.0, 0.0], jnp.float32)
    bits = lambda a: np.asarray(a).view(np.uint32)  # noqa: E731
    cases = [
        (lambda x, lo=lo, hi=hi, **k: so.clip(x, lo, hi, **k), lambda x, lo=lo, hi=hi: jnp.clip(x, lo, hi))
        for lo, hi in ((-0.0, 1.0), (-1.0, -0.0), (-0.0, 0.0), (-0.0, -0.0), (None, -0.0), (-0.0, None))
    ]
    cases += [
        (lambda x, **k: so.maximum(x, z[::-1], **k), lambda x: jnp.maximum(x, z[::-1])),
        (lambda x, **k: so.minimum(x, z[::-1], **k), lambda x: jnp.minimum(x, z[::-1])),
        (lambda x, **k: so.maximum(x, -0.0, **k), lambda x: jnp.maximum(x, -0.0)),
    ]
    for ours, ref in cases:
        traced = jax.jit(lambda x, t, ours=ours: ours(x, temperature=t, mode=mode))
        np.testing.assert_array_equal(bits(traced(z, np.float32(0.0))), bits(ref(z)))
        np.testing.assert_array_equal(bits(ours(z, temperature=0.0, mode=mode)), bits(ref(z)))


@pytest.mark.parametrize("mode", ["logistic", "cubic", "algebraic"])
def test_clip_and_maximum_at_infinite_bounds_and_ties_of_infinities(mode):
    """x on an infinite bound (x - bound is inf - inf) takes the hard clip and its
    rule at a bound, with traced bounds as with Python ones."""
    inf = np.float32(np.inf)
    for lo, hi in ((0.0, np.inf), (-np.inf, 0.0), (-np.inf, np.inf)):
        x = jnp.array([-inf, -1.0, 2.0, inf], jnp.float32)
        want = np.clip(np.asarray(x), lo, hi)
        f = lambda x, lo, hi: so.clip(x, lo, hi, temperature=0.5, mode=mode)
        got = f(x, jnp.float32(lo), jnp.float32(hi))
        assert np.all(np.isfinite(got) == np.isfinite(want))
        np.testing.assert_array_equal(got[~np.isfinite(want)], want[~np.isfinite(want)])
        grads = jax.vmap(jax.grad(f, argnums=(0, 1, 2)), (0, None, None))(x, jnp.float32(lo), jnp.float32(hi))
        for g in grads:
            assert np.all(np.isfinite(g)), (lo, hi, grads)
        on_bound = np.asarray(x) == np.where(np.asarray(x) < 0, lo, hi)
        # clip's rule at a bound: x gets 0 (min-norm), the bound gets 1
        np.testing.assert_array_equal(np.asarray(grads[0])[on_bound], 0.0)
    m = lambda a, b: so.maximum(a, b, temperature=0.5, mode=mode)
    a = jnp.array([inf, -inf], jnp.float32)
    np.testing.assert_array_equal(m(a, a), [inf, -inf])
    ga, gb = jax.vmap(jax.grad(m, argnums=(0, 1)))(a, a)
    np.testing.assert_array_equal(ga, [0.5, 0.5])
    np.testing.assert_array_equal(gb, [0.5, 0.5])


def test_clip_keeps_a_signed_zero_when_both_edges_are_far():
    out = so.clip(jnp.float32(-0.0), -1e10, 1e10, temperature=1e-3, mode="logistic")
    assert float(out) == 0.0
    assert np.signbit(out)


def test_clip_t_derivative_is_exactly_zero_midway_between_symmetric_bounds():
    # the two residuals are equal at x = 0: their difference, and its t-derivative, is 0
    for mode in LIGHT_MODES:
        g = jax.grad(lambda t, m=mode: so.clip(0.0, -1.0, 1.0, temperature=t, mode=m))(0.5)
        assert float(g) == 0.0, mode


@pytest.mark.parametrize("mode", SMOOTH_MODES)
def test_clip_t_derivative_is_zero_on_equal_bounds(mode, x64):
    """With lower == upper the relaxation is that bound at every temperature, so
    d/dt is 0 at x == lower == upper too, on the far-field branch (t = 0, traced,
    and below the smallest usable temperature) as in the kernel; with distinct
    bounds the kink at x == lower keeps its first-order term S(0)."""
    d_t = jax.jit(jax.grad(lambda t, x, lo, hi: so.clip(x, lo, hi, temperature=t, mode=mode)))
    s0 = float(so.relu(0.0, temperature=1.0, mode=mode))
    for t in (0.0, 1e-200, 1e-3, 0.5):
        t = jnp.float64(t)
        assert float(d_t(t, 2.0, 2.0, 2.0)) == 0.0, t
        if float(t) < 1e-100:
            np.testing.assert_allclose(d_t(t, 1.0, 1.0, 2.0), s0, rtol=1e-12)
            np.testing.assert_allclose(d_t(t, 2.0, 1.0, 2.0), -s0, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_light_tailed_kernels_are_exactly_flat_at_the_saturation_bound(dtype, x64):
    """What relax_saturated relies on: at u = -L and L the residual is exactly
    0, the step exactly 0 and 1, its odd part exactly -1/2 and 1/2."""
    from softops._families import FAMILIES, LIGHT_TAIL_MODES, LIGHT_TAIL_STEPS, residual
    from softops._mechanism import saturation

    bound = saturation(dtype)
    u = jnp.asarray([-bound, bound], dtype)
    for mode in LIGHT_TAIL_STEPS:
        fam = FAMILIES[mode]
        np.testing.assert_array_equal(fam.cdf(u), [0.0, 1.0], err_msg=mode)
        np.testing.assert_array_equal(fam.odd(u), [-0.5, 0.5], err_msg=mode)
        if mode in LIGHT_TAIL_MODES:
            np.testing.assert_array_equal(residual(fam, u), [0.0, 0.0], err_msg=mode)


def test_a_temperature_known_to_be_zero_runs_the_hard_operator_under_jit():
    """A Python 0 stays visible inside jit: the relaxation is not traced at all
    (its gradient would otherwise be computed and multiplied by 0)."""
    for fn in (so.relu, so.sign, lambda x, **k: so.clip(x, -1.0, 1.0, **k)):
        jaxpr = jax.make_jaxpr(jax.grad(lambda x, fn=fn: jnp.sum(fn(x, temperature=0.0))))(jnp.ones(3))
        text = str(jaxpr)
        assert "exp" not in text
        assert "tanh" not in text
        assert "log1p" not in text


@pytest.mark.parametrize("mode", SMOOTH_MODES)
def test_a_nan_input_leaves_the_temperature_gradient_of_other_lanes_finite(mode):
    # d/dt sums over lanes: a discarded NaN lane must add 0 (not 0 * NaN), also
    # where the other operand or the bounds are concrete numbers
    x = jnp.asarray([jnp.nan, 1.0, -0.3])
    calls = {
        "relu": lambda x, t: so.relu(x, temperature=t, mode=mode),
        "maximum": lambda x, t: so.maximum(x, 0.2, temperature=t, mode=mode),
        "minimum": lambda x, t: so.minimum(x, 0.2, temperature=t, mode=mode),
        "clip": lambda x, t: so.clip(x, -1.0, 0.5, temperature=t, mode=mode),
        "clip_lower": lambda x, t: so.clip(x, lower=-1.0, temperature=t, mode=mode),
    }
    for name, f in calls.items():
        assert np.isnan(f(x, 0.5)[0]), name  # NaN in, NaN out
        g = jax.grad(lambda t, f=f: jnp.where(jnp.isnan(x), 0.0, f(x, t)).sum())(0.5)
        clean = jax.grad(lambda t, f=f: f(x[1:], t).sum())(0.5)  # the other lanes alone
        assert np.isfinite(clean), name
        assert np.isfinite(g), name
        np.testing.assert_allclose(g, clean, rtol=1e-6, err_msg=name)


def test_concrete_bounds_that_overflow_the_dtype_count_as_infinite():
    # 1e39 is a finite Python float but inf in float32 (1e5 in float16): an
    # infinite x on such a bound is inf - inf, which must take the hard branch
    x = jnp.asarray([jnp.inf, -jnp.inf])
    np.testing.assert_array_equal(so.maximum(x, 1e39), [jnp.inf, jnp.inf])
    np.testing.assert_array_equal(so.clip(x, -1e39, 1e39), [jnp.inf, -jnp.inf])
    h = x.astype(jnp.float16)
    for got in (so.clip(h, -1e5, 1e5), so.clip(h, lower=-1e5), so.clip(h, upper=1e5)):
        np.testing.assert_array_equal(got, jnp.clip(h, -jnp.inf, jnp.inf))
    np.testing.assert_array_equal(so.maximum(h, 1e5), [jnp.inf, jnp.inf])


@pytest.mark.parametrize("mode", ["cubic", "quintic"])
def test_polynomial_steps_stay_in_the_unit_interval_without_a_lower_clamp(mode):
    # The cubic's step is left unclamped and the quintic's clamped above only
    # (their factors keep them non-negative): every float32 argument near
    # either end of the band, where rounding could leave [0, 1], stays inside.
    lo, hi = np.float32(0.999).view(np.int32), np.float32(1.0).view(np.int32)
    near = np.arange(lo, hi + 1, dtype=np.int32).view(np.float32)  # every float32 in [0.999, 1]
    u = np.concatenate([-near, near, np.linspace(-1.5, 1.5, 100_001, dtype=np.float32)])
    p = np.asarray(jax.jit(lambda u: so.heaviside(u, temperature=1.0, mode=mode))(u))
    assert p.min() >= 0.0
    assert p.max() <= 1.0
    assert p.max() == 1.0
    assert p.min() == 0.0


def test_soft_abs_is_never_negative_and_keeps_its_curvature():
    """|x| + t (2 S(u) - 2 S(0)) cancels for |x| << t: the value is floored at 0
    (it was -1.7e-8 at x = 1e-4, t = 1), the derivatives stay the relaxation's."""
    x = jnp.array([1e-4, -1e-4, 1e-3, 3.0, 0.0], jnp.float32)
    ts = jnp.array([1.0, 1e3, 1e6, 1e30], jnp.float32)
    with jax.enable_x64(True):
        for mode in SMOOTH_MODES:
            f = jax.jit(jax.vmap(lambda t, mode=mode: so.abs(x, temperature=t, mode=mode)))
            assert float(jnp.min(f(ts))) >= 0.0, mode
            h = jax.jit(jax.vmap(jax.hessian(lambda v, mode=mode: so.abs(v, temperature=1.0, mode=mode))))
            want = h(x[:3].astype(jnp.float64))
            np.testing.assert_allclose(h(x[:3]), want, rtol=1e-5, err_msg=mode)
            assert float(jnp.min(want)) > 0.1, mode  # the curvature near 0 is not lost to the floor


def test_algebraic_abs_is_accurate_near_zero_and_far_away():
    """sqrt(x^2 + t^2) - t as |x| a / (h + 1): float32 values within a few ULPs
    of float64 for |x| / t from 1e-6 (where h - 1 rounds to 0) to overflow, and
    both derivatives with it."""
    xs = np.array([1e-6, -1e-4, 1e-2, -1.0, 3.0, 1e4, -1e8, 3e38], np.float64)
    for t in (1e-3, 1.0, 1e10):
        ref = xs * xs / (np.sqrt(xs * xs + t * t) + t)
        x32, t32 = jnp.asarray(xs, jnp.float32), jnp.float32(t)
        f = lambda x, t: so.abs(x, temperature=t, mode="algebraic")
        np.testing.assert_allclose(f(x32, t32), ref, rtol=1e-6, err_msg=f"t={t}")
        dx = jax.vmap(jax.grad(f), (0, None))(x32, t32)
        dt = jax.vmap(jax.grad(f, argnums=1), (0, None))(x32, t32)
        np.testing.assert_allclose(dx, xs / np.sqrt(xs * xs + t * t), rtol=1e-6, err_msg=f"d/dx t={t}")
        h = np.sqrt(1.0 + (xs / t) ** 2)
        np.testing.assert_allclose(dt, -((xs / t) ** 2) / (h * (h + 1.0)), rtol=1e-5, err_msg=f"d/dt t={t}")
    # second derivatives, where autodiff of u / h or 1 / h - 1 would cancel:
    # d2/dx2 = 1 / (t h^3), d2/dxdt = -u / (t h^3), d2/dt2 = u^2 / (t h^3)
    u = np.array([0.3, -50.0, 1e3, 1e4, -5e4], np.float64)
    h3 = np.sqrt(1.0 + u * u) ** 3
    f = lambda x, t: so.abs(x, temperature=t, mode="algebraic")
    x32, t32 = jnp.asarray(u * 2.0, jnp.float32), jnp.float32(2.0)
    second = {
        "xx": (jax.grad(jax.grad(f, 0), 0), 1.0 / (2.0 * h3)),
        "xt": (jax.grad(jax.grad(f, 0), 1), -u / (2.0 * h3)),
        "tt": (jax.grad(jax.grad(f, 1), 1), u * u / (2.0 * h3)),
    }
    for name, (d2, want) in second.items():
        np.testing.assert_allclose(jax.vmap(d2, (0, None))(x32, t32), want, rtol=2e-5, err_msg=name)


def test_abs_below_the_smallest_temperature_is_never_negative():
    """Below the smallest usable temperature abs takes its far-field form
    |x| - 2 S(0) t, floored at 0 for |x| under 2 S(0) t."""
    x = jnp.array([1e-30, -1e-25, 0.0, 2.0], jnp.float32)
    for mode in SMOOTH_MODES:
        for t in (1e-18, 1e-25):
            v = so.abs(x, temperature=jnp.float32(t), mode=mode)
            far = np.abs(np.asarray(x, np.float64)) - 2.0 * family(mode).s0 * float(np.float32(t))
            np.testing.assert_allclose(v, np.maximum(far, 0.0), rtol=1e-6, atol=1e-32, err_msg=mode)
            assert float(v[2]) == 0.0, mode
            assert float(v[3]) == 2.0, mode


def test_algebraic_far_tails_are_exact_beyond_the_saturation_bound():
    """The algebraic relaxations keep their heavy tails, 1 / (4 |u|) for the
    relu-like ones and 1 / (4 u^2) for the step, far beyond the band
    |x| <= L t where other modes are flat (L = 1e6 in float32), up to where
    u^2 overflows (beyond, the relu-like tail is 0, under 1.4e-20)."""
    assert float(so.relu(jnp.float32(-1e30), mode="algebraic")) == 0.0
    u = np.array([-1e7, -1e9, -1e15, -1e19], np.float64)
    s = 0.5 / (np.sqrt(1.0 + u * u) - u)  # (u + sqrt(1 + u^2)) / 2 without cancellation
    x = jnp.asarray(u, jnp.float32)
    np.testing.assert_allclose(so.relu(x, mode="algebraic"), s, rtol=1e-6)
    np.testing.assert_allclose(so.maximum(x, 0.0, mode="algebraic"), s, rtol=1e-6)
    np.testing.assert_allclose(so.minimum(-x, 0.0, mode="algebraic"), -s, rtol=1e-6)
    # (1 / (4 u^2) is subnormal at u = -1e19, flushed to 0)
    step = so.heaviside(x, mode="algebraic")
    np.testing.assert_allclose(step, s / np.sqrt(1.0 + u * u), rtol=1e-6, atol=1e-37)
    # clip(x, 0, 1): the difference of its edges' tails, ~1 / (4 u^2), to the
    # absolute accuracy of the tails themselves (~eps / (4 |u|))
    np.testing.assert_allclose(
        so.clip(x, 0.0, 1.0, mode="algebraic"), s - 0.5 / (np.sqrt(1.0 + (u - 1) ** 2) - (u - 1)), atol=1e-14
    )


@pytest.mark.parametrize(
    ("mode", "poly"),
    [
        ("ramp", lambda s: 0.5 + 0 * s),
        ("cubic", lambda s: (6 - s) / 8),
        ("quintic", lambda s: (15 - 5 * s + s * s) / 16),
    ],
)
def test_compact_abs_is_its_polynomial_near_zero(mode, poly):
    """The compact modes' abs is t A(x / t), A(u) = 2 int_0^u odd = u^2 P(u^2),
    inside its band (Huber's function for the ramp), evaluated as that
    polynomial: float32 within a few ULPs of float64 also where the general form
    |x| + t (2 S(u) - 2 S(0)) cancels (|x| ~ 1e-4 t), and |x| - 2 S(0) t beyond."""
    t = 0.5
    x = np.array([1e-6, -1e-4, 3e-3, -0.1, 0.3, -0.5, 0.7, 2.0, -1e9], np.float64)
    u = x / t
    s0 = family(mode).s0
    ref = np.where(np.abs(x) <= t, t * u * u * poly(u * u), np.abs(x) - 2 * s0 * t)
    np.testing.assert_allclose(so.abs(jnp.asarray(x, jnp.float32), temperature=t, mode=mode), ref, rtol=2e-6)
    # its derivative is the same mode's relaxed sign, 2 odd(u), and its second
    # the density 2 F'(u) / t, also near |u| = 1 where the polynomial cancels
    x32 = jnp.asarray(x, jnp.float32)
    d = jax.vmap(jax.grad(lambda v: so.abs(v, temperature=t, mode=mode)))(x32)
    np.testing.assert_allclose(d, so.sign(x32, temperature=t, mode=mode), rtol=2e-6)
    xs = jnp.asarray([0.4999, -0.49999, 0.3, 0.0], jnp.float32)
    d2 = jax.vmap(jax.grad(jax.grad(lambda v: so.abs(v, temperature=t, mode=mode))))(xs)
    w = np.asarray(xs, np.float64) / t
    pdf = {"ramp": 0.5 + 0 * w, "cubic": 0.75 * (1 - w * w), "quintic": 15 / 16 * (1 - w * w) ** 2}[mode]
    np.testing.assert_allclose(d2, 2 * pdf / t, rtol=1e-5)
