"""NumPy/SciPy float64 references for argmax/argmin/max/min/logsumexp and the pools.

The sparse maps are found by root-finding the normaliser with ``scipy.optimize.brentq``
(not by the sort used in softops), so the two computations are independent.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp as sp_logsumexp


def _rowwise(fn, z, axis):
    z = np.moveaxis(np.asarray(z, np.float64), axis, -1)
    out = np.apply_along_axis(fn, -1, z)
    return np.moveaxis(out, -1, axis)


def _softmax_1d(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _sparsemax_1d(z):
    f = lambda tau: np.maximum(z - tau, 0.0).sum() - 1.0
    tau = brentq(f, z.max() - 1.0, z.max(), xtol=1e-15, rtol=1e-15)
    return np.maximum(z - tau, 0.0)


def _entmax15_1d(z):
    h = z / 2.0
    f = lambda tau: (np.maximum(h - tau, 0.0) ** 2).sum() - 1.0
    tau = brentq(f, h.max() - 1.0, h.max(), xtol=1e-15, rtol=1e-15)
    p = np.maximum(h - tau, 0.0) ** 2
    return p / p.sum()


_MAPS = {"softmax": _softmax_1d, "sparsemax": _sparsemax_1d, "entmax15": _entmax15_1d}


def distribution(x, t, mode, axis=-1):
    """The soft argmax of ``x`` at temperature ``t > 0`` (float64)."""
    return _rowwise(_MAPS[mode], np.asarray(x, np.float64) / t, axis)


def soft_max(x, t, mode, axis=-1, keepdims=False):
    x = np.asarray(x, np.float64)
    if mode == "logsumexp":
        out = t * sp_logsumexp(x / t, axis=axis, keepdims=True)
    else:
        out = np.sum(distribution(x, t, mode, axis) * x, axis=axis, keepdims=True)
    return out if keepdims else np.squeeze(out, axis)


def _argmax(args, kwargs, t, mode):
    return distribution(args[0], t, mode, kwargs.get("axis", -1))


def _argmin(args, kwargs, t, mode):
    return distribution(-np.asarray(args[0], np.float64), t, mode, kwargs.get("axis", -1))


def _max(args, kwargs, t, mode):
    return soft_max(args[0], t, mode, kwargs.get("axis", -1), kwargs.get("keepdims", False))


def _min(args, kwargs, t, mode):
    return -soft_max(
        -np.asarray(args[0], np.float64), t, mode, kwargs.get("axis", -1), kwargs.get("keepdims", False)
    )


def _logsumexp(args, kwargs, t, mode):
    return soft_max(args[0], t, "logsumexp", kwargs.get("axis", -1), kwargs.get("keepdims", False))


# ------------------------------------------------------------------ pooling
def _pads(spatial, window, strides, padding):
    if not isinstance(padding, str):
        return [tuple(p) for p in padding]
    if padding.upper() == "VALID":
        return [(0, 0)] * len(window)
    pads = []
    for d, w, s in zip(spatial, window, strides, strict=True):
        out = math.ceil(d / s)
        total = max((out - 1) * s + w - d, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def pool(x, window_shape, strides=None, padding="VALID", *, reduce, fill):
    """Apply ``reduce`` (a function of a flat window) to every window, by explicit loops."""
    x = np.asarray(x, np.float64)
    window = tuple(window_shape)
    n = len(window)
    strides = (1,) * n if strides is None else tuple(strides)
    spatial = x.shape[x.ndim - n :]
    pads = _pads(spatial, window, strides, padding)
    xp = np.pad(x, [(0, 0)] * (x.ndim - n) + pads, constant_values=fill)
    out_dims = [
        (d + lo + hi - w) // s + 1 for d, (lo, hi), w, s in zip(spatial, pads, window, strides, strict=True)
    ]
    lead = x.shape[: x.ndim - n]
    out = np.empty(lead + tuple(out_dims))
    for idx in itertools.product(*(range(o) for o in out_dims)):
        sl = tuple(slice(i * s, i * s + w) for i, s, w in zip(idx, strides, window, strict=True))
        win = xp[(Ellipsis, *sl)].reshape(lead + (-1,))
        out[(Ellipsis, *idx)] = np.apply_along_axis(reduce, -1, win) if lead else reduce(win)
    return out


def _soft_window_max(t, mode):
    def reduce(w):
        w = w[np.isfinite(w) | (w > 0)]  # padding (-inf) carries no weight
        if mode == "logsumexp":
            return t * sp_logsumexp(w / t)
        return float(np.sum(_softmax_1d(w / t) * w))

    return reduce


def _max_pool(args, kwargs, t, mode):
    return pool(args[0], **kwargs, reduce=_soft_window_max(t, mode), fill=-np.inf)


def _min_pool(args, kwargs, t, mode):
    return -pool(-np.asarray(args[0], np.float64), **kwargs, reduce=_soft_window_max(t, mode), fill=-np.inf)


def _avg_pool(args, kwargs, t, mode):
    kw = {k: v for k, v in kwargs.items() if k != "count_include_pad"}
    n = math.prod(kw["window_shape"])
    return pool(args[0], **kw, reduce=lambda w: np.sum(w) / n, fill=0.0)


REFERENCES = {
    "argmax": _argmax,
    "argmin": _argmin,
    "max": _max,
    "min": _min,
    "logsumexp": _logsumexp,
    "max_pool": _max_pool,
    "min_pool": _min_pool,
    "avg_pool": _avg_pool,
}
