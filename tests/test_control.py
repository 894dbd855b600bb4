"""Family tests for soft control flow: switch, cond, piecewise, while_loop (not in the registry)."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.test_util import check_grads

import softops as so

BRANCHES = [lambda x: jnp.sin(x), lambda x: x * x, lambda x: 3.0 - x]


# ------------------------------------------------------------------------ switch
def test_switch_at_zero_temperature_is_lax_switch(key):
    x = jax.random.normal(key, (4,))
    for i in range(3):
        w = jax.nn.one_hot(i, 3) + 0.1
        want = lax.switch(jnp.argmax(w), BRANCHES, x)
        np.testing.assert_array_equal(so.switch(w, BRANCHES, x, temperature=0.0), want)
        traced = jax.jit(lambda w, t: so.switch(w, BRANCHES, x, temperature=t))(w, jnp.float32(0.0))
        np.testing.assert_array_equal(traced, want)
        np.testing.assert_array_equal(so.switch(w, BRANCHES, x, temperature=0.5, straight_through=True), want)
    # ties split equally (minimum-norm rule)
    tie = so.switch(jnp.array([1.0, 1.0, 0.0]), BRANCHES, x, temperature=0.0)
    np.testing.assert_allclose(tie, 0.5 * (jnp.sin(x) + x * x), rtol=1e-6)


def test_switch_soft_is_softmax_blend_and_gradients(key, x64):
    x = jax.random.normal(key, (4,), jnp.float64)
    w = jnp.array([0.3, -1.0, 0.8], jnp.float64)
    for t in (0.5, 1.0, 3.0):
        pi = np.exp(np.asarray(w) / t) / np.sum(np.exp(np.asarray(w) / t))
        want = sum(pi[i] * np.asarray(b(x)) for i, b in enumerate(BRANCHES))
        np.testing.assert_allclose(so.switch(w, BRANCHES, x, temperature=t), want, rtol=1e-12)
    f = lambda w, x, t: so.switch(w, BRANCHES, x, temperature=t)  # noqa: E731
    check_grads(jax.jit(f), (w, x, jnp.float64(0.7)), order=2, modes=("fwd", "rev"))
    # straight-through: hard value, soft derivative
    g_st = jax.grad(lambda w: jnp.sum(so.switch(w, BRANCHES, x, temperature=0.7, straight_through=True)))(w)
    g_soft = jax.grad(lambda w: jnp.sum(f(w, x, 0.7)))(w)
    chex.assert_trees_all_close(g_st, g_soft)
    # the hard selection is piecewise constant in the weights
    np.testing.assert_array_equal(jax.grad(lambda w: jnp.sum(f(w, x, 0.0)))(w), 0.0)


def test_switch_extremes_pytrees_batches():
    # (an inf value with a finite derivative: a branch whose own derivative is inf
    # would still give 0 * inf through the chain rule, as documented for where)
    branches = [lambda x: {"a": x, "b": jnp.full_like(x, jnp.inf)}, lambda x: {"a": 2.0 * x, "b": x}]
    out = so.switch(jnp.array([0.0, 5.0]), branches, jnp.float32(1.5), temperature=0.0)
    assert float(out["a"]) == 3.0
    assert float(out["b"]) == 1.5
    g = jax.grad(lambda x: so.switch(jnp.array([0.0, 5.0]), branches, x, temperature=1e-30)["b"])(1.5)
    assert float(g) == 1.0
    for t in (0.0, 1e-30, 1.0, 1e30):
        w = jnp.array([3e38, -3e38, 0.0], jnp.float32)
        v = so.switch(w, BRANCHES, jnp.float32(0.5), temperature=t)
        gw = jax.grad(lambda w, t=t: so.switch(w, BRANCHES, jnp.float32(0.5), temperature=t))(w)
        assert np.isfinite(v)
        assert np.all(np.isfinite(gw))
    # batched weights: one selection per row, right-aligned against the output
    W = jnp.array([[5.0, 0.0, 0.0], [0.0, 0.0, 5.0]])
    x = jnp.array([2.0, 2.0])
    np.testing.assert_array_equal(so.switch(W, BRANCHES, x, temperature=0.0), [jnp.sin(2.0), 1.0])
    ts = jnp.array([0.0, 0.5, 2.0])
    vt = jax.vmap(lambda t: so.switch(W[0], BRANCHES, x, temperature=t))(ts)
    chex.assert_trees_all_close(vt[1], so.switch(W[0], BRANCHES, x, temperature=0.5))

    @jax.jit
    @chex.assert_max_traces(n=1)
    def f(t):
        return so.switch(W[0], BRANCHES, x, temperature=t)

    for t in (0.0, 0.5, 2.0):
        f(jnp.float32(t))


def test_switch_dtypes():
    with jax.enable_x64(True):
        for dtype in (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64):
            x = jnp.arange(3.0).astype(dtype)
            w = jnp.array([0.1, 0.2, 0.3], dtype)
            assert so.switch(w, BRANCHES, x).dtype == dtype
            assert (
                jax.grad(lambda w, x=x: jnp.sum(so.switch(w, BRANCHES, x)).astype(jnp.float32))(w).dtype
                == dtype
            )


def test_switch_errors():
    w = jnp.zeros(3)
    with pytest.raises(ValueError, match="switch expects at least one branch"):
        so.switch(w, [], 1.0)
    with pytest.raises(ValueError, match=r"switch expects weights with a last axis of size 2"):
        so.switch(w, BRANCHES[:2], 1.0)
    with pytest.raises(TypeError, match="switch expects a floating-point weights"):
        so.switch(jnp.zeros(3, jnp.int32), BRANCHES, 1.0)
    with pytest.raises(TypeError, match="switch expects a sequence of callables"):
        so.switch(w, [1.0, 2.0, 3.0], 1.0)
    with pytest.raises(ValueError, match="switch expects a non-negative temperature"):
        so.switch(w, BRANCHES, 1.0, temperature=-1.0)
    with pytest.raises(TypeError, match="switch: branch outputs must agree in shape"):
        so.switch(jnp.zeros(2), [lambda x: x, lambda x: jnp.stack([x, x])], jnp.float32(1.0))
    with pytest.raises(TypeError, match="switch expects a floating-point branch output in every leaf"):
        so.switch(jnp.zeros(2), [lambda x: 1, lambda x: 2], 1.0)


# -------------------------------------------------------------------------- cond
def test_cond_blend_exactness_and_straight_through():
    t_fn, f_fn = (lambda x: x * x), (lambda x: jnp.log(x - 10.0))  # false branch NaN at x = 3
    assert float(so.cond(1.0, t_fn, f_fn, 3.0)) == 9.0
    assert float(jax.grad(lambda x: so.cond(1.0, t_fn, lambda x: -x, x))(3.0)) == 6.0
    assert float(jax.grad(so.cond)(1.0, t_fn, f_fn, 3.0)) == 0.0  # d/dp ignores the non-finite branch
    assert float(so.cond(0.25, t_fn, lambda x: -x, 3.0)) == pytest.approx(0.25 * 9 - 0.75 * 3)
    st = lambda p: so.cond(p, t_fn, lambda x: -x, 3.0, straight_through=True)  # noqa: E731
    assert [float(st(p)) for p in (0.7, 0.3, 0.5)] == [9.0, -3.0, 3.0]  # tie: the average
    assert float(jax.grad(st)(0.7)) == 12.0
    # pytrees and elementwise conditions
    p = jnp.array([0.0, 1.0, 0.5])
    out = so.cond(p, lambda x: (x, 2 * x), lambda x: (-x, 0 * x), jnp.ones(3))
    np.testing.assert_array_equal(out[0], [-1.0, 1.0, 0.0])
    np.testing.assert_array_equal(out[1], [0.0, 2.0, 1.0])


def test_cond_errors():
    with pytest.raises(TypeError, match="cond expects callables"):
        so.cond(0.5, 1.0, lambda: 0.0)
    with pytest.raises(TypeError, match="cond: branches must return the same tree structure"):
        so.cond(0.5, lambda x: (x, x), lambda x: x, 1.0)
    with pytest.raises(TypeError, match="cond expects a floating-point p"):
        so.cond(True, lambda x: x, lambda x: x, 1.0)


# --------------------------------------------------------------------- piecewise
def test_piecewise_matches_jnp_on_hard_conditions_last_wins(key):
    x = jax.random.normal(key, (20,)) * 2
    conds = [so.greater(x, 0.0, temperature=0.0), so.greater(x, 1.0, temperature=0.0)]  # overlapping
    funcs = [lambda x: x + 100.0, lambda x: x * x, 7.0]
    want = jnp.piecewise(x, [c > 0.5 for c in conds], funcs)
    np.testing.assert_array_equal(so.piecewise(x, conds, funcs), want)
    np.testing.assert_array_equal(
        so.piecewise(x, jnp.stack(conds), funcs[:2]), jnp.piecewise(x, [c > 0.5 for c in conds], funcs[:2])
    )
    # a piece that is inf where it is not selected does no harm
    out = so.piecewise(x, [conds[0]], [lambda x: jnp.log(x), lambda x: -x])
    assert np.all(np.isfinite(out))
    assert np.all(
        np.isfinite(
            jax.grad(
                lambda x: jnp.sum(
                    so.piecewise(x, [so.greater(x, 0.0, temperature=0.0)], [jnp.log, lambda x: -x])
                )
            )(x)
        )
    )


def test_piecewise_soft_weights(x64):
    x = jnp.array([0.5, 1.5], jnp.float64)
    c1, c2 = jnp.array([0.2, 0.9], jnp.float64), jnp.array([0.6, 0.3], jnp.float64)
    f1, f2, f0 = np.asarray(x) * 2, np.asarray(x) ** 3, np.full(2, -1.0)
    w2 = np.asarray(c2)
    w1 = np.asarray(c1) * (1 - w2)
    w0 = (1 - np.asarray(c1)) * (1 - w2)
    want = w1 * f1 + w2 * f2 + w0 * f0
    fn = lambda x, c1, c2: so.piecewise(x, [c1, c2], [lambda x: 2 * x, lambda x: x**3, -1.0])  # noqa: E731
    np.testing.assert_allclose(fn(x, c1, c2), want, rtol=1e-14)
    check_grads(fn, (x, c1, c2), order=2, modes=("fwd", "rev"))
    assert fn(x.astype(jnp.float16), c1.astype(jnp.float16), c2.astype(jnp.float16)).dtype == jnp.float16


def test_piecewise_errors():
    with pytest.raises(ValueError, match="piecewise expects 1 or 2 functions for 1 conditions, got 3"):
        so.piecewise(jnp.ones(2), [jnp.ones(2)], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="piecewise expects a floating-point x"):
        so.piecewise(jnp.ones(2, jnp.int32), [jnp.ones(2)], [1.0])
    with pytest.raises(TypeError, match=r"piecewise expects a floating-point condlist\[0\]"):
        so.piecewise(jnp.ones(2), [jnp.ones(2, bool)], [1.0])


# -------------------------------------------------------------------- while_loop
def _hard_loop(x0, limit, K):
    """lax.while_loop capped at K bodies."""

    def c(s):
        return (s[0] < K) & (s[1] < limit)

    return lax.while_loop(c, lambda s: (s[0] + 1, s[1] * 1.7 + 0.1), (0, x0))[1]


def _soft_loop(x0, limit, K, t):
    return so.while_loop(
        lambda x: so.less(x, limit, temperature=t), lambda x: x * 1.7 + 0.1, x0, max_iterations=K
    )


def test_while_loop_with_hard_conditions_is_the_capped_lax_loop():
    limit = jnp.float32(50.0)
    for x0 in (-1.0, 0.3, 2.0, 49.0, 60.0):
        for K in (0, 1, 3, 12):
            x0 = jnp.float32(x0)
            np.testing.assert_array_equal(_soft_loop(x0, limit, K, 0.0), _hard_loop(x0, limit, K))
    traced = jax.jit(lambda x0, t: _soft_loop(x0, limit, 12, t))(jnp.float32(2.0), jnp.float32(0.0))
    np.testing.assert_array_equal(traced, _hard_loop(jnp.float32(2.0), limit, 12))
    # a body that overflows after the hard stop cannot leak inf/NaN into the result
    out = so.while_loop(
        lambda x: so.less(x, jnp.float32(10.0), temperature=0.0),
        lambda x: x * 1e30,
        jnp.float32(2.0),
        max_iterations=30,
    )
    g = jax.grad(
        lambda x: so.while_loop(
            lambda x: so.less(x, jnp.float32(10.0), temperature=0.0), lambda x: x * 1e30, x, max_iterations=30
        )
    )(jnp.float32(2.0))
    assert float(out) == float(jnp.float32(2.0) * jnp.float32(1e30))
    assert np.isfinite(float(g))


def test_while_loop_soft_is_the_expectation_over_stopping_times(x64):
    x0, limit, K, t = 0.5, 5.0, 6, 1.3
    states = [x0]
    for _ in range(K):
        states.append(states[-1] * 1.7 + 0.1)
    c = [1 / (1 + np.exp(-(limit - s) / t)) for s in states]
    alive, want = 1.0, 0.0
    for k in range(K):
        want += alive * (1 - c[k]) * states[k]
        alive *= c[k]
    want += alive * states[K]
    got = _soft_loop(jnp.float64(x0), jnp.float64(limit), K, t)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    check_grads(
        lambda x0, t: _soft_loop(x0, jnp.float64(limit), K, t),
        (jnp.float64(x0), jnp.float64(t)),
        order=1,
        modes=("fwd", "rev"),
    )


def test_while_loop_pytrees_batches_dtypes():
    init = {"x": jnp.array([1.0, 8.0]), "n": jnp.zeros(2)}
    out = so.while_loop(
        lambda s: so.less(s["x"], jnp.float32(10.0), temperature=0.0),
        lambda s: {"x": s["x"] * 2, "n": s["n"] + 1},
        init,
        max_iterations=10,
    )
    np.testing.assert_array_equal(out["x"], [16.0, 16.0])
    np.testing.assert_array_equal(out["n"], [4.0, 1.0])
    xs = jnp.array([1.0, 3.0, 11.0])
    batched = jax.vmap(lambda x: _soft_loop(x, jnp.float32(10.0), 5, 0.5))(xs)
    chex.assert_trees_all_close(
        batched, jnp.stack([_soft_loop(x, jnp.float32(10.0), 5, 0.5) for x in xs]), rtol=1e-6
    )
    for dtype in (jnp.float16, jnp.bfloat16):
        assert _soft_loop(jnp.asarray(1.0, dtype), jnp.asarray(10.0, dtype), 4, 0.5).dtype == dtype


def test_while_loop_errors():
    body = lambda x: x  # noqa: E731
    cond = lambda x: jnp.float32(0.5)  # noqa: E731
    with pytest.raises(ValueError, match="while_loop expects a non-negative max_iterations"):
        so.while_loop(cond, body, jnp.float32(1.0), max_iterations=-1)
    with pytest.raises(ValueError, match="while_loop expects an integer max_iterations"):
        so.while_loop(cond, body, jnp.float32(1.0), max_iterations=2.5)
    with pytest.raises(TypeError, match="while_loop expects a floating-point init in every leaf"):
        so.while_loop(cond, body, (jnp.int32(0), jnp.float32(1.0)), max_iterations=2)
    with pytest.raises(TypeError, match="cond_fn to return a floating soft boolean"):
        so.while_loop(lambda x: x < 1, body, jnp.float32(1.0), max_iterations=2)
    with pytest.raises(TypeError, match="while_loop expects callables"):
        so.while_loop(cond, 1.0, jnp.float32(1.0), max_iterations=2)
    with pytest.raises(TypeError, match="body_fn changed"):
        so.while_loop(cond, lambda x: (x, x), jnp.float32(1.0), max_iterations=2)


def test_while_loop_gradient_ignores_bodies_after_the_stop():
    """Past the (certain) stop the body is fed the initial state: exp(exp(...)) overflowing
    there adds no 0 * inf to the gradient."""
    f = lambda x0: so.while_loop(lambda x: so.less(x, 10.0, temperature=0.0), jnp.exp, x0, max_iterations=4)
    x0 = jnp.float32(2.0)
    np.testing.assert_allclose(f(x0), jnp.exp(jnp.exp(x0)), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(f)(x0), jnp.exp(jnp.exp(x0)) * jnp.exp(x0), rtol=1e-5)
    g = lambda x0: so.while_loop(lambda x: so.less(x, 10.0, temperature=1.0), jnp.exp, x0, max_iterations=6)
    assert bool(jnp.isfinite(jax.grad(g)(jnp.float32(0.5))))


def test_switch_infinite_weights_select_and_tiny_temperatures_keep_finite_derivatives():
    br = [lambda x: x, lambda x: 10.0 * x]
    inf = jnp.inf
    for t in (0.0, 1e-30, 1e-20, 1.0, 1e30):
        for w, want in (([inf, 0.0], 2.0), ([0.0, inf], 20.0), ([inf, inf], 11.0), ([-inf, -inf], 11.0)):
            w = jnp.array(w, jnp.float32)
            assert float(so.switch(w, br, 2.0, temperature=t)) == want, (w, t)
            gw, gt = jax.grad(lambda w, t: so.switch(w, br, 2.0, temperature=t), argnums=(0, 1))(
                w, jnp.float32(t)
            )
            np.testing.assert_array_equal(gw, [0.0, 0.0])
            assert float(gt) == 0.0
    # d/dt where the softmax has saturated: 0, not -(w - top) / t**2 (inf) times 0
    for t in (1e-30, 1e-20, 1e-10):
        for w in ([0.0, 1.0], [-1e30, 0.0]):
            gt = jax.grad(lambda t, w=w: so.switch(jnp.array(w), br, 2.0, temperature=t))(jnp.float32(t))
            assert float(gt) == 0.0, (w, t)
    # the temperature is one per selection
    with pytest.raises(ValueError, match="switch expects a temperature of size 1 along axis -1"):
        so.switch(jnp.zeros(2), br, 1.0, temperature=jnp.ones(2))


def test_soft_control_flow_accepts_python_float_branches_and_names_itself_in_errors():
    out = so.cond(jnp.float16(1.0), lambda: 0.3, lambda: jnp.float16(2.0))
    assert out.dtype == jnp.float16
    assert float(out) == float(jnp.float16(0.3))
    out = so.switch(jnp.array([0.0, 1.0]), [lambda: 0.3, lambda: jnp.float16(2.0)], temperature=0.0)
    assert out.dtype == jnp.float16
    assert float(out) == 2.0
    with pytest.raises(
        TypeError, match="cond expects branch 0 output and branch 1 output of one floating dtype"
    ):
        so.cond(1.0, lambda: jnp.float32(1.0), lambda: jnp.float16(1.0))
    with pytest.raises(ValueError, match="switch expects operands that broadcast together"):
        so.switch(jnp.ones((3, 2)), [lambda: jnp.ones(2), lambda: jnp.ones(2)], temperature=1.0)
    with pytest.raises(ValueError, match="piecewise expects operands that broadcast together"):
        so.piecewise(jnp.ones(3), [jnp.ones(2)], [1.0])
    with pytest.raises(ValueError, match=r"piecewise expects condlist\[0\] to broadcast to x's shape"):
        so.piecewise(jnp.ones(3), [jnp.ones((2, 3))], [1.0])
    with pytest.raises(ValueError, match="while_loop expects operands that broadcast together"):
        so.while_loop(lambda x: jnp.full((3,), 0.5), lambda x: x, jnp.ones(2), max_iterations=2)


def test_piecewise_takes_a_stacked_numpy_condlist_and_straight_through_cond_keeps_nan():
    x = jnp.arange(3.0)
    conds = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(so.piecewise(x, conds, [1.0, 2.0]), jnp.piecewise(x, conds > 0, [1.0, 2.0]))
    assert np.isnan(float(so.cond(jnp.nan, lambda: 1.0, lambda: 3.0, straight_through=True)))
    assert float(so.cond(0.5, lambda: 1.0, lambda: 3.0, straight_through=True)) == 2.0


def test_while_loop_that_stops_at_once_has_the_derivative_of_the_identity():
    """A body undefined at the initial state (sqrt of a negative number) is never run
    there when the loop stops before its first step, and adds no NaN."""
    f = lambda x: so.while_loop(
        lambda x: so.greater(x, 0.0, temperature=0.0), lambda x: jnp.sqrt(x) - 1.0, x, max_iterations=3
    )
    hard = lambda x: lax.while_loop(lambda x: x > 0.0, lambda x: jnp.sqrt(x) - 1.0, x)
    for x0 in (-1.0, 4.0):
        x0 = jnp.float32(x0)
        assert float(f(x0)) == float(hard(x0))
        assert float(jax.grad(f)(x0)) == float(jax.jacfwd(hard)(x0))
        assert float(jax.jacfwd(f)(x0)) == float(jax.jacfwd(hard)(x0))
    # a body returning a Python float is a constant state
    out = so.while_loop(
        lambda x: so.less(x, 3.0, temperature=0.0), lambda x: 5.0, jnp.float32(0.0), max_iterations=3
    )
    assert float(out) == 5.0
