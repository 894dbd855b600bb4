"""Numerics at the limits, generic over the registry: every mode, beyond-float-range
temperatures, float32 temperature derivatives against float64, gradients against the
NumPy references, mixed dtypes and weakly typed operands, and the argument checks
shared by every operator.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import softops as so
from tests.test_generic import (
    NAMES,
    OP_MODES,
    OPS,
    all_finite,
    call,
    float_leaves,
    primary,
    sample,
    scalarise,
    with_primary,
)

# Each operator's default mode, and the heavy-tailed fast_sigmoid where it has it
# (the kernels' own arithmetic at huge t is covered by the value tests).
BOUNDED_MODES = [
    (n, m)
    for n, m in OP_MODES
    if OPS[n].bounded and OPS[n].temperature and (m == OPS[n].default_mode or m == "fast_sigmoid")
]
ELEMENTWISE = [n for n in NAMES if OPS[n].family in ("elementwise", "rounding", "compare", "safe")]


# ------------------------------------------------------------------ huge temperatures
@pytest.mark.parametrize(("name", "mode"), BOUNDED_MODES)
def test_finite_at_temperatures_beyond_the_float_range(name, mode):
    """t * saturation overflows float32 above ~3e32: no NaN may follow, with infinite inputs too."""
    args, kwargs = sample(name)
    x = args[0].reshape(-1).at[0].set(jnp.inf).at[1].set(-jnp.inf).reshape(args[0].shape)
    f = jax.jit(lambda t, x: call(name, (x, *args[1:]), kwargs, t, mode))
    g = jax.jit(
        jax.grad(
            lambda x, t: scalarise(call(name, (jnp.where(jnp.isinf(x), 0.0, x), *args[1:]), kwargs, t, mode)),
            argnums=(0, 1),
        )
    )
    for t in (1e33, 1e38):
        finite_in = f(jnp.float32(t), args[0])
        assert all_finite(finite_in), (t, finite_in)
        # +inf and -inf averaged together are NaN (sort_by's clusters, avg_pool's windows)
        if name not in ("sort_by", "avg_pool"):
            out = f(jnp.float32(t), x)
            assert not any(bool(jnp.any(jnp.isnan(leaf))) for leaf in float_leaves(out)), (t, out)
        assert all_finite(g(args[0], jnp.float32(t))), t


# ------------------------------------------------------------ temperature derivative
# The default mode and the families whose tails cancel under autodiff (the
# polynomial families' derivatives are polynomials on a bounded band).
DT_MODES = ("logistic", "algebraic", "gaussian", "arctan", "fast_sigmoid")


@pytest.mark.parametrize(
    ("name", "mode"),
    [(n, m) for n, m in OP_MODES if n in ELEMENTWISE and (m in DT_MODES or m == OPS[n].default_mode)],
)
def test_float32_temperature_derivative_matches_float64(name, mode):
    """d/dt in float32 (forward and reverse) agrees with float64 down to t = 1e-7.

    The kernels' derivatives are written out where autodiff would cancel (a
    product rule of two O(x / t) terms): these checks used to fail by 100%.
    """
    with jax.enable_x64(True):
        args, kwargs = sample(name, np.float64)
        xs32 = tuple(a.astype(jnp.float32) for a in args)

        def flat(t, xs):
            return jnp.concatenate([l.reshape(-1) for l in float_leaves(call(name, xs, kwargs, t, mode))])

        jacs = {
            "ref": jax.jit(jax.jacfwd(flat)),
            "fwd": jax.jit(jax.jacfwd(flat)),
            "rev": jax.jit(jax.jacrev(flat)),
        }
        for t in (1e-7, 1e-4, 0.05, 3.0):
            # a kink within float32 rounding of an input (a C0 mode's band edge) is not comparable
            if mode in ("ramp", "boxcar") and bool(
                jnp.any(jnp.abs(jnp.abs(args[0]) - t) < 1e-6 * (1 + jnp.abs(args[0])))
            ):
                continue
            ref = np.asarray(jacs["fwd"](jnp.float64(t), args))
            scale = np.maximum(1.0, np.abs(ref))
            for kind in ("fwd", "rev"):
                got = np.asarray(jacs[kind](jnp.float32(t), xs32), np.float64)
                np.testing.assert_array_less(np.abs(got - ref) / scale, 2e-3, err_msg=f"{kind} t={t}")


# ------------------------------------------------------------------------- dtypes
# Operators on several arrays that broadcast together (not the selections by an index
# distribution, nor the branch callables of control flow).
TWO_ARGS = [
    n for n in NAMES if len(sample(n)[0]) >= 2 and OPS[n].family not in ("sorting", "select", "control")
]


@pytest.mark.parametrize("name", TWO_ARGS)
@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_python_scalar_operands_keep_the_array_dtype(name, dtype):
    """so.clip(x_f16, -1.0, 1.0) is float16, as jnp.clip's result is (weak typing)."""
    args, kwargs = sample(name)
    x = args[0].astype(dtype)
    rest = tuple(float(jnp.ravel(a)[0]) for a in args[1:])
    out = call(name, (x, *rest), kwargs, 0.5)
    for leaf in float_leaves(out):
        assert leaf.dtype == jnp.dtype(dtype)
    # at temperature 0, or on 0/1 inputs for the operators without a temperature
    args = sample(name, hard=not OPS[name].temperature)[0]
    x = args[0].astype(dtype)
    rest = tuple(float(jnp.ravel(a)[0]) for a in args[1:])
    hard = call(name, (x, *rest), kwargs, 0.0)
    want = OPS[name].hard(x, *rest, **kwargs)
    for a, b in zip(float_leaves(hard), float_leaves(want), strict=True):
        assert a.dtype == b.dtype
        if OPS[name].family == "safe":  # arithmetic in float32, rounded once (jnp: in half precision)
            # one ulp of the dtype: backends round half-precision division differently
            eps = float(jnp.finfo(dtype).eps)
            np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=eps)
        else:  # selections and comparisons: exact
            np.testing.assert_array_equal(np.asarray(a, np.float64), np.asarray(b, np.float64))


