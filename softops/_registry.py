"""The operator registry: one machine-readable description of every operator.

Tests, the docs gallery and the benchmarks read it, and users can query it::

    >>> import softops as so
    >>> [k.where for k in so.kinks(so.relu)]
    ['x == 0']
    >>> so.info(so.relu).modes["ramp"]
    1
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import jax
import numpy as np

Sample = Callable[[jax.Array, Any], tuple[tuple[Any, ...], dict[str, Any]]]


@dataclasses.dataclass(frozen=True)
class Kink:
    """A point where the hard operator is not differentiable.

    Attributes:
      where: the location, as a condition on the inputs (``"x == 0"``).
      kind: ``"kink"`` (continuous, one-sided derivatives differ), ``"jump"``
        (discontinuous; the derivative softops reports there is 0) or ``"tie"``
        (several inputs share the selected value).
      left, right: the one-sided derivatives of the output with respect to the
        first argument at this point (``left`` approached from below).
      point: positional arguments placing the operator exactly at this kink
        (with the registry entry's ``kink_kwargs``), or ``None`` when the
        kink is not a single point (ties of a sort, say).
      mode: the mode the kink belongs to (a t-norm of the logic operators,
        whose default is smooth), or ``None`` when the hard operator has it.
    """

    where: str
    kind: str
    left: float
    right: float
    point: tuple[float, ...] | None = None
    mode: str | None = None

    @property
    def min_norm(self) -> float:
        """The derivative ``jax.grad`` returns here by default.

        For a kink or jump: the element of ``[min(left, right), max(left, right)]``
        closest to 0. For a tie of two arguments the joint subdifferential is
        ``{(w, 1 - w)}`` and its minimum-norm element splits equally: ``w = 0.5``.
        """
        if self.kind == "tie":
            return 0.5
        lo, hi = min(self.left, self.right), max(self.left, self.right)
        return float(min(max(0.0, lo), hi))


@dataclasses.dataclass(frozen=True)
class OperatorInfo:
    """Everything softops knows about one operator.

    Attributes:
      name: public name (``so.<name>``).
      fn: the operator.
      hard: the plain jnp/lax function it equals at ``temperature=0``.
      family: operator family (the ``softops/_<family>.py`` it lives in).
      kind: ``"relu-like"`` (relaxation ``t * f(x / t)``), ``"step-like"``
        (``f(x / t)``), ``"linear"`` (smooth everywhere, no kinks: ``kinks``
        is empty and the temperature has no effect), ``"soft-input"`` (no
        temperature of its own: logic, selection and control flow on soft
        booleans and index distributions, as smooth as those inputs) or
        ``"other"``.
      modes: mode name -> differentiability class of the relaxation in that
        mode (``math.inf`` for C-infinity); ``"standard"`` for an operator
        with a single form.
      default_mode: the mode used when none is given.
      kinks: the points of non-differentiability of the hard operator (for a
        ``soft-input`` operator: of the operator itself, per mode).
      sample: ``sample(key, dtype) -> (args, kwargs)``, typical inputs.
      kink_kwargs: keyword arguments that go with each ``Kink.point``.
      straight_through: whether ``straight_through=True`` is accepted.
      subgradient: whether ``subgradient=`` is accepted.
      bounded: whether values and derivatives are finite for every finite input
        at every temperature (False for division-like operators whose exact
        result overflows).
      monotone: whether the relaxation converges monotonically, in the l2 norm of
        its error (for elementwise operators every element's error decreases),
        to the hard operator as the temperature decreases.
      nan_policy: ``"elementwise"`` (NaN exactly where an input is NaN),
        ``"any"`` (some NaN in the output whenever an input has one) or
        ``"custom"`` (documented per operator and tested in its family tests).
      notes: anything a user should know that the fields do not say.
      temperature: whether the operator takes ``temperature=`` (False for the
        ``soft-input`` operators: the producer of their soft booleans or
        distributions carries it).
      mode_keyword: the keyword that selects the mode (``"tnorm"`` for the
        logic operators), or ``None`` when there is no choice.
      argnum: the position of the primary array argument (the one the tests
        vary and differentiate): ``init`` of :func:`softops.while_loop`.
      hard_sample: for an operator without a temperature, inputs at which it
        equals ``hard`` bit for bit: 0/1 soft booleans, one-hot distributions.
    """

    name: str
    fn: Callable[..., Any]
    hard: Callable[..., Any]
    family: str
    kind: str
    modes: Mapping[str, float]
    default_mode: str
    kinks: tuple[Kink, ...]
    sample: Sample
    kink_kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    straight_through: bool = True
    subgradient: bool = True
    bounded: bool = True
    monotone: bool = True
    nan_policy: str = "elementwise"
    notes: str = ""
    temperature: bool = True
    mode_keyword: str | None = "mode"
    argnum: int = 0
    hard_sample: Sample | None = None

    def smoothness(self, mode: str | None = None) -> float:
        """Differentiability class in ``mode`` (``math.inf`` means C-infinity)."""
        return self.modes[mode or self.default_mode]


_REGISTRY: dict[str, OperatorInfo] = {}


def register(info: OperatorInfo) -> OperatorInfo:
    if info.name in _REGISTRY:
        raise ValueError(f"operator {info.name!r} is already registered")
    if info.default_mode not in info.modes:
        raise ValueError(f"{info.name}: default mode {info.default_mode!r} not among its modes")
    if (info.hard_sample is None) == (not info.temperature):
        raise ValueError(f"{info.name}: an operator without a temperature needs a hard_sample, and only it")
    for k in info.kinks:
        if k.mode is not None and k.mode not in info.modes:
            raise ValueError(f"{info.name}: kink {k.where!r} names an unknown mode {k.mode!r}")
    _REGISTRY[info.name] = info
    return info


def operators() -> Mapping[str, OperatorInfo]:
    """All registered operators, by name (a read-only view)."""
    return MappingProxyType(_REGISTRY)


def info(op: Callable[..., Any] | str) -> OperatorInfo:
    """The registry entry of an operator, given the function or its name.

    Raises:
      KeyError: if ``op`` is not a softops operator.
    """
    if isinstance(op, str):
        return _REGISTRY[op]
    for entry in _REGISTRY.values():
        if entry.fn is op:
            return entry
    raise KeyError(f"{op!r} is not a registered softops operator")


def kinks(op: Callable[..., Any] | str) -> tuple[Kink, ...]:
    """The points of non-differentiability of an operator's hard form.

    >>> import softops as so
    >>> k, = so.kinks(so.abs)
    >>> (k.left, k.right, k.min_norm)
    (-1.0, 1.0, 0.0)
    """
    return info(op).kinks


def describe_smoothness(c: float) -> str:
    return "C-inf" if math.isinf(c) else f"C{int(c)}"


def _unit_normal(key, dtype, shape=(7,)):
    return np.asarray(jax.random.normal(key, shape, "float32")).astype(dtype)


def _soft_boolean(key, dtype, shape=(7,)):
    """Soft booleans in [0.05, 0.95]: away from 0/1 (and, almost surely, from the
    t-norms' kinks), so that finite differences stay on one side."""
    return np.asarray(jax.random.uniform(key, shape, "float32", 0.05, 0.95)).astype(dtype)


def _hard_boolean(key, dtype, shape=(7,), p=0.5):
    """Booleans as exact 0/1 floats."""
    return np.asarray(jax.random.bernoulli(key, p, shape)).astype(dtype)


def soft_input(
    name: str,
    fn: Callable[..., Any],
    hard: Callable[..., Any],
    family: str,
    sample: Sample,
    hard_sample: Sample,
    notes: str,
    *,
    modes: Mapping[str, float] | None = None,
    mode_keyword: str | None = None,
    kinks: tuple[Kink, ...] = (),
    straight_through: bool = False,
    nan_policy: str = "custom",
    argnum: int = 0,
) -> OperatorInfo:
    """The entry of an operator without a temperature (``kind="soft-input"``):
    one ``"standard"`` C-infinity mode unless ``modes`` says otherwise (the
    first is the default), no ``subgradient=``."""
    modes = modes or {"standard": math.inf}
    return OperatorInfo(
        name=name,
        fn=fn,
        hard=hard,
        family=family,
        kind="soft-input",
        modes=modes,
        default_mode=next(iter(modes)),
        kinks=kinks,
        sample=sample,
        straight_through=straight_through,
        subgradient=False,
        nan_policy=nan_policy,
        notes=notes,
        temperature=False,
        mode_keyword=mode_keyword,
        argnum=argnum,
        hard_sample=hard_sample,
    )
