"""Every registered operator under ``jit`` with sharded inputs, against one device.

Run as a script in its own process (``tests/test_sharding.py`` does), because
the number of host CPU devices is fixed when jax starts:

    XLA_FLAGS=--xla_force_host_platform_device_count=4 python tests/sharding_main.py

Two layouts, each compared (values and gradients) with the same jitted
function on unsharded inputs:

* a batch of examples sharded over 4 devices (``vmap`` over the leading
  axis, one temperature per example, one of them 0), the way a data-parallel
  training step shards its batch; the outputs must stay sharded;
* the operated axis itself sharded (sort, top-k, reductions, pooling on a
  2 x 2 mesh), which makes XLA insert the collectives.

Prints one line per failure and exits with status 1 if there is any.
"""

from __future__ import annotations

import sys
import traceback

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import softops as so

BATCH = 8
TEMPERATURES = np.array([0.0, 0.3, 0.6, 1.0, 2.0, 0.05, 0.8, 1.5], np.float32)
RTOL = ATOL = 2e-6


def _close(got, want, what):
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=RTOL, atol=ATOL, err_msg=what)


def _scalar(tree):
    """A random linear functional of the outputs: a plain sum would have a zero or
    constant gradient for several operators (ranks and soft permutations sum to
    constants), which tests nothing."""
    rng = np.random.default_rng(0)
    total = 0.0
    for leaf in jax.tree_util.tree_leaves(tree):
        if jnp.issubdtype(leaf.dtype, jnp.inexact):
            total = total + jnp.sum(leaf * rng.standard_normal(leaf.shape).astype(leaf.dtype))
    return total


def _value_and_grad(fn, args):
    floats = tuple(i for i, a in enumerate(args) if jnp.issubdtype(a.dtype, jnp.inexact))

    def loss(*a):
        out = fn(*a)
        return _scalar(out), out

    (_, value), grad = jax.value_and_grad(loss, argnums=floats, has_aux=True)(*args)
    return value, grad


def _compare(what, got, want, batch_sharded):
    (got_v, got_g), (want_v, want_g) = got, want
    _close(got_v, want_v, f"{what}: value")
    _close(got_g, want_g, f"{what}: gradient")
    for name, tree in (("value", got_v), ("gradient", got_g)):
        if not all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree_util.tree_leaves(tree)):
            raise AssertionError(f"{what}: non-finite {name}")
    # Values must stay split over the batch (no gather to one device). Gradients
    # may legitimately come back replicated: one that does not depend on the
    # inputs (avg_pool's, argsort's zero) is folded to a constant.
    if batch_sharded:
        for leaf in jax.tree_util.tree_leaves(got_v):
            spec = getattr(leaf.sharding, "spec", None)
            if leaf.ndim and (spec is None or len(spec) == 0 or spec[0] != "b"):
                raise AssertionError(f"{what}: value lost the batch sharding ({leaf.sharding})")


def _run(cases, batch_sharded):
    """Values and gradients of ``cases`` sharded as given against one device.

    All cases go through one jitted function (two compilations for the lot,
    not two per case); if that fails, each case is run alone to name the
    culprit. Returns the names of the failing cases."""
    one = jax.devices()[0]
    local = [[jax.device_put(a, one) for a in args] for _, _, args, _ in cases]
    placed = [[jax.device_put(a, s) for a, s in zip(args, sh, strict=True)] for _, _, args, sh in cases]
    fns = [fn for _, fn, _, _ in cases]
    every = jax.jit(lambda arg_lists: [_value_and_grad(f, a) for f, a in zip(fns, arg_lists, strict=True)])
    try:
        pairs = zip(every(placed), every(local), strict=True)
    except Exception:  # noqa: BLE001 - one case broke the batch: find it
        if len(cases) == 1:
            print(f"FAIL {cases[0][0]}\n{traceback.format_exc(limit=3)}")
            return [cases[0][0]]
        return [name for case in cases for name in _run([case], batch_sharded)]
    failures = []
    for (what, *_), (got, want) in zip(cases, pairs, strict=True):
        try:
            _compare(what, got, want, batch_sharded)
        except Exception:  # noqa: BLE001 - report every failing operator, then fail
            failures.append(what)
            print(f"FAIL {what}\n{traceback.format_exc(limit=3)}")
    return failures


