"""NumPy float64 references for the operators without a temperature (logic on soft
booleans, selection by index distributions, soft control flow) and for switch.

The functions inside the registry samples (branches, conditions, loop bodies) use
arithmetic only and are called here on NumPy arrays.
"""

import numpy as np


def _and(p, q, mode):
    return {"product": p * q, "lukasiewicz": np.maximum(p + q - 1.0, 0.0), "goedel": np.minimum(p, q)}[mode]


def _or(p, q, mode):
    return {"product": p + q - p * q, "lukasiewicz": np.minimum(p + q, 1.0), "goedel": np.maximum(p, q)}[mode]


def _xor(p, q, mode):
    return {
        "product": p + q - 2.0 * p * q,
        "lukasiewicz": np.abs(p - q),
        "goedel": np.maximum(np.minimum(p, 1.0 - q), np.minimum(1.0 - p, q)),
    }[mode]


def _all(p, axis, mode):
    if mode == "product":
        return np.prod(p, axis=axis)
    if mode == "lukasiewicz":
        return np.maximum(1.0 - np.sum(1.0 - p, axis=axis), 0.0)
    return np.min(p, axis=axis)


def _any(p, axis, mode):
    return 1.0 - _all(1.0 - p, axis, mode)


def _take(a, dist, axis):
    pre, post = a.shape[:axis], a.shape[axis + 1 :]
    r = np.tensordot(dist, np.moveaxis(a, axis, 0), axes=([-1], [0]))  # index + pre + post
    k = dist.ndim - 1
    order = [*range(k, k + len(pre)), *range(k), *range(k + len(pre), k + len(pre) + len(post))]
    return np.transpose(r, order)


def _take_along_axis(a, dist, axis):
    return np.sum(dist * np.expand_dims(np.moveaxis(a, axis, -1), axis), axis=-1)


def _dynamic_index(a, dist, axis=0, keepdims=True):
    out = sum(d * np.take(a, k, axis=axis) for k, d in enumerate(dist))
    return np.expand_dims(out, axis) if keepdims else out


def _dynamic_slice(a, dist, size, axis=0):
    n = a.shape[axis]
    return sum(
        d * np.take(a, np.arange(min(max(s, 0), n - size), min(max(s, 0), n - size) + size), axis=axis)
        for s, d in enumerate(dist)
    )


def _softmax(w, t):
    z = w / t
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def _switch(args, kw, t, mode):
    w, branches, *ops = args
    pi = _softmax(np.asarray(w, np.float64), t)
    return sum(p * np.asarray(b(*ops), np.float64) for p, b in zip(pi, branches, strict=True))


def _piecewise(x, condlist, funclist):
    n = len(condlist)
    pieces = [f(x) if callable(f) else f + 0.0 * x for f in funclist]
    default = pieces[n] if len(pieces) > n else 0.0 * x
    result, above = 0.0 * x, np.ones_like(x)
    for i in reversed(range(n)):  # w_i = c_i prod_{j > i} (1 - c_j)
        result = result + condlist[i] * above * pieces[i]
        above = above * (1.0 - condlist[i])
    return result + above * default


def _while_loop(cond_fn, body_fn, init, max_iterations):
    state, alive, acc = init, np.ones_like(init), np.zeros_like(init)
    for _ in range(max_iterations):
        c = cond_fn(state)
        acc = acc + alive * (1.0 - c) * state
        alive = alive * c
        state = body_fn(state)
    return acc + alive * state


REFERENCES = {
    "logical_not": lambda args, kw, t, mode: 1.0 - args[0],
    "logical_and": lambda args, kw, t, mode: _and(*args, mode),
    "logical_or": lambda args, kw, t, mode: _or(*args, mode),
    "logical_xor": lambda args, kw, t, mode: _xor(*args, mode),
    "all": lambda args, kw, t, mode: _all(args[0], kw.get("axis"), mode),
    "any": lambda args, kw, t, mode: _any(args[0], kw.get("axis"), mode),
    "where": lambda args, kw, t, mode: args[0] * args[1] + (1.0 - args[0]) * args[2],
    "take": lambda args, kw, t, mode: _take(*args, kw["axis"]),
    "take_along_axis": lambda args, kw, t, mode: _take_along_axis(*args, kw["axis"]),
    "choose": lambda args, kw, t, mode: sum(args[0][..., k] * c for k, c in enumerate(args[1])),
    "dynamic_index_in_dim": lambda args, kw, t, mode: _dynamic_index(*args, **kw),
    "dynamic_slice_in_dim": lambda args, kw, t, mode: _dynamic_slice(*args, **kw),
    "switch": _switch,
    "cond": lambda args, kw, t, mode: args[0] * args[1](*args[3:]) + (1.0 - args[0]) * args[2](*args[3:]),
    "piecewise": lambda args, kw, t, mode: _piecewise(*args),
    "while_loop": lambda args, kw, t, mode: _while_loop(*args, **kw),
}
