"""Sharded inputs: every operator under ``jit`` on a 4-device mesh agrees with one device.

The host platform's device count is fixed when jax starts, so the checks run
in a fresh process (``tests/sharding_main.py``) with four CPU devices.
"""

import os
import subprocess
import sys
from pathlib import Path

import softops as so

SCRIPT = Path(__file__).with_name("sharding_main.py")
AXIS_CASES = 7  # sharding_main.axis_cases: five row reductions, two pools


def test_sharded_batches_and_sharded_axes_agree_with_one_device():
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4").strip()
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SCRIPT.parents[1]), env.get("PYTHONPATH")]))
    run = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=900)
    report = run.stdout[-6000:] + run.stderr[-3000:]
    assert run.returncode == 0, report
    # one batch case per registered operator, plus the sharded-axis cases
    expected = len(so.operators()) + AXIS_CASES
    assert f"{expected} of {expected} sharded cases agree with one device" in run.stdout, report
