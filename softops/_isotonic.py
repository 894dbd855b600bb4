"""Exact isotonic regression (pool adjacent violators) in pure JAX.

The soft sorting family reduces every operator to one problem per row,

    v = argmin_u ||u - y||^2  subject to  u_1 <= u_2 <= ... <= u_n,

whose solution is piecewise constant: the positions split into consecutive
*blocks* and ``v`` is the mean of ``y`` over each block. The Jacobian of ``v``
with respect to ``y`` is the block-averaging matrix ``B``, which is applied in
O(n) with segment sums and never built.

Pool adjacent violators (PAV) may merge violating neighbours in any order and
still reaches the unique solution. We use that freedom to run it as a merge
tree: at level ``l`` the row is cut into segments of ``2**l`` positions, each
already solved, and every pair of neighbouring segments is fixed up at its
junction at once (vectorised over all junctions of all rows): the block left
of the junction and the block right of it are pooled while they violate,
absorbing further neighbours on either side as needed. A level costs O(n)
work plus one loop step per block absorbed at its busiest junction, so the
whole solve is O(n log n) work and O(n) memory with ``log2 n`` levels. No
tolerance is involved: every loop stops when no violator is left. (Levels
share XLA loops to keep compilation short, so a loop step runs on the lanes
of its group's first level: at most 4x the level's own junctions, or ``FEW``
lanes, a constant; the bound stands.)

The lowest levels, segments of up to ``BASE`` positions, are solved without
a loop: position ``k`` starts a block exactly when every mean of ``y`` over a
window ending just before ``k`` is smaller than every mean over a window
starting at ``k`` (inside the segment; the max-min characterisation of the
isotonic fit, with equal means pooled). That is O(n * BASE) vectorised work
and removes ``log2(BASE)`` sequential loops; rows of up to ``BASE`` entries
need no loop at all.

Blocks are stored by their end points: ``last[a]`` is the end of the block
starting at ``a``, ``first[b]`` the start of the block ending at ``b`` and
``total[a]`` its sum; ``a`` starts a block exactly when ``first[last[a]] == a``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax

Array = jax.Array

BASE = 8  # segment length solved in closed form before the merge levels
# Merge levels share one loop (the same program, with the level's junction
# spacing traced) in groups of up to GROUP levels, and all levels once a
# group's first level has at most FEW lanes (rows x junctions) in all.
GROUP = 3
FEW = 512


def _take(a: Array, idx: Array) -> Array:
    return jnp.take_along_axis(a, idx, axis=-1)


def _mean(total: Array, count: Array) -> Array:
    return total / count.astype(total.dtype)


def pav_blocks(y: Array) -> tuple[Array, Array]:
    """Blocks of the non-decreasing isotonic fit of each row of ``y`` (rows, n).

    Neighbouring blocks are pooled when the left mean is ``>=`` the right one,
    so equal values share a block (the minimum-norm rule at ties). Only blocks
    with finite means are pooled: ``+-inf`` entries (and NaN, which callers
    replace by ``+inf``) stay singletons.

    Returns:
      ``(start, count)``: for every position the index where its block starts
      and the block's length, both int32 of shape (rows, n).
    """
    return _pav_blocks(y)


@jax.jit
def _pav_blocks(y):
    rows, n = y.shape
    size = 1 << max(n - 1, 0).bit_length()
    if size > n:
        y = jnp.concatenate([y, jnp.full((rows, size - n), jnp.inf, y.dtype)], axis=-1)
    iota = jnp.broadcast_to(jnp.arange(size, dtype=jnp.int32), (rows, size))
    r = jnp.arange(rows, dtype=jnp.int32)[:, None]
    base = min(BASE, size)
    state = _solve_segments(y, base, iota)  # first, last, total
    levels = (size // base).bit_length() - 1
    lo = 0
    while lo < levels:
        # Each XLA while loop costs ~0.3 s of compilation, one per level made
        # a sort of 1e5 entries compile for 4 s. A group of levels runs on the
        # lanes of its first level (the junctions of later levels are fewer:
        # their spare lanes repeat lane 0), so a group of GROUP levels does at
        # most 4x the lane work of its last level alone; where the lanes are
        # FEW, a loop step's cost is fixed overhead and the rest run as one.
        lanes = size // (2 * base << lo)
        hi = levels if rows * lanes <= FEW else min(lo + GROUP, levels)
        state = lax.fori_loop(
            lo,
            hi,
            functools.partial(_merge_level, lanes=jnp.arange(lanes, dtype=jnp.int32), base=base, r=r),
            state,
        )
        lo = hi
    first, last = state[0], state[1]
    # a starts a block exactly when first[last[a]] == a: the merges keep
    # last[a] and first[b] current at every block's ends, and when a stops
    # being a start (its block is pooled into the one on its left) first is
    # rewritten at the end last[a] pointed to; blocks only grow, so nothing
    # writes a there again (nor at the stale ends of non-starts).
    is_start = _take(first, last) == iota
    start = lax.cummax(jnp.where(is_start, iota, 0), axis=1)[:, :n]
    count = _take(last, start) - start + 1
    return start, count


def _solve_segments(y, seg, iota):
    """Exact PAV blocks of every segment of ``seg`` positions, without a loop."""
    rows, size = y.shape
    z = y.reshape(rows, size // seg, seg)
    inf = jnp.asarray(jnp.inf, y.dtype)
    # sums[d - 1][..., a] = y[a] + ... + y[a + d - 1] (summed in order), NaN past the segment.
    sums, run = [], z
    for d in range(1, seg + 1):
        if d > 1:
            run = run[..., :-1] + z[..., d - 1 :]
        sums.append(jnp.concatenate([run, jnp.full(z.shape[:-1] + (d - 1,), jnp.nan, y.dtype)], -1))
    left = jnp.full(z.shape, -inf)  # largest mean of a window ending at k - 1
    right = jnp.full(z.shape, inf)  # smallest mean of a window starting at k
    for d in range(1, seg + 1):
        mean = sums[d - 1] / jnp.asarray(d, y.dtype)
        ok = jnp.isfinite(mean)  # windows holding +-inf (or past the end) never pool
        right = jnp.minimum(right, jnp.where(ok, mean, inf))
        shifted = jnp.concatenate([jnp.full(z.shape[:-1] + (d,), -inf), mean[..., : seg - d]], -1)
        left = jnp.maximum(left, jnp.where(jnp.isfinite(shifted), shifted, -inf))
    is_start = (left < right).reshape(rows, size)  # -inf < right at every segment start
    first = lax.cummax(jnp.where(is_start, iota, 0), axis=1)
    is_end = jnp.concatenate([is_start[:, 1:], jnp.ones((rows, 1), bool)], axis=1)
    last = lax.cummin(jnp.where(is_end, iota, size), axis=1, reverse=True)
    # Block totals, summed in the same order as the windows above.
    stacked = jnp.stack(sums, axis=-2).reshape(rows, size // seg, seg * seg)
    local = (last - first) * seg + first % seg  # (count - 1, start within segment)
    total = jnp.take_along_axis(stacked, local.reshape(rows, size // seg, seg), axis=-1)
    return first, last, total.reshape(rows, size)


def _merge_level(level, state, *, lanes, base, r):
    """Merge every pair of neighbouring solved segments of ``half = base 2^level``
    positions, pooling across each junction while its neighbours violate.

    Lane ``i`` fixes up the junction at ``half + 2 half i``. ``level`` is traced
    (a loop runs several levels), and a level may have fewer junctions than
    there are lanes: the lanes past its last junction repeat lane 0's work
    exactly, reading and writing the same values at the same positions, which
    leaves the result as lane 0 alone would.
    """
    first, last, total = state
    size = first.shape[-1]
    half = jnp.left_shift(jnp.int32(base), level)
    live = lanes < size // (2 * half)  # (2 half i itself can overflow int32)
    junction = jnp.broadcast_to(half + 2 * half * jnp.where(live, lanes, 0), (first.shape[0], lanes.shape[0]))
    seg_lo, seg_hi = junction - half, junction + half - 1
    cur_b = junction - 1
    cur_a = _take(first, cur_b)
    active = jnp.ones(junction.shape, bool)

    def body(carry):
        first, last, total, cur_a, cur_b, active = carry
        cur_total = _take(total, cur_a)
        cur_mean = _mean(cur_total, cur_b - cur_a + 1)
        ok_cur = jnp.isfinite(cur_mean)
        # right neighbour (inside this pair of segments)
        r_a = jnp.minimum(cur_b + 1, size - 1)
        r_b = _take(last, r_a)
        r_total = _take(total, r_a)
        r_mean = _mean(r_total, r_b - r_a + 1)
        go_r = active & (cur_b < seg_hi) & ok_cur & jnp.isfinite(r_mean) & (cur_mean >= r_mean)
        # left neighbour
        l_b = jnp.maximum(cur_a - 1, 0)
        l_a = _take(first, l_b)
        l_total = _take(total, l_a)
        l_mean = _mean(l_total, l_b - l_a + 1)
        go_l = active & ~go_r & (cur_a > seg_lo) & ok_cur & jnp.isfinite(l_mean) & (l_mean >= cur_mean)

        zero = jnp.zeros((), total.dtype)
        new_a = jnp.where(go_l, l_a, cur_a)
        new_b = jnp.where(go_r, r_b, cur_b)
        new_total = jnp.where(go_l, l_total, zero) + cur_total + jnp.where(go_r, r_total, zero)
        # Junctions own disjoint ranges; an idle one rewrites its own block unchanged.
        total = total.at[r, new_a].set(new_total)
        last = last.at[r, new_a].set(new_b)
        first = first.at[r, new_b].set(new_a)
        return first, last, total, new_a, new_b, go_r | go_l

    carry = (first, last, total, cur_a, cur_b, active)
    carry = lax.while_loop(lambda c: jnp.any(c[-1]), body, carry)
    return carry[:3]


def block_mean(v: Array, start: Array, count: Array) -> Array:
    """``B v``: replace every entry by the mean of ``v`` over its block (O(n)).

    Each entry is scaled by ``2^-k`` with ``2^k >= count`` before summing (exact,
    a power of two), so a block sum cannot overflow where its mean fits.
    """
    rows, n = v.shape
    _, k = jnp.frexp(count.astype(v.dtype))
    # Powers of two as factors (not jnp.ldexp of v: v may be a tangent, and the
    # product is what stays linear and transposable).
    down = jnp.ldexp(jnp.ones((), v.dtype), -k)
    up = jnp.ldexp(jnp.ones((), v.dtype), k)
    flat = (start + n * jnp.arange(rows, dtype=jnp.int32)[:, None]).reshape(-1)
    sums = jax.ops.segment_sum((v * down).reshape(-1), flat, num_segments=rows * n).reshape(rows, n)
    return _mean(_take(sums, start), count) * up
