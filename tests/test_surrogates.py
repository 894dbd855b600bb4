"""Surrogate gradients for spiking networks: ``heaviside`` with straight_through=True.

The forward pass must be the exact spike ``jnp.heaviside(v, 0.5)``; the backward
pass must be the published surrogate derivative, written out here independently
of softops' kernels (with the inverse temperature as the sharpness parameter).
"""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import softops as so

# Derivative of the surrogate step at membrane potential v, sharpness 1 / t.
# Each is normalised to integrate to 1 over v (so it is a proper smoothed delta).
SURROGATE_GRADS = {
    # Fang et al. 2021 (SpikingJelly ATan): g'(v) = (alpha / 2) / (1 + (pi alpha v / 2)^2).
    "arctan": lambda v, t: (0.5 / t) / (1.0 + (0.5 * math.pi * v / t) ** 2),
    # Zenke & Ganguli 2018 (SuperSpike): proportional to 1 / (1 + beta |v|)^2, beta = 1 / t.
    "fast_sigmoid": lambda v, t: (0.5 / t) / (1.0 + np.abs(v) / t) ** 2,
    # Esser et al. 2016 / Bellec et al. 2018: triangle max(0, 1 - |v| / t) / t.
    "triangular": lambda v, t: np.maximum(0.0, 1.0 - np.abs(v) / t) / t,
    # Wu et al. 2018 (rectangular): 1 / (2 t) on |v| < t.
    "boxcar": lambda v, t: np.where(np.abs(v) < t, 0.5 / t, 0.0),
}
TOL = {"float32": 1e-6, "float64": 1e-12}

# Membrane potentials on a grid shifted off the boxcar's and the triangle's edges |v| = t.
V = np.concatenate([np.linspace(-3.0, 3.0, 61) + 0.0137, [0.0, 0.05, -0.05, 1e-4]])


def _spike(mode, t):
    return lambda v: so.heaviside(v, temperature=t, mode=mode, straight_through=True)


@pytest.mark.parametrize("mode", sorted(SURROGATE_GRADS))
@pytest.mark.parametrize("t", [0.3, 1.0, 2.0])
def test_forward_is_exact_spike(mode, t):
    v = jnp.asarray(V, jnp.float32)
    out = _spike(mode, t)(v)
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(out), np.heaviside(V.astype(np.float32), 0.5))


@pytest.mark.parametrize("mode", sorted(SURROGATE_GRADS))
@pytest.mark.parametrize("t", [0.3, 1.0, 2.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_is_published_surrogate(mode, t, dtype):
    with jax.enable_x64(dtype == "float64"):
        v = jnp.asarray(V, dtype)
        g = jax.vmap(jax.grad(_spike(mode, t)))(v)
        assert g.dtype == jnp.dtype(dtype)
        expected = SURROGATE_GRADS[mode](V, t)
        np.testing.assert_allclose(np.asarray(g), expected, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("mode", sorted(SURROGATE_GRADS))
def test_surrogate_integrates_to_one(mode, x64):
    """The surrogate is a smoothed delta: its integral over v is 1 (the jump's height)."""
    v = np.linspace(-400.0, 400.0, 200_001) + 1e-3  # off the boxcar's edges
    g = np.asarray(jax.vmap(jax.grad(_spike(mode, 1.0)))(jnp.asarray(v)))
    integral = float(np.trapezoid(g, v))
    # arctan's and the fast sigmoid's heavy tails leave ~1/(pi^2 * 400 / 4) and 1/400 outside.
    assert abs(integral - 1.0) < 3e-3


@pytest.mark.parametrize("mode", sorted(SURROGATE_GRADS))
def test_forward_mode_matches_reverse(mode):
    f = _spike(mode, 0.7)
    v = jnp.asarray([-0.4, 0.0, 0.3, 1.5], jnp.float32)
    chex.assert_trees_all_close(jax.jacfwd(f)(v), jax.jacrev(f)(v), rtol=1e-6)


def _lif_loss(params, inputs, mode, t, beta=0.9, threshold=1.0):
    """A leaky integrate-and-fire layer over time with reset by subtraction."""
    w = params["w"]

    def step(v, x_t):
        v = beta * v + x_t @ w
        s = so.heaviside(v - threshold, temperature=t, mode=mode, straight_through=True)
        return v - s * threshold, s

    v0 = jnp.zeros((inputs.shape[1], w.shape[1]), inputs.dtype)
    _, spikes = lax.scan(step, v0, inputs)
    rate = spikes.mean(axis=0)  # (batch, neurons)
    target = jnp.asarray([[1.0, 0.0]], inputs.dtype)
    return jnp.mean((rate - target) ** 2), spikes


@pytest.mark.parametrize("mode", sorted(SURROGATE_GRADS))
def test_lif_neuron_trains_one_step(mode, key):
    k1, k2 = jax.random.split(key)
    inputs = jax.random.uniform(k1, (8, 4, 3), jnp.float32) * 1.5  # time, batch, features
    params = {"w": jax.random.normal(k2, (3, 2), jnp.float32) * 0.3 + 0.3}
    (loss, spikes), grads = jax.value_and_grad(_lif_loss, has_aux=True)(params, inputs, mode, 2.0)
    # Forward: genuine binary spikes.
    assert set(np.unique(np.asarray(spikes)).tolist()) <= {0.0, 1.0}
    assert np.all(np.isfinite(np.asarray(grads["w"])))
    assert float(jnp.abs(grads["w"]).max()) > 0.0  # the surrogate lets gradient through
    # Training with the surrogate gradient lowers the (piecewise constant) loss:
    # neuron 0 learns to fire, neuron 1 to stay silent.
    step = jax.jit(
        lambda p: jax.tree_util.tree_map(
            lambda w, g: w - 2.0 * g, p, jax.grad(lambda q: _lif_loss(q, inputs, mode, 2.0)[0])(p)
        )
    )
    trained = params
    for _ in range(40):
        trained = step(trained)
    final, _ = _lif_loss(trained, inputs, mode, 2.0)
    assert np.isfinite(float(final))
    assert float(final) < 0.5 * float(loss), (float(loss), float(final))
