"""Quickstart: learn the thresholds of a staircase that hard steps cannot learn.

The target is a staircase with three unknown jump locations. The model is a sum
of steps, ``sum_k w_k * heaviside(x - b_k)``, clipped to the output range. With
hard steps (temperature 0) the loss is piecewise constant in the thresholds
``b_k``: their gradient is exactly zero and they never move. With softops the
steps are sigmoids whose temperature an optax schedule anneals to 0 inside one
jitted training step (the temperature is a traced argument: no recompilation),
so the model ends as an exact hard staircase with learned jumps.

Run: ``make demo`` (or ``python examples/quickstart.py --epochs 8``).
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import optax

import softops as so

TRUE_JUMPS = jnp.array([-1.2, 0.4, 1.5])
TRUE_HEIGHTS = jnp.array([1.0, -2.0, 1.5])


def staircase(params, x, temperature):
    steps = so.heaviside(x[:, None] - params["b"][None, :], temperature=temperature)
    y = params["c"] + steps @ params["w"]
    return so.clip(y, -2.0, 2.0, temperature=temperature)


def make_data(key, n=512):
    x = jax.random.uniform(key, (n,), minval=-3.0, maxval=3.0)
    y = jnp.sum(jnp.where(x[:, None] > TRUE_JUMPS, TRUE_HEIGHTS, 0.0), axis=1)
    return x, jnp.clip(y, -2.0, 2.0)


def main(epochs: int = 40, steps_per_epoch: int = 50, verbose: bool = True) -> dict:
    key = jax.random.PRNGKey(0)
    x, y = make_data(key)
    init = {"b": jnp.array([-2.0, 0.0, 2.0]), "w": jnp.array([0.5, 0.5, 0.5]), "c": jnp.zeros(())}
    total = epochs * steps_per_epoch
    # Anneal the temperature from 0.3 to exactly 0 over the first 90% of training
    # and keep training hard after that; decay the learning rate alongside so
    # Adam's momentum does not carry the thresholds once their gradient is gone.
    anneal = int(0.9 * total)
    schedule = optax.join_schedules(
        [optax.cosine_decay_schedule(0.3, anneal), optax.constant_schedule(0.0)], [anneal]
    )
    opt = optax.adam(optax.cosine_decay_schedule(0.05, total, alpha=0.01))

    def loss_fn(params, temperature):
        return jnp.mean((staircase(params, x, temperature) - y) ** 2)

    traces = []  # one entry per trace of train_step, i.e. per compilation

    @jax.jit
    def train_step(params, state, temperature):
        traces.append(None)  # (runs only while jax traces the step)
        loss, grads = jax.value_and_grad(loss_fn)(params, temperature)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    def run(params, temperature_of_step):
        state = opt.init(params)
        rows, seen = [], set()
        for epoch in range(epochs):
            for s in range(steps_per_epoch):
                t = temperature_of_step(epoch * steps_per_epoch + s)
                seen.add(t)
                params, state, loss = train_step(params, state, jnp.asarray(t, jnp.float32))
            soft_out = staircase(params, x, jnp.float32(t))
            hard_out = staircase(params, x, jnp.float32(0.0))
            rows.append(
                (
                    epoch,
                    float(loss),
                    float(t),
                    float(jnp.max(jnp.abs(soft_out - hard_out))),
                    float(loss_fn(params, 0.0)),
                )
            )
        return params, rows, len(seen)

    annealed, rows, n_temperatures = run(init, lambda i: float(schedule(i)))
    hard_only, hard_rows, _ = run(init, lambda i: 0.0)
    compiles = len(traces)

    if verbose:
        print("softops quickstart: learning the jump locations of a staircase\n")
        print(f"{'epoch':>5} {'loss':>9} {'temperature':>12} {'|soft-hard|':>12} {'hard loss':>10}")
        for epoch, loss, t, gap, hard_loss in rows:
            if epoch % max(1, epochs // 10) == 0 or epoch == epochs - 1:
                print(f"{epoch:>5} {loss:>9.4f} {t:>12.4f} {gap:>12.2e} {hard_loss:>10.4f}")
        print(
            f"\ntrain_step compiled {compiles} time(s) for {2 * total} steps at "
            f"{n_temperatures} distinct temperatures"
        )
        print(f"learned jumps  : {jnp.sort(annealed['b']).round(3).tolist()}")
        print(f"true jumps     : {TRUE_JUMPS.tolist()}")
        print(f"final hard-model loss, annealed training     : {rows[-1][4]:.5f}")
        print(
            f"final hard-model loss, hard steps throughout : {hard_rows[-1][4]:.5f}"
            "  (zero gradient: the thresholds never move)"
        )
        g = jax.grad(loss_fn)(init, 0.0)["b"]
        print(f"d loss / d thresholds with hard steps at init: {g.tolist()}")
    return {
        "rows": rows,
        "hard_rows": hard_rows,
        "params": annealed,
        "compiles": compiles,
        "temperatures": n_temperatures,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--steps-per-epoch", type=int, default=50)
    args = parser.parse_args()
    main(args.epochs, args.steps_per_epoch)
