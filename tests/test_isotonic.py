"""The pool-adjacent-violators solver against a plain sequential NumPy PAV."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from softops import _isotonic as isotonic
from softops._isotonic import block_mean, pav_blocks


def numpy_pav(y):
    blocks = []  # [sum, count]
    for v in y:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    return np.concatenate([[s / c] * c for s, c in blocks])


def fit(y):
    return block_mean(y, *pav_blocks(y))


def rows(kind, rng, shape):
    rows_, n = shape
    if kind == "normal":
        return rng.normal(size=shape)
    if kind == "decreasing":  # one block
        return -np.sort(rng.normal(size=shape))
    if kind == "integers":  # many exact ties
        return np.round(rng.normal(size=shape) * 2)
    if kind == "staircase":  # long absorption chains at the top junction
        return np.cumsum(rng.exponential(size=shape), 1) - 0.3 * np.arange(n) ** 1.5
    # sorted data minus a ramp: the soft-sort pattern
    return np.sort(rng.normal(size=shape)) - 0.05 * np.arange(n)


@pytest.mark.parametrize("kind", ["normal", "decreasing", "integers", "staircase", "sortish"])
@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 15, 16, 17, 33, 300])
def test_matches_sequential_pav(kind, n, x64):
    rng = np.random.default_rng(n)
    y = rows(kind, rng, (3, n))
    got = np.asarray(jax.jit(fit)(jnp.asarray(y)))
    want = np.stack([numpy_pav(r) for r in y])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["normal", "decreasing", "integers", "staircase", "sortish"])
def test_grouped_merge_levels_match_sequential_pav(kind, x64):
    # 64 rows of 700 (padded to 1024): 64 x 64 junctions at the first merge
    # level are more than FEW lanes, so the levels run in a group of GROUP on
    # 64 lanes per row (spare lanes past a level's last junction), then the
    # rest in one loop on 8 lanes per row.
    assert 64 * 64 > isotonic.FEW >= 64 * (1024 // (2 * isotonic.BASE << isotonic.GROUP))
    y = rows(kind, np.random.default_rng(7), (64, 700))
    got = np.asarray(jax.jit(fit)(jnp.asarray(y)))
    want = np.stack([numpy_pav(r) for r in y])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    start, count = (np.asarray(a) for a in pav_blocks(jnp.asarray(y)))
    # every block's positions agree on its start and length
    pos = np.arange(700)
    np.testing.assert_array_equal(start, np.maximum.accumulate(np.where(start == pos, pos, 0), 1))
    np.testing.assert_array_equal(np.take_along_axis(count, start, 1), count)


def test_solution_is_non_decreasing_and_preserves_sums(x64):
    y = jnp.asarray(np.random.default_rng(0).normal(size=(4, 1000)))
    v = fit(y)
    assert bool(jnp.all(jnp.diff(v, axis=-1) >= -1e-12))
    np.testing.assert_allclose(jnp.sum(v, -1), jnp.sum(y, -1), rtol=1e-12)


def test_blocks_are_consistent():
    y = jnp.array([[3.0, 1.0, 2.0, 5.0, 4.0, 4.0]])
    start, count = pav_blocks(y)
    np.testing.assert_array_equal(start, [[0, 0, 0, 3, 3, 3]])
    np.testing.assert_array_equal(count, [[3, 3, 3, 3, 3, 3]])


def test_ties_are_pooled():
    start, count = pav_blocks(jnp.array([[1.0, 2.0, 2.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(start, [[0, 1, 1, 1, 4]])


def test_infinite_entries_are_walls():
    y = jnp.array([[-jnp.inf, 2.0, 1.0, jnp.inf, jnp.inf]])
    start, count = pav_blocks(y)
    np.testing.assert_array_equal(count, [[1, 2, 2, 1, 1]])
    v = block_mean(jnp.where(jnp.isfinite(y), y, 0.0), start, count)
    np.testing.assert_allclose(v[0, 1:3], [1.5, 1.5])


def test_infinite_walls_split_long_rows_into_independent_problems(x64):
    # Walls inside and at the edges of the closed-form segments and across merge levels.
    rng = np.random.default_rng(4)
    y = rng.normal(size=(2, 70)) - 0.02 * np.arange(70)
    walls = {0: [5, 15, 16, 40], 1: [0, 31, 32, 69]}
    for row, cols in walls.items():
        y[row, cols] = [np.inf if i % 2 else -np.inf for i in range(len(cols))]
    start, count = pav_blocks(jnp.asarray(y))
    v = np.asarray(block_mean(jnp.where(jnp.isfinite(y), y, 0.0), start, count))
    for row, cols in walls.items():
        assert (np.asarray(count)[row, cols] == 1).all()
        edges = [-1, *cols, 70]
        for a, b in zip(edges, edges[1:], strict=False):
            if b - a > 1:
                np.testing.assert_allclose(v[row, a + 1 : b], numpy_pav(y[row, a + 1 : b]), rtol=1e-12)