def batch_cases(mesh):
    """One case per registered operator: a sharded batch of its registry sample.

    Array arguments are stacked and sharded (each array of a tuple, such as
    ``choose``'s choices, on its own); callables and ints are the same for every
    example. Operators without a temperature ignore the batch's temperatures."""
    shard = NamedSharding(mesh, P("b"))
    for name, info in so.operators().items():
        samples = [info.sample(jax.random.PRNGKey(seed), "float32") for seed in range(BATCH)]
        first, kwargs = samples[0]
        layout, stacked = [], []
        for i, a in enumerate(first):
            if isinstance(a, np.ndarray):
                layout.append(("array", None))
                stacked.append(np.stack([s[0][i] for s in samples]))
            elif isinstance(a, tuple) and all(isinstance(x, np.ndarray) for x in a):
                layout.append(("tuple", len(a)))
                stacked += [np.stack([s[0][i][j] for s in samples]) for j in range(len(a))]
            else:
                layout.append(("static", a))

        def rebuild(xs, layout=layout):
            it, args = iter(xs), []
            for kind, v in layout:
                args.append(
                    next(it)
                    if kind == "array"
                    else tuple(next(it) for _ in range(v))
                    if kind == "tuple"
                    else v
                )
            return args

        def fn(*a, info=info, kwargs=kwargs, rebuild=rebuild):
            *arrays, t = a

            def per_example(*e):
                opts = {"temperature": e[-1]} if info.temperature else {}
                return info.fn(*rebuild(e[:-1]), **kwargs, **opts)

            return jax.vmap(per_example)(*arrays, t)

        yield (name, fn, (*stacked, TEMPERATURES), (shard,) * (len(stacked) + 1))


def axis_cases(mesh):
    """Operators whose operated axis is split over the mesh's ``c`` devices."""
    x = np.asarray(jax.random.normal(jax.random.PRNGKey(1), (4, 64), "float32"))
    img = np.asarray(jax.random.normal(jax.random.PRNGKey(3), (2, 4, 8, 8), "float32"))
    t = np.float32(0.4)
    rows = NamedSharding(mesh, P("r", "c"))
    spatial = NamedSharding(mesh, P(None, "r", None, "c"))
    full = NamedSharding(mesh, P())
    # One of each kind of kernel: the isotonic solve (sort; top_k adds a
    # gather), a threshold search, a softmax expectation, a norm.
    by_rows = [
        ("sort relative", lambda x, t: so.sort(x, temperature=t, scale="relative")),
        ("top_k", lambda x, t: so.top_k(x, 5, temperature=t)),
        ("max[entmax15]", lambda x, t: so.max(x, temperature=t, mode="entmax15")),
        ("max[softmax]", lambda x, t: so.max(x, temperature=t)),
        ("norm", lambda x, t: so.norm(x, axis=-1, temperature=t)),
    ]
    for what, fn in by_rows:
        yield (f"{what} (axis sharded)", fn, (x, t), (rows, full))
    for pool in (so.max_pool, so.avg_pool):
        yield (
            f"{pool.__name__} (spatial axes sharded)",
            lambda x, t, pool=pool: pool(x, (3, 3), padding="SAME", temperature=t),
            (img, t),
            (spatial, full),
        )


def main() -> int:
    devices = jax.devices()
    if len(devices) < 4:
        print(f"need 4 devices, have {len(devices)}: set XLA_FLAGS=--xla_force_host_platform_device_count=4")
        return 2
    batch_mesh = Mesh(np.array(devices[:4]), ("b",))
    grid = Mesh(np.array(devices[:4]).reshape(2, 2), ("r", "c"))
    failures, count = [], 0
    for mesh, cases, batch in ((batch_mesh, batch_cases, True), (grid, axis_cases, False)):
        cases = list(cases(mesh))
        count += len(cases)
        failures += _run(cases, batch)
    print(f"{count - len(failures)} of {count} sharded cases agree with one device")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
