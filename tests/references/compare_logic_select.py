"""NumPy float64 references for the comparisons (soft booleans) and selection.

Textbook formulas evaluated naively in float64 (accurate at the moderate inputs
the tests use); no jax or softops.
"""

import numpy as np
from scipy import special


def step(mode, u):
    """The mode's smooth step (a CDF), written from its definition."""
    u = np.asarray(u, np.float64)
    if mode == "logistic":
        return 1.0 / (1.0 + np.exp(-u))
    if mode == "algebraic":
        return 0.5 + 0.5 * u / np.sqrt(1.0 + u * u)
    if mode == "gaussian":
        return 0.5 * (1.0 + special.erf(u / np.sqrt(2.0)))
    v = np.clip(0.5 * (u + 1.0), 0.0, 1.0)
    if mode in ("ramp", "boxcar"):
        return v
    if mode == "cubic":
        return v * v * (3.0 - 2.0 * v)
    if mode == "quintic":
        return v**3 * (6.0 * v * v - 15.0 * v + 10.0)
    if mode == "arctan":
        return 0.5 + np.arctan(0.5 * np.pi * u) / np.pi
    if mode == "fast_sigmoid":
        return 0.5 + 0.5 * u / (1.0 + np.abs(u))
    if mode == "triangular":
        w = np.clip(u, -1.0, 1.0)
        return np.where(w < 0, 0.5 * (1.0 + w) ** 2, 1.0 - 0.5 * (1.0 - w) ** 2)
    raise KeyError(mode)


def _greater(args, kw, t, mode):
    a, b = args
    return step(mode, (a - b) / t)


def _less(args, kw, t, mode):
    a, b = args
    return step(mode, (b - a) / t)


def _equal(args, kw, t, mode):
    a, b = args
    s = 2.0 * step(mode, (a - b) / t) - 1.0  # the soft sign
    return 1.0 - s * s


def _isclose(args, kw, t, mode):
    a, b = args
    tau = kw.get("atol", 1e-8) + kw.get("rtol", 1e-5) * np.abs(b)
    d = a - b
    return step(mode, (tau + d) / t) * step(mode, (tau - d) / t) / step(mode, tau / t) ** 2


REFERENCES = {
    "greater": _greater,
    "greater_equal": _greater,
    "less": _less,
    "less_equal": _less,
    "equal": _equal,
    "not_equal": lambda args, kw, t, mode: 1.0 - _equal(args, kw, t, mode),
    "isclose": _isclose,
}