def test_python_int_bounds_are_accepted_like_jnp():
    x = jnp.linspace(-2.0, 2.0, 5, dtype=jnp.float16)
    np.testing.assert_array_equal(so.clip(x, 0, 1, temperature=0.0), jnp.clip(x, 0, 1))
    assert so.maximum(x, 0).dtype == jnp.float16
    with pytest.raises(TypeError, match="relu expects a floating-point x, got Python int"):
        so.relu(3)


@pytest.mark.parametrize("name", TWO_ARGS)
def test_operands_that_do_not_broadcast_are_a_clear_error(name):
    args, kwargs = sample(name)
    bad = (args[0], jnp.ones(args[0].shape[-1] + 1, args[0].dtype), *args[2:])
    with pytest.raises(ValueError, match=rf"{name} expects operands that broadcast together, got shapes"):
        call(name, bad, kwargs, 0.5)


@pytest.mark.parametrize("name", [n for n in NAMES if OPS[n].straight_through])
def test_straight_through_must_be_a_bool(name):
    args, kwargs = sample(name)
    with pytest.raises(TypeError, match=r"straight_through to be a Python bool"):
        call(name, args, kwargs, 0.5, straight_through="no")


def test_one_sided_clip_reports_errors_as_clip():
    with pytest.raises(TypeError, match="clip expects a floating-point x, got int32"):
        so.clip(jnp.arange(2), -1.0)
    with pytest.raises(ValueError, match="clip: unknown mode"):
        so.clip(jnp.ones(2), None, 1.0, mode="nope")
    with pytest.raises(ValueError, match="clip expects a non-negative temperature"):
        so.clip(jnp.ones(2), -1.0, temperature=-1.0)


def test_keyword_only_options_and_positional_arrays():
    """Arrays are positional-only, every option keyword-only (the STYLE contract)."""
    import inspect

    for name in NAMES:
        params = inspect.signature(OPS[name].fn).parameters.values()
        kinds = {p.name: p.kind for p in params}
        for opt in ("temperature", "mode", "straight_through", "subgradient", "axis"):
            if opt in kinds:
                assert kinds[opt] is inspect.Parameter.KEYWORD_ONLY, (name, opt)
        assert next(iter(params)).kind is inspect.Parameter.POSITIONAL_ONLY, name


