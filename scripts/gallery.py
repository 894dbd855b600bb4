"""Draw the operator gallery: docs/gallery/*.png and the page docs/gallery.md.

Usage::

    python scripts/gallery.py                 # every registered operator
    python scripts/gallery.py --only relu,sort

Everything comes from the registry (``softops.operators()``), so a newly
registered operator gets its figure without touching this script:

* operators that act elementwise on their first argument (all ``relu-like`` and
  ``step-like`` ones, and e.g. rounding) get the hard operator and the default
  mode's relaxation at several temperatures, next to their derivative
  (``jax.grad`` under ``vmap``), with the subgradient ``jax.grad`` returns at
  each registered kink marked; operators with several modes also get a figure
  comparing all modes at ``temperature=1``;
* other operators (selection, sorting, pooling, ...) get a one-dimensional
  slice: one input entry is swept across the others and the output entries
  that depend on it most are drawn at each temperature;
* an operator that none of this fits is skipped with a message, never an error.

The PNGs are build outputs (git-ignored); docs/gallery.md is rewritten to show
exactly the figures that were produced.
"""

from __future__ import annotations

import argparse
import inspect
import math
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import softops as so  # noqa: E402

OUT = ROOT / "docs" / "gallery"
PAGE = ROOT / "docs" / "gallery.md"
TEMPERATURES = (0.0, 0.25, 0.5, 1.0)
MODES_TEMPERATURE = 1.0
N_POINTS = 801
DTYPE = np.float32


def _smoothness(c: float) -> str:
    return "C\u221e" if math.isinf(c) else f"C{int(c)}"


def _temp_colors(temps):
    cmap = plt.get_cmap("viridis")
    soft = [t for t in temps if t > 0]
    out = {}
    for i, t in enumerate(soft):
        out[t] = cmap(0.15 + 0.7 * i / max(len(soft) - 1, 1))
    out[0.0] = "black"
    return out


# ------------------------------------------------------------------ 1-D elementwise
@dataclass
class Slice1D:
    """``x -> op(x, *rest, **kwargs)`` for scalar ``x``, and where to look at it."""

    call: Callable[..., Any]  # call(x, temperature=..., mode=...) -> array like x
    label: str
    var: str
    kink_x: list[float]
    lo: float
    hi: float


def _scalar(v: Any) -> Any:
    a = np.asarray(v)
    return jnp.asarray(a, DTYPE) if a.dtype.kind == "f" else v


