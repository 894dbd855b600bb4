"""NumPy float64 references for the sorting family.

Isotonic regression by its max-min formula (v_i = max_{j<=i} min_{k>=i} mean
y[j..k], O(n^3), fine for the small rows the tests use), independent of the
pool-adjacent-violators solver in softops.
"""

import numpy as np


def isotonic(y):
    y = np.asarray(y, np.float64)
    n = len(y)
    c = np.concatenate([[0.0], np.cumsum(y)])
    mean = lambda j, k: (c[k + 1] - c[j]) / (k + 1 - j)
    return np.array([max(min(mean(j, k) for k in range(i, n)) for j in range(i + 1)) for i in range(n)])


def _row(x, t, k=None):
    """Soft sort s, soft rank m (ascending order), block labels and the sorting permutation."""
    x = np.asarray(x, np.float64)
    n = len(x)
    perm = np.argsort(x, kind="stable")
    xs = x[perm]
    w = np.arange(n, dtype=np.float64) if k is None else (np.arange(n) >= n - k).astype(np.float64)
    v = isotonic(xs - t * w)
    labels = np.concatenate([[0], np.cumsum(np.abs(np.diff(v)) > 1e-12)])
    return t * w + v, (xs - v) / t, labels, perm


def _rows(x):
    x = np.asarray(x, np.float64)
    return x.reshape(-1, x.shape[-1])


def _sort(args, kw, t, mode):
    (x,) = args
    return np.stack([_row(r, t)[0] for r in _rows(x)]).reshape(np.shape(x))


def _rank(args, kw, t, mode):
    (x,) = args
    out = []
    for r in _rows(x):
        _, m, _, perm = _row(r, t)
        ranks = np.empty_like(m)
        ranks[perm] = m
        out.append(ranks)
    return np.stack(out).reshape(np.shape(x))


def _matrix(r, t, first=None):
    _, _, labels, perm = _row(r, t)
    n = len(r)
    p = np.zeros((n, n))
    for i in range(n):
        members = perm[labels == labels[i]]
        p[i, members] = 1.0 / len(members)
    return p


def _argsort(args, kw, t, mode):
    (x,) = args
    return np.stack([_matrix(r, t) for r in _rows(x)]).reshape(*np.shape(x), np.shape(x)[-1])


def _sort_by(args, kw, t, mode):
    values, key = args
    v = _rows(values)
    return np.stack([_matrix(r, t) @ v[i] for i, r in enumerate(_rows(key))]).reshape(np.shape(values))


def _top_k(args, kw, t, mode):
    (x,), k = args, kw["k"]
    vals, dists = [], []
    for r in _rows(x):
        vals.append(_row(r, t)[0][::-1][:k])
        dists.append(_matrix(r, t)[::-1][:k])
    return np.stack(vals), np.stack(dists)


def _top_k_mask(args, kw, t, mode):
    (x,), k = args, kw["k"]
    out = []
    for r in _rows(x):
        _, m, _, perm = _row(r, t, k)
        mask = np.empty_like(m)
        mask[perm] = m
        out.append(mask)
    return np.stack(out).reshape(np.shape(x))


def _interp(s, q):
    pos = np.asarray(q, np.float64) * (len(s) - 1)
    lo, hi = np.floor(pos).astype(int), np.ceil(pos).astype(int)
    return s[lo] + (pos - lo) * (s[hi] - s[lo])


def _quantile(args, kw, t, mode):
    x, q = args
    return np.stack([_interp(_row(r, t)[0], q) for r in _rows(x)], axis=-1)


def _percentile(args, kw, t, mode):
    x, p = args
    return _quantile((x, np.asarray(p, np.float64) / 100), kw, t, mode)


def _median(args, kw, t, mode):
    (x,) = args
    return np.stack([_interp(_row(r, t)[0], 0.5) for r in _rows(x)])


REFERENCES = {
    "sort": _sort,
    "rank": _rank,
    "argsort": _argsort,
    "sort_by": _sort_by,
    "top_k": _top_k,
    "top_k_mask": _top_k_mask,
    "quantile": _quantile,
    "percentile": _percentile,
    "median": _median,
}