@pytest.mark.parametrize("name", [n for n in NAMES if OPS[n].kind in ("relu-like", "step-like")])
def test_array_temperature_broadcasts_elementwise(name):
    args, kwargs = sample(name)
    ts = jnp.linspace(0.0, 2.0, args[0].shape[-1])
    out = call(name, args, kwargs, ts)
    for i, t in enumerate(np.asarray(ts)):
        one = call(name, tuple(a[..., i] if a.ndim else a for a in args), kwargs, float(t))
        np.testing.assert_allclose(np.asarray(out)[..., i], np.asarray(one), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------- jumps at tiny t
@pytest.mark.parametrize(
    ("fn", "x", "mid"),
    [
        (lambda x, t: so.heaviside(x, temperature=t, at_zero=1.0), 0.0, 0.5),
        (lambda x, t: so.floor(x, temperature=t), 0.0, -0.5),
        (lambda x, t: so.round(x, temperature=t), 2.5, 2.5),
        (lambda x, t: so.ceil(x, temperature=t), -1.0, -0.5),
        (lambda x, t: so.greater_equal(x, 1.0, temperature=t), 1.0, 0.5),
        (lambda x, t: so.greater(x, 1.0, temperature=t), 1.0, 0.5),
    ],
)
def test_on_a_jump_every_positive_temperature_gives_the_midpoint(fn, x, mid):
    """Also below the smallest temperature the kernels are evaluated at (1e-18 in float32)."""
    for t in (1e-30, 1e-20, 1e-17, 1e-3):
        assert float(fn(jnp.float32(x), t)) == mid, t


# ------------------------------------------------------------------ check_grads
@pytest.mark.parametrize("name", NAMES)
def test_check_grads_in_float64(name, x64):
    """``jax.test_util.check_grads`` itself (forward and reverse) with respect to the
    input and the temperature, jitted, in the default mode."""
    from jax.test_util import check_grads

    info = OPS[name]
    args, kwargs = sample(name, np.float64)
    f = jax.jit(lambda x, t: call(name, with_primary(name, args, x), kwargs, t))
    order = 2 if info.smoothness() >= 2 else 1
    check_grads(
        f,
        (primary(name, args), jnp.float64(0.7)),
        order=order,
        modes=("fwd", "rev"),
        eps=1e-6,
        atol=1e-5,
        rtol=1e-5,
    )


def test_norm_gradient_where_the_sum_of_squares_underflows():
    g = jax.grad(lambda x: so.norm(x, temperature=0.0))(jnp.array([1e-25, 1e-25], jnp.float32))
    np.testing.assert_allclose(g, [2**-0.5, 2**-0.5], rtol=1e-6)
    g = jax.grad(lambda x: so.norm(x, temperature=0.0))(jnp.array([3e30, 4e30], jnp.float32))
    np.testing.assert_allclose(g, [0.6, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(jax.grad(lambda x: so.norm(x, temperature=0.0))(jnp.zeros(2)), [0.0, 0.0])
    # entries beyond 1 / tiny (~8.5e37), whose reciprocal is subnormal
    for t in (0.0, 1.0, 1e30):
        g = jax.grad(lambda x, t=t: so.norm(x, temperature=t))(jnp.array([3e38, -3e38, 1e38], jnp.float32))
        np.testing.assert_allclose(g, np.array([3.0, -3.0, 1.0]) / 19**0.5, rtol=1e-6)


def test_norm_keeps_its_relative_accuracy_at_large_temperatures():
    """sqrt(|x|^2 + t^2) - t ~ |x|^2 / (2 t) where |x| << t; the ratio |x|^2 / t^2
    underflows long before that value does."""
    for x, t in (([3.0, 4.0], 1e30), ([1.0], 1e20), ([1e-20, 1e-20], 1e-17)):
        want = float(np.sum(np.square(x, dtype=np.float64))) / (2 * t)
        np.testing.assert_allclose(so.norm(jnp.array(x, jnp.float32), temperature=t), want, rtol=1e-5)
    # an infinite temperature: the limit 0, finite derivatives
    for x in (jnp.array([3.0, 4.0]), jnp.zeros(2)):
        assert float(so.norm(x, temperature=jnp.inf)) == 0.0
        np.testing.assert_array_equal(jax.grad(so.norm)(x, temperature=jnp.inf), [0.0, 0.0])
        assert float(jax.grad(lambda t, x=x: so.norm(x, temperature=t))(jnp.inf)) == 0.0


def test_divide_on_the_pole_below_the_smallest_temperature_and_with_infinite_numerators():
    for t in (1e-30, 1e-17, 1.0):
        # the relaxation is 0 on the pole at every t > 0
        np.testing.assert_array_equal(so.divide(np.float32([1.0, 0.0, -3e38]), 0.0, temperature=t), 0.0)
        # an infinite numerator gives the hard limit, on the pole and next to it
        out = so.divide(np.float32([np.inf, np.inf, -np.inf]), np.float32([0.0, 0.1, 0.1]), temperature=t)
        np.testing.assert_array_equal(out, [np.inf, np.inf, -np.inf])
        gt = jax.grad(lambda t: so.divide(np.float32(np.inf), 0.0, temperature=t))(np.float32(t))
        assert float(gt) == 0.0
    g = jax.grad(lambda b: so.divide(1.0, b, temperature=1e-30))(np.float32(0.0))
    assert float(g) == 0.0  # the far field's (hard) rule on the pole below the smallest temperature
    assert float(so.divide(1.0, 0.0, temperature=0.0)) == np.inf  # t = 0: jnp's value


def test_divide_at_a_constant_temperature_gives_the_traced_quotient():
    """A temperature known when tracing (usable, at most 2**64) drops the
    selects that only other temperatures need; a traced one keeps them. Both
    give the same special values (the pole's 0, ``a / b`` for an infinite
    ``a``, NaN) and agree to an ulp elsewhere (two programs: ``1 / t`` is
    folded on the host for the constant)."""
    a = np.float32([1.0, -2.0, 3e38, np.inf, -np.inf, 1.0, np.nan, 1.0, 0.0, 5.0, 1e-30, 7.0, 3e38])
    b = np.float32([0.0, 1e-3, 0.5, 0.0, 0.3, np.inf, 1.0, np.nan, 0.0, 1e30, 1e-38, -2e4, 1e-39])
    for t in (1e-12, 0.3, 1.0, 1e10, 2.0**64):
        constant = jax.jit(lambda a, b, t=t: so.divide(a, b, temperature=t))(a, b)
        traced = jax.jit(lambda a, b, t: so.divide(a, b, temperature=t))(a, b, np.float32(t))
        np.testing.assert_allclose(constant, traced, rtol=2**-22, atol=0, err_msg=str(t))
        special = ~np.isfinite(a) | ~np.isfinite(b) | (b == 0)
        np.testing.assert_array_equal(constant[special], traced[special], err_msg=str(t))
        np.testing.assert_array_equal(constant[b == 0], np.where(np.isfinite(a), 0.0, a)[b == 0])
    # a temperature beyond the dtype's range is not moderate, and no cast warns
    assert float(so.divide(1.0, 2.0, temperature=1e39)) == 0.0


@pytest.mark.parametrize("t", [1.0, 1e-3])
def test_log_and_divide_gradients_next_to_the_pole(t):
    """The far-field form is never differentiated where it is not used (it overflows there)."""
    for x in (1e-20, 1e-30, 1e-38):
        gx = jax.grad(lambda x: so.log(x, temperature=t))(jnp.float32(x))
        np.testing.assert_allclose(gx, 1.0 / (x + t), rtol=1e-5)
        gb = jax.grad(lambda b: so.divide(jnp.float32(1.0), b, temperature=t))(jnp.float32(x))
        np.testing.assert_allclose(gb, 1.0 / t**2, rtol=1e-5)
    for st in (False, True):
        g = jax.grad(lambda x, st=st: so.log(x, temperature=1.0, straight_through=st))(jnp.float32(1e-20))
        assert bool(jnp.isfinite(g))
    assert bool(jnp.isfinite(jax.grad(lambda b: so.divide(1e35, b, temperature=1.0))(jnp.float32(1e-3))))


def _reciprocal(b, **kw):
    return so.divide(1.0, b, **kw)


@pytest.mark.parametrize(
    ("fn", "x"),
    [(so.relu, 1.0), (so.abs, -2.0), (so.heaviside, 0.5), (so.round, 0.3), (_reciprocal, 2.0), (so.log, 3.0)],
)
def test_second_temperature_derivative_finite_far_from_the_kink(fn, x):
    # Far from the kink (|x| > L t) the soft branch is masked out; its kernel must
    # not see the tiny t there (its higher t-derivatives would form 1 / t^3).
    d2 = jax.jit(jax.hessian(lambda t: fn(jnp.asarray([x], jnp.float32), temperature=t).sum()))
    for t in (1e-14, 1e-17):
        assert np.isfinite(d2(jnp.float32(t)))


def test_norm_unit_vector_on_both_paths():
    """The norm's derivative takes 1 / |x| per slice unless some slice's sum of
    squares underflows, overflows or is zero; both paths give the unit vector."""
    f = jax.jit(jax.grad(lambda x, t: so.norm(x, axis=-1, temperature=t).sum()))
    rows = np.array([[3.0, 4.0], [1e-25, 1e-25], [0.0, 0.0], [3e30, 4e30], [-6.0, 8.0]], np.float32)
    want = np.array([[0.6, 0.8], [2**-0.5, 2**-0.5], [0.0, 0.0], [0.6, 0.8], [-0.6, 0.8]])
    np.testing.assert_allclose(f(rows, 0.0), want, rtol=1e-6)  # some slices need x / max|x|
    np.testing.assert_allclose(f(rows[[0, 4]], 0.0), want[[0, 4]], rtol=1e-6)  # every slice direct
    np.testing.assert_allclose(jax.vmap(f, (0, None))(rows[:, None], 0.0)[:, 0], want, rtol=1e-6)
    # off the band at t > 0 (|x| > L t) the hard unit vector is used, on it x / sqrt(|x|^2 + t^2)
    np.testing.assert_allclose(f(rows[[3]], 1e-3), want[[3]], rtol=1e-6)
    np.testing.assert_allclose(f(rows[[0]], 1.0), [[3 / 26**0.5, 4 / 26**0.5]], rtol=1e-6)
    g = jax.grad(lambda x: so.norm(x, temperature=0.0))(jnp.array([np.inf, 1.0], jnp.float32))
    np.testing.assert_array_equal(g, [1.0, 0.0])


def test_norm_temperature_broadcasts_against_the_result():
    x = np.arange(12.0, dtype=np.float32).reshape(3, 4) - 5.0
    t = np.array([0.0, 0.5, 2.0], np.float32)
    want = np.sqrt((x.astype(np.float64) ** 2).sum(-1) + t**2) - t
    np.testing.assert_allclose(so.norm(x, axis=-1, temperature=t), want, rtol=1e-6)
    out = so.norm(x, axis=-1, keepdims=True, temperature=t[:, None])
    np.testing.assert_allclose(out, want[:, None], rtol=1e-6)
    dt = jax.grad(lambda t: so.norm(x, axis=-1, temperature=t).sum())(jnp.asarray(t))
    s = np.sqrt((x.astype(np.float64) ** 2).sum(-1) + t**2)
    np.testing.assert_allclose(dt[1:], (t / s - 1)[1:], rtol=1e-5)


def test_log_sqrt_divide_at_temperatures_beyond_the_squares_range():
    """x + t, t * t and x * x overflow for these; the relaxations do not."""
    v = so.log(jnp.float32(3e38), temperature=1e38)
    np.testing.assert_allclose(v, np.log(4e38), rtol=1e-6)
    # d/dt = 1 / (x + t) = 2.5e-39 is subnormal (flushed on CPU): finite is what can be asked
    assert bool(jnp.isfinite(jax.grad(lambda t: so.log(jnp.float32(3e38), temperature=t))(1e38)))
    np.testing.assert_allclose(
        so.sqrt(jnp.float32(3e38), temperature=1e20), 1e20 * (np.sqrt(1.03) - 1), rtol=1e-5
    )
    np.testing.assert_allclose(so.sqrt(jnp.float32(3e38), temperature=1e38), 1.5, rtol=1e-5)
    np.testing.assert_allclose(so.divide(1e30, jnp.float32(1e30), temperature=1e30), 0.5, rtol=1e-6)
    g = jax.grad(lambda x, t: so.sqrt(x, temperature=t), argnums=(0, 1))(
        jnp.float32(np.inf), jnp.float32(0.5)
    )
    np.testing.assert_array_equal(g, [0.0, -1.0])
    np.testing.assert_array_equal(so.sqrt(jnp.array([np.inf, -1.0]), temperature=0.5), [np.inf, np.nan])


def test_safe_operators_where_intermediates_overflow_but_results_do_not():
    f32 = jnp.float32
    # sqrt: x + t^2 overflows from t ~ 3e15 in float32
    for t in (1e16, 1e18):
        want = t * (np.sqrt(1 + 3.4e38 / t**2) - 1)
        np.testing.assert_allclose(so.sqrt(f32(3.4e38), temperature=t), want, rtol=1e-5)
    g = jax.grad(lambda t: so.sqrt(f32(3.4e38), temperature=t))(f32(1e18))
    np.testing.assert_allclose(g, 1e18 / np.sqrt(3.4e38 + 1e36) - 1, rtol=1e-4)
    # divide: a / t overflows, a b / (b^2 + t^2) does not
    np.testing.assert_allclose(so.divide(f32(1e36), f32(1.0), temperature=1e-3), 1e36 / (1 + 1e-6), rtol=1e-6)
    ga, gt = jax.grad(lambda b, t: so.divide(f32(1e36), b, temperature=t), argnums=(0, 1))(
        f32(1.0), f32(1e-3)
    )
    np.testing.assert_allclose([ga, gt], [-1e36 * (1 - 1e-6) / (1 + 1e-6) ** 2, -2e33], rtol=1e-5)
    # norm: the squares of these entries flush to 0, their quotients by t do not
    np.testing.assert_allclose(so.norm(jnp.array([1e-23], f32), temperature=1e-10), 5e-37, rtol=1e-5)
    np.testing.assert_allclose(
        so.norm(jnp.array([3e-20, 4e-20], f32), temperature=1e-10), 1.25e-29, rtol=1e-5
    )


def test_relaxed_norm_rows_agree_whichever_path_their_batch_takes():
    """A batch with one row whose sum of squares is not a normal number takes
    the general path for every row (extra passes over x); each row's value and
    derivatives must be those it has alone, where ordinary rows take the
    sums-of-squares path."""
    x = jnp.array([[3.0, -4.0], [0.3, 0.1], [1e-25, 2e-25], [3e30, 4e30], [0.0, 0.0]], jnp.float32)
    t = jnp.array([0.5, 2.0, 1e-24, 1e29, 0.5], jnp.float32)
    f = lambda x, t: so.norm(x, axis=-1, temperature=t)
    grads = jax.jacrev(lambda x, t: f(x, t).sum(), argnums=(0, 1))
    gx, gt = grads(x, t)
    for i in range(x.shape[0]):
        one = x[i : i + 1], t[i : i + 1]
        np.testing.assert_allclose(f(x, t)[i], f(*one)[0], rtol=1e-6, err_msg=str(i))
        gxi, gti = grads(*one)
        np.testing.assert_allclose(gx[i], gxi[0], rtol=1e-6, err_msg=str(i))
        np.testing.assert_allclose(gt[i], gti[0], rtol=1e-6, err_msg=str(i))


def test_second_derivatives_at_the_edges_of_the_safe_operators():
    f32 = jnp.float32
    h = jax.hessian(lambda x: so.norm(x, temperature=0.0))(jnp.array([1e-25, 1e-25], f32))
    np.testing.assert_allclose(h, np.array([[1.0, -1.0], [-1.0, 1.0]]) * 0.5**1.5 * 1e25, rtol=1e-5)
    h = jax.hessian(lambda x: so.norm(x, temperature=0.0))(jnp.array([1e-20, 0.0], f32))
    np.testing.assert_allclose(h, [[0.0, 0.0], [0.0, 1e20]], rtol=1e-5)
    for t in (0.0, 1e-30):
        d2 = jax.jit(jax.grad(jax.grad(lambda x, t: so.sqrt(x, temperature=t))))(f32(0.0), f32(t))
        dxdt = jax.jit(jax.grad(jax.grad(lambda x, t: so.sqrt(x, temperature=t)), argnums=1))(
            f32(0.0), f32(t)
        )
        np.testing.assert_array_equal([d2, dxdt], [0.0, 0.0])
    # at t == 0 log's slope 1 / x does not depend on t
    np.testing.assert_array_equal(jax.hessian(lambda t: so.log(f32(1e-20), temperature=t))(f32(0.0)), 0.0)
    assert not np.isnan(jax.hessian(lambda t: so.log(f32(1e-20), temperature=t))(f32(1e-30)))
    for fn in (so.round, so.floor, so.ceil):
        for t in (2e19, 1e30, 3e38):
            h = jax.hessian(lambda x, t, fn=fn: fn(x, temperature=t), argnums=(0, 1))(f32(0.3), f32(t))
            assert np.all(np.isfinite(np.asarray(h))), (fn, t)


def test_hard_sqrt_derivatives_of_every_order(x64):
    """The hard sqrt's derivatives are x^(1/2 - k) times the falling factorial,
    0 at the origin (-0. included) to every order, forward and reverse."""
    f = lambda x: so.sqrt(x, temperature=0.0)
    d1, d2, d3 = jax.grad(f), jax.grad(jax.grad(f)), jax.jacfwd(jax.jacrev(jax.grad(f)))
    x = 2.7
    want = [0.5 * x**-0.5, -0.25 * x**-1.5, 0.375 * x**-2.5]
    np.testing.assert_allclose([d1(x), d2(x), d3(x)], want, rtol=1e-14)
    for zero in (0.0, -0.0):
        np.testing.assert_array_equal([d(jnp.float64(zero)) for d in (d1, d2, d3)], [0.0, 0.0, 0.0])
    for bad in (-1.0, np.nan):
        assert all(np.isnan(d(jnp.float64(bad))) for d in (d1, d2, d3))
    assert [float(d(jnp.float64(np.inf))) for d in (d1, d2, d3)] == [0.0, 0.0, 0.0]


def test_norm_rejects_a_temperature_that_does_not_fit_the_result():
    x = jnp.ones((3, 4))
    for t, kw in [
        ((2,), {}),
        ((2, 1), {"axis": 0}),
        ((2, 3, 1), {"axis": 1, "keepdims": True}),
        ((2, 1), {"axis": 1}),
    ]:
        with pytest.raises(ValueError, match="broadcasts to the result"):
            so.norm(x, temperature=jnp.full(t, 0.5), **kw)
    assert so.norm(x, axis=1, keepdims=True, temperature=jnp.full((3, 1), 0.5)).shape == (3, 1)
    assert so.norm(x, axis=0, temperature=jnp.full((4,), 0.5)).shape == (4,)


# ------------------------------------------------------------ infinite temperature
RELU_LIKE = [n for n in NAMES if OPS[n].kind == "relu-like"]


@pytest.mark.parametrize("name", RELU_LIKE)
def test_infinite_temperature_is_the_capped_one(name):
    """``t * f(x / t)`` at ``t = inf`` is ``inf * 0`` unless the temperature is
    capped: above ``1 / tiny`` (``2**126``) every relu-like operator takes that
    bound, in value and derivatives, and d/dt is 0 there."""
    args, kwargs = sample(name)
    cap = jnp.float32(2.0**126)
    # one mode per kernel path: scale_flat, saturate, and relax's band
    for mode in ("logistic", "gaussian", "algebraic"):
        f = jax.jit(lambda t, mode=mode: call(name, args, kwargs, t, mode))
        g = jax.jit(
            jax.grad(
                lambda x, t, mode=mode: scalarise(call(name, (x, *args[1:]), kwargs, t, mode)),
                argnums=(0, 1),
            )
        )
        want, (gx_want, _) = f(cap), g(args[0], cap)
        assert all_finite(want), mode
        assert all_finite(gx_want), mode
        for t in (jnp.float32(jnp.inf), jnp.float32(3e38)):
            np.testing.assert_array_equal(f(t), want, err_msg=f"{mode} t={t}")
            gx, gt = g(args[0], t)
            np.testing.assert_array_equal(gx, gx_want, err_msg=f"{mode} t={t}")
            assert float(gt) == 0.0, (mode, t, gt)


@pytest.mark.parametrize("name", ["relu", "abs", "maximum", "minimum", "clip"])
def test_derivative_where_x_over_t_underflows(name):
    """|x| / t below the smallest normal float flushes to 0 on CPU: the kink's
    derivative must then be read from the same flushed ratio as the smoothing's,
    so that they add up to the relaxation's derivative (1/2 at a relu's kink,
    not the hard 0 or 1), in every mode, forward and reverse."""
    # The relaxation's derivative in x at |x| << t: the step at 0, 1/2.
    want = {"relu": 0.5, "abs": 0.0, "maximum": 0.5, "minimum": 0.5, "clip": 0.0}[name]
    operand = {"maximum": (0.0,), "minimum": (0.0,), "clip": (-1e-9, 1e-9)}.get(name, ())
    x = jnp.array([1e-9, -1e-9, 3e-10], jnp.float32)
    for mode in ("logistic", "algebraic"):  # relax_saturated's kernels and relax's
        for t in (1e30, 1e37):
            f = lambda x, mode=mode, t=t: OPS[name].fn(x, *operand, temperature=t, mode=mode)
            g = jax.grad(lambda x, f=f: jnp.sum(f(x)))(x)
            np.testing.assert_allclose(g, want, atol=1e-6, err_msg=f"{mode} t={t}")
            if t == 1e30:  # (forward mode: see the note on capped temperatures)
                _, d = jax.jvp(f, (x,), (jnp.ones_like(x),))
                np.testing.assert_allclose(d, want, atol=1e-6, err_msg=f"{mode} t={t} jvp")
    # the capped infinite temperature, reverse mode
    g = jax.grad(lambda x: jnp.sum(OPS[name].fn(x, *operand, temperature=jnp.inf)))(x)
    np.testing.assert_allclose(g, want, atol=1e-6)


def test_infinite_temperature_gives_no_nan_with_infinite_entries_or_a_relative_scale():
    """t = inf: logsumexp-type values (m + t log(...)) meet inf * 0 on -inf entries
    and padding unless t is taken as the largest float; a relative temperature (t * spread) must not
    send inf * 0 into the spread's gradient; clip without bounds is x itself."""
    inf = jnp.float32(jnp.inf)
    row = jnp.array([1.0, -jnp.inf, 0.5], jnp.float32)
    for f in (
        lambda x, t: so.logsumexp(x, temperature=t),
        lambda x, t: so.max(x, temperature=t, mode="logsumexp"),
        lambda x, t: so.min(-x, temperature=t, mode="logsumexp"),
        lambda x, t: so.max_pool(x[None], (2,), padding="SAME", temperature=t, mode="logsumexp"),
    ):
        for t in (inf, jnp.float32(3e38)):
            assert all_finite(f(row, t)), t
            assert all_finite(jax.grad(lambda x, t=t, f=f: jnp.sum(f(x, t)))(row)), t
            assert all_finite(jax.grad(lambda t, f=f: jnp.sum(f(row, t)))(t)), t
    x = jnp.array([0.0, 10.0, 20.0, 30.0, 40.0])
    w = jnp.linspace(-1.0, 1.0, 5)  # a weighted sum: a plain one has a constant gradient
    for f in (
        lambda x, t: so.sort(x, temperature=t, scale="relative"),
        lambda x, t: so.rank(x, temperature=t, scale="relative"),
        lambda x, t: so.quantile(x, 0.3, temperature=t, scale="relative"),
        lambda x, t: so.top_k_mask(x, 2, temperature=t, scale="relative"),
    ):
        g = jax.grad(lambda x, f=f: jnp.sum(w[: jnp.size(f(x, inf))] * jnp.ravel(f(x, inf))))(x)
        assert all_finite(g), g
        assert float(jax.grad(lambda t, f=f: jnp.sum(f(x, t)))(inf)) == 0.0
    np.testing.assert_array_equal(so.clip(jnp.array([1.0, -2.0, -0.0]), temperature=inf), [1.0, -2.0, -0.0])
    assert bool(jnp.signbit(so.clip(jnp.float32(-0.0), temperature=inf)))


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if n != "norm"])
def test_a_temperature_that_does_not_broadcast_is_a_clear_error(name):
    args, kwargs = sample(name)
    bad = jnp.ones(args[0].shape[-1] + 1, jnp.float32)
    for t in (bad, np.zeros(bad.shape, np.float32)):  # the relaxation, and the hard path of a concrete 0
        with pytest.raises(
            ValueError, match=rf"{name}: temperature of shape \({bad.size},\) does not broadcast"
        ):
            call(name, args, kwargs, t)
