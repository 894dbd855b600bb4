"""Run every benchmark module (bench/bench_*.py) and print ratio tables.

    python bench/run.py            # full run
    python bench/run.py --quick    # few repetitions (a smoke test)
    python bench/run.py --only relu,sort

Ratios are softops time / baseline time under jit on the same inputs (forward,
and forward + gradient of the sum). Other libraries, when installed, are timed
on the same inputs and shown as ratios to the same baseline.
"""

from __future__ import annotations

import argparse
import importlib
import math
import pathlib
import platform
import sys

import jax

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import run_case  # noqa: E402


def _fmt(v):
    return f"{v:6.2f}x" if isinstance(v, float) else str(v)


def _fmt_target(target):
    return f"{target:>6.2f}x" if math.isfinite(target) else f"{'-':>7}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated substrings of case names")
    parser.add_argument("--modules", default="", help="comma-separated module names (bench_<x>)")
    args = parser.parse_args()
    only = [s for s in args.only.split(",") if s]
    wanted = [m for m in args.modules.split(",") if m]

    print(
        f"softops benchmarks | jax {jax.__version__} | {jax.devices()[0].platform} "
        f"({jax.devices()[0].device_kind}) | {platform.machine()}"
    )
    misses = 0
    for path in sorted(HERE.glob("bench_*.py")):
        if wanted and path.stem not in wanted and path.stem.removeprefix("bench_") not in wanted:
            continue
        module = importlib.import_module(path.stem)
        cases = [c for c in module.cases() if not only or any(s in c.name for s in only)]
        if not cases:
            continue
        print(f"\n## {path.stem.removeprefix('bench_')}")
        header = (
            f"{'case':<44} {'baseline':<30} {'fwd':>8} {'fwd+grad':>9} {'target':>7} "
            f"{'fwd us':>9} {'grad us':>9}"
        )
        print(header)
        print("-" * len(header))
        for case in cases:
            row = run_case(case, quick=args.quick)
            worst = max(row.get("fwd_ratio", 0.0), row.get("grad_ratio", 0.0))
            flag = "" if worst <= case.target else "  <- over target"
            misses += bool(flag)
            print(
                f"{case.name:<44} {case.baseline_name:<30} {_fmt(row['fwd_ratio']):>8} "
                f"{_fmt(row.get('grad_ratio', '-')):>9} {_fmt_target(case.target)} "
                f"{row['fwd_us']:>9.1f} {row.get('grad_us', float('nan')):>9.1f}{flag}"
            )
            for key, value in row.items():
                if key.startswith(("fwd_", "grad_")) and key.split("_", 1)[1] not in ("ratio", "us"):
                    print(f"{'':<4}{key.split('_', 1)[1]} ({key.split('_')[0]}): {_fmt(value)}")
    print(f"\n{misses} case(s) over target")


if __name__ == "__main__":
    main()
