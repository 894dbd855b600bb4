"""Independent NumPy float64 references, one module per operator family.

Each module defines ``REFERENCES: dict[str, Callable]`` mapping an operator name
to ``ref(args, kwargs, temperature, mode) -> np.ndarray | tuple`` computed in
float64 with NumPy/SciPy only (never with softops or jax). ``ALL`` merges them;
a test fails for any registered operator without a reference.
"""

import importlib
import pkgutil

ALL = {}
for _m in pkgutil.iter_modules(__path__):
    ALL.update(importlib.import_module(f"{__name__}.{_m.name}").REFERENCES)
