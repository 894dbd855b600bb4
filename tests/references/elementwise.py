"""NumPy float64 references for the elementwise, rounding and safe families.

Written straight from the textbook formulas (naive where that is accurate at the
moderate inputs the tests use), independently of softops' stable kernels.
"""

import numpy as np
from scipy import special


def cdf(mode, u):
    u = np.asarray(u, np.float64)
    if mode == "logistic":
        return special.expit(u)
    if mode == "algebraic":
        return 0.5 * (1 + u / np.sqrt(1 + u * u))
    if mode == "gaussian":
        return special.ndtr(u)
    if mode in ("ramp", "boxcar"):
        return np.clip((u + 1) / 2, 0, 1)
    if mode == "cubic":
        v = np.clip((u + 1) / 2, 0, 1)
        return 3 * v**2 - 2 * v**3
    if mode == "quintic":
        v = np.clip((u + 1) / 2, 0, 1)
        return 6 * v**5 - 15 * v**4 + 10 * v**3
    if mode == "arctan":
        return 0.5 + np.arctan(np.pi * u / 2) / np.pi
    if mode == "fast_sigmoid":
        return 0.5 + 0.5 * u / (1 + np.abs(u))
    if mode == "triangular":
        return np.where(
            u < -1, 0.0, np.where(u < 0, (1 + u) ** 2 / 2, np.where(u < 1, 1 - (1 - u) ** 2 / 2, 1.0))
        )
    raise KeyError(mode)


def smooth_relu(mode, u):
    """S(u) = integral of cdf from -inf to u."""
    u = np.asarray(u, np.float64)
    if mode == "logistic":
        return np.logaddexp(0.0, u)
    if mode == "algebraic":
        return 0.5 * (u + np.sqrt(1 + u * u))
    if mode == "gaussian":
        return u * special.ndtr(u) + np.exp(-u * u / 2) / np.sqrt(2 * np.pi)
    v = np.clip((u + 1) / 2, 0, 1)
    inner = {"ramp": v**2, "cubic": 2 * v**3 - v**4, "quintic": 5 * v**4 - 6 * v**5 + 2 * v**6}[mode]
    return np.where(u >= 1, u, inner)


def _relu(args, kw, t, mode):
    (x,) = args
    return t * smooth_relu(mode, x / t)


def _abs(args, kw, t, mode):
    (x,) = args
    return t * (smooth_relu(mode, x / t) + smooth_relu(mode, -x / t) - 2 * smooth_relu(mode, 0.0))


def _maximum(args, kw, t, mode):
    a, b = args
    return b + t * smooth_relu(mode, (a - b) / t)


def _minimum(args, kw, t, mode):
    a, b = args
    return a - t * smooth_relu(mode, (a - b) / t)


def _clip(args, kw, t, mode):
    x, lo, hi = args
    return lo + t * smooth_relu(mode, (x - lo) / t) - t * smooth_relu(mode, (x - hi) / t)


def _stair(offset, base):
    """Unit cells centred on the jumps at Z + offset; value base(m) + normalised step."""

    def ref(args, kw, t, mode):
        (x,) = args
        m = np.floor(x - offset + 0.5)  # index of the nearest jump
        r = x - (m + offset)
        lo, hi = cdf(mode, -0.5 / t), cdf(mode, 0.5 / t)
        return base(m) + (cdf(mode, r / t) - lo) / (hi - lo)

    return ref


REFERENCES = {
    "relu": _relu,
    "abs": _abs,
    "heaviside": lambda args, kw, t, mode: cdf(mode, args[0] / t),
    "sign": lambda args, kw, t, mode: 2 * cdf(mode, args[0] / t) - 1,
    "maximum": _maximum,
    "minimum": _minimum,
    "clip": _clip,
    "round": _stair(0.5, lambda m: m),
    "floor": _stair(0.0, lambda m: m - 1),
    "ceil": _stair(0.0, lambda m: m),
    "sqrt": lambda args, kw, t, mode: np.sqrt(args[0] + t * t) - t,
    "log": lambda args, kw, t, mode: np.log(args[0] + t),
    "divide": lambda args, kw, t, mode: args[0] * args[1] / (args[1] ** 2 + t * t),
    "norm": lambda args, kw, t, mode: np.sqrt(np.sum(np.asarray(args[0]) ** 2, axis=kw["axis"]) + t * t) - t,
}