def _positional_names(fn) -> list[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _swept_position(entry, names: list[str]) -> int:
    """The argument the first kink is about (``"b == 0"`` -> ``b``), else the first."""
    for k in entry.kinks:
        m = re.match(r"\s*\|?\s*([A-Za-z_]\w*)", k.where)
        if m and m.group(1) in names:
            return names.index(m.group(1))
    return 0


def elementwise_slice(entry) -> Slice1D | None:
    """A 1-D view of the operator if it acts elementwise on the swept argument."""
    args, kwargs = entry.sample(jax.random.PRNGKey(0), DTYPE)
    names = _positional_names(entry.fn)[: len(args)] or ["x"]
    pos = _swept_position(entry, names) if len(names) == len(args) else 0
    points = [
        k.point
        for k in entry.kinks
        if k.point is not None and len(k.point) == len(args) and all(np.ndim(v) == 0 for v in k.point)
    ]
    if points:
        fixed = [_scalar(v) for v in points[0]]
        kw = {**kwargs, **dict(entry.kink_kwargs)}
    else:
        if any(np.size(a) != 1 for i, a in enumerate(args) if i != pos):
            return None
        fixed = [_scalar(np.reshape(a, ())) if i != pos else None for i, a in enumerate(args)]
        kw = dict(kwargs)

    def call(x, **opts):
        a = list(fixed)
        a[pos] = x
        return entry.fn(*a, **kw, **opts)

    # Elementwise test: on a shuffled grid, the batched call must equal a vmap
    # over scalars (a sort or a softmax would not).
    probe = np.random.default_rng(0).permutation(np.linspace(-3.0, 3.0, 31)).astype(DTYPE)
    try:
        batched = np.asarray(call(jnp.asarray(probe), temperature=0.5))
        single = np.asarray(jax.vmap(lambda v: call(v, temperature=0.5))(jnp.asarray(probe)))
    except Exception:
        return None
    if batched.shape != probe.shape or not np.allclose(batched, single, equal_nan=True, atol=1e-6):
        return None

    kink_x = sorted({float(p[pos]) for p in points})
    if kink_x:
        centre = 0.5 * (kink_x[0] + kink_x[-1])
        half = max(3.0, 0.5 * (kink_x[-1] - kink_x[0]) + 2.0)
    else:
        centre, half = 0.0, 3.0
    var = names[pos] if pos < len(names) else "x"
    shown = [var if i == pos else f"{float(np.asarray(v)):g}" for i, v in enumerate(fixed)]
    shown += [f"{k}={v!r}" for k, v in kw.items()]
    return Slice1D(call, f"{entry.name}({', '.join(shown)})", var, kink_x, centre - half, centre + half)


def _grid(sl: Slice1D) -> np.ndarray:
    xs = np.linspace(sl.lo, sl.hi, N_POINTS)
    return np.union1d(xs, np.asarray(sl.kink_x, dtype=float)).astype(DTYPE)


def _evaluate(sl: Slice1D, mode: str | None):
    opts = {} if mode is None else {"mode": mode}

    def f(x, t):
        return sl.call(x, temperature=t, **opts)

    value = jax.jit(jax.vmap(f, in_axes=(0, None)))
    deriv = jax.jit(jax.vmap(jax.grad(f), in_axes=(0, None)))
    return value, deriv


def _break_jumps(xs, ys, kink_x):
    """NaN at registered kinks and across jumps, so lines are not drawn through them."""
    ys = np.array(ys, dtype=float)
    finite = ys[np.isfinite(ys)]
    if finite.size:
        span = max(float(np.ptp(finite)), 1e-12)
        jumps = np.abs(np.diff(ys)) > 0.05 * span
        ys[1:][jumps] = np.nan
    for k in kink_x:
        ys[np.isclose(xs, k)] = np.nan
    return ys


def _ylim(ax, arrays):
    """Fit the finite values, ignoring rare spikes (a singularity) that would flatten the rest."""
    vals = np.concatenate([np.ravel(a) for a in arrays])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return
    lo, hi = float(vals.min()), float(vals.max())
    p_lo, p_hi = (float(v) for v in np.percentile(vals, [1.0, 99.0]))
    if hi - lo > 10 * max(p_hi - p_lo, 1e-6):
        lo, hi = p_lo, p_hi
    pad = 0.08 * max(hi - lo, 1e-3)
    ax.set_ylim(lo - pad, hi + pad)


def _finite_xlim(ax, xs, arrays):
    ok = np.zeros(xs.shape, bool)
    for a in arrays:
        ok |= np.isfinite(a)
    if ok.any():
        ax.set_xlim(xs[ok].min(), xs[ok].max())


def _style(ax, title, ylabel, var="x"):
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(var)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.axhline(0.0, color="0.6", lw=0.6, zorder=0)


def temperature_figure(entry, sl: Slice1D, path: Path) -> None:
    xs = _grid(sl)
    value, deriv = _evaluate(sl, None)
    colors = _temp_colors(TEMPERATURES)
    fig, (ax_v, ax_d) = plt.subplots(1, 2, figsize=(11.5, 3.6), layout="constrained")
    vals, ders = [], []
    for t in TEMPERATURES:
        y = np.asarray(value(xs, DTYPE(t)), dtype=float)
        dy = np.asarray(deriv(xs, DTYPE(t)), dtype=float)
        vals.append(y)
        ders.append(dy)
        hard = t == 0
        style = dict(color=colors[t], lw=2.2 if hard else 1.5, zorder=3 if hard else 2)
        label = "t = 0 (hard)" if hard else f"t = {t:g}"
        ax_v.plot(xs, _break_jumps(xs, y, sl.kink_x) if hard else y, label=label, **style)
        ax_d.plot(xs, _break_jumps(xs, dy, sl.kink_x) if hard else dy, label=label, **style)
    for k in sl.kink_x:
        kx = jnp.asarray([k], DTYPE)
        v0 = float(value(kx, DTYPE(0))[0])
        g0 = float(deriv(kx, DTYPE(0))[0])
        ax_v.plot([k], [v0], "o", color="black", ms=5, zorder=4)
        ax_d.plot(
            [k],
            [g0],
            "o",
            color="tab:red",
            ms=6,
            zorder=4,
            label="jax.grad at the kink, t = 0" if k == sl.kink_x[0] else None,
        )
    mode = entry.default_mode
    _style(ax_v, f"{sl.label}, mode={mode!r} ({_smoothness(entry.smoothness())})", "value", sl.var)
    _style(ax_d, f"d/d{sl.var} (jax.grad)", "derivative", sl.var)
    _ylim(ax_v, vals)
    _ylim(ax_d, ders)
    _finite_xlim(ax_v, xs, vals)
    _finite_xlim(ax_d, xs, vals)
    fig.legend(*ax_d.get_legend_handles_labels(), fontsize=8, loc="outside right upper")
    fig.suptitle(f"softops.{entry.name}: hard vs soft at several temperatures", fontsize=11)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def modes_figure(entry, sl: Slice1D, path: Path) -> None:
    xs = _grid(sl)
    t = DTYPE(MODES_TEMPERATURE)
    fig, (ax_v, ax_d) = plt.subplots(1, 2, figsize=(11.5, 3.6), layout="constrained")
    cmap = plt.get_cmap("tab10")
    vals, ders = [], []
    value0, deriv0 = _evaluate(sl, None)
    hard = np.asarray(value0(xs, DTYPE(0)), dtype=float)
    ax_v.plot(xs, _break_jumps(xs, hard, sl.kink_x), color="0.4", ls="--", lw=1.2, label="hard")
    for i, (mode, c) in enumerate(entry.modes.items()):
        value, deriv = _evaluate(sl, mode)
        y = np.asarray(value(xs, t), dtype=float)
        dy = np.asarray(deriv(xs, t), dtype=float)
        vals.append(y)
        ders.append(dy)
        label = f"{mode} ({_smoothness(c)})" + (" default" if mode == entry.default_mode else "")
        ax_d.plot(xs, dy, color=cmap(i % 10), lw=1.4, label=label)
        ax_v.plot(xs, y, color=cmap(i % 10), lw=1.4)
    _style(ax_v, f"{sl.label}, temperature={MODES_TEMPERATURE:g}", "value", sl.var)
    _style(ax_d, f"d/d{sl.var} (jax.grad)", "derivative", sl.var)
    _ylim(ax_v, [*vals, hard])
    _ylim(ax_d, ders)
    _finite_xlim(ax_v, xs, vals)
    _finite_xlim(ax_d, xs, vals)
    handles, labels = ax_d.get_legend_handles_labels()
    fig.legend([ax_v.get_lines()[0], *handles], ["hard", *labels], fontsize=8, loc="outside right upper")
    fig.suptitle(f"softops.{entry.name}: relaxation modes", fontsize=11)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------ other operators
def slice_figure(entry, path: Path) -> bool:
    """Sweep the first entry of the first input; draw the outputs that move most."""
    args, kwargs = entry.sample(jax.random.PRNGKey(0), DTYPE)
    a = np.asarray(args[0])
    if a.dtype.kind != "f" or a.size < 2:
        return False
    rest = tuple(_scalar(v) if np.ndim(v) == 0 else v for v in args[1:])
    flat = a.reshape(-1)
    lo, hi = float(flat.min()) - 1.0, float(flat.max()) + 1.0
    ss = np.linspace(lo, hi, 301).astype(DTYPE)

    def out(s, t):
        x = jnp.asarray(a).reshape(-1).at[0].set(s).reshape(a.shape)
        leaves = [leaf for leaf in jax.tree_util.tree_leaves(entry.fn(x, *rest, temperature=t, **kwargs))]
        leaves = [jnp.ravel(leaf) for leaf in leaves if jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.floating)]
        if not leaves:
            raise TypeError("no floating-point output")
        return leaves[0]

    sweep = jax.jit(jax.vmap(out, in_axes=(0, None)))
    ref = np.asarray(sweep(ss, DTYPE(0.5)), dtype=float)
    if ref.ndim != 2:
        return False
    spread = np.nan_to_num(np.ptp(ref, axis=0))
    picks = sorted(int(i) for i in np.argsort(-spread)[:3] if spread[i] > 0.05 * spread.max() > 0)
    if not picks:
        return False
    colors = _temp_colors(TEMPERATURES)
    fig, axes = plt.subplots(
        1, len(picks), figsize=(max(3.6 * len(picks) + 1.0, 8.0), 3.8), layout="constrained", squeeze=False
    )
    curves = {t: np.asarray(sweep(ss, DTYPE(t)), dtype=float) for t in TEMPERATURES}
    for ax, j in zip(axes[0], picks, strict=True):
        for t, ys in curves.items():
            ax.plot(
                ss,
                ys[:, j],
                color=colors[t],
                lw=2.0 if t == 0 else 1.4,
                label="t = 0 (hard)" if t == 0 else f"t = {t:g}",
            )
        ax.set_title(f"output entry {j} (flat index)", fontsize=10)
        ax.set_xlabel("first input entry")
        ax.grid(True, alpha=0.3)
    fig.legend(
        *axes[0][0].get_legend_handles_labels(),
        fontsize=8,
        loc="outside lower center",
        ncol=len(TEMPERATURES),
    )
    shape = "x".join(map(str, a.shape))
    fig.suptitle(
        f"softops.{entry.name}, mode={entry.default_mode!r}: sweeping x[0] of a {shape} input", fontsize=11
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ------------------------------------------------------------------------ driver
def draw(entry, out: Path) -> tuple[list[str], str | None]:
    """Figures for one operator: (file names written, reason if skipped)."""
    if not entry.temperature:
        return [], "no temperature of its own (it is as smooth as its soft inputs; see its docstring)"
    files = []
    sl = elementwise_slice(entry)
    if sl is not None:
        temperature_figure(entry, sl, out / f"{entry.name}.png")
        files.append(f"{entry.name}.png")
        if len(entry.modes) > 1:
            modes_figure(entry, sl, out / f"{entry.name}_modes.png")
            files.append(f"{entry.name}_modes.png")
        return files, None
    if entry.kind in ("relu-like", "step-like"):
        return files, f"kind {entry.kind!r} but not elementwise in its first argument"
    if slice_figure(entry, out / f"{entry.name}.png"):
        return [f"{entry.name}.png"], None
    return files, "no one-dimensional slice to draw"


def write_page(drawn: dict[str, list[str]], skipped: dict[str, str]) -> str:
    lines = [
        "<!-- Generated by scripts/gallery.py from the registry; do not edit by hand. -->",
        "",
        "# Gallery",
        "",
        "Every registered operator, drawn from the registry by `scripts/gallery.py`.",
        "Elementwise operators show the hard operator (black, `temperature=0`) and the",
        "default mode's relaxation at several temperatures, with the derivative `jax.grad`",
        "returns on the right; the red dot is the value `jax.grad` returns exactly at a",
        "registered kink (the minimum-norm subgradient, see [Concepts](concepts.md)).",
        "A second figure compares the relaxation modes at `temperature=1`. Other operators",
        "show a slice: one input entry swept across the others.",
        "",
    ]
    families: dict[str, list[str]] = {}
    for name, entry in so.operators().items():
        if name in drawn or name in skipped:
            families.setdefault(entry.family, []).append(name)
    for family, names in families.items():
        lines += [f"## {family.replace('_', ' ').capitalize()}", ""]
        for name in names:
            entry = so.info(name)
            # Link to the API page only for exported names (the only ones it documents).
            ref = f"[`softops.{name}`][softops.{name}]" if name in so.__all__ else f"`softops.{name}`"
            lines += [
                f"### {name}",
                "",
                f"{ref} &middot; kind `{entry.kind}` &middot; default mode `{entry.default_mode}`",
                "",
            ]
            if name in skipped:
                lines += [f"*No figure: {skipped[name]}.*", ""]
            for f in drawn.get(name, []):
                lines += [f"![softops.{name}](gallery/{f}){{ .softops-figure loading=lazy }}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated operator names (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder for the PNGs")
    parser.add_argument("--no-page", action="store_true", help="do not rewrite docs/gallery.md")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    names = args.only.split(",") if args.only else list(so.operators())
    drawn: dict[str, list[str]] = {}
    skipped: dict[str, str] = {}
    for name in names:
        entry = so.info(name)
        try:
            files, reason = draw(entry, args.out)
        except Exception as err:  # one broken figure must not sink the gallery
            traceback.print_exc()
            files, reason = [], f"drawing failed ({type(err).__name__}: {err})"
        if files:
            drawn[name] = files
            print(f"{name}: {', '.join(files)}")
        if reason:
            skipped[name] = reason
            print(f"{name}: skipped, {reason}", file=sys.stderr)
    if not args.no_page and not args.only:
        PAGE.write_text(write_page(drawn, skipped), encoding="utf-8")
        print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
