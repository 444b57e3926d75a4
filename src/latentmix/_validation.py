"""Declared parameter rules, checked the same way (and worded the same way) for every estimator.

Modelled on scikit-learn's ``utils/_param_validation.py``: an estimator lists, per parameter,
the constraints any one of which the value must satisfy::

    _parameter_constraints = {"n_components": [Interval(Integral, 1, None, closed="left")],
                              "covariance_type": [Options({"full", "tied", "diag", "spherical"})]}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch

from .exceptions import InvalidParameterError

__all__ = [
    "Interval",
    "Options",
    "InstanceOf",
    "ArrayLike",
    "Callable",
    "RandomStateLike",
    "validate_parameters",
    "validate_params_of",
]


@dataclass(frozen=True)
class Interval:
    """A number of ``type`` (Integral or Real) between ``left`` and ``right`` (None = unbounded)."""

    type: type
    left: float | None
    right: float | None
    closed: str = "both"  # "left", "right", "both", "neither"

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.type):
            return False
        if self.type is Real and not math.isfinite(float(value)):
            return False
        if self.left is not None:
            if value < self.left or (value == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if value > self.right or (value == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self) -> str:
        kind = "an int" if self.type is Integral else "a float"
        lo = "-inf" if self.left is None else repr(self.left)
        hi = "inf" if self.right is None else repr(self.right)
        lb = "[" if self.closed in ("left", "both") and self.left is not None else "("
        rb = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{kind} in the range {lb}{lo}, {hi}{rb}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values (usually strings)."""

    values: frozenset

    def __init__(self, values):
        object.__setattr__(self, "values", frozenset(values))

    def is_satisfied_by(self, value: Any) -> bool:
        try:
            return value in self.values
        except TypeError:  # unhashable
            return False

    def __str__(self) -> str:
        return "a str among " + "{" + ", ".join(repr(v) for v in sorted(self.values, key=str)) + "}"


@dataclass(frozen=True)
class InstanceOf:
    """An instance of one of ``types`` (None in the tuple allows None)."""

    types: tuple

    def __init__(self, *types):
        object.__setattr__(self, "types", types)

    def is_satisfied_by(self, value: Any) -> bool:
        if value is None:
            return None in self.types
        real = tuple(t for t in self.types if t is not None)
        return isinstance(value, real) and not (isinstance(value, bool) and bool not in real)

    def __str__(self) -> str:
        names = ["None" if t is None else f"an instance of {t.__name__!r}" for t in self.types]
        return " or ".join(names)


class ArrayLike:
    """A numpy array, torch tensor or (nested) list."""

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, (np.ndarray, torch.Tensor, list, tuple))

    def __str__(self) -> str:
        return "an array-like (numpy array, torch tensor or list)"


class RandomStateLike:
    """None, an int, a numpy RandomState or Generator (scikit-learn's ``random_state``)."""

    def is_satisfied_by(self, value: Any) -> bool:
        if value is None:
            return True
        if isinstance(value, Integral) and not isinstance(value, bool):
            return 0 <= value < 2**63
        return isinstance(value, (np.random.RandomState, np.random.Generator))

    def __str__(self) -> str:
        return "None, an int in [0, 2**63) or a numpy RandomState/Generator"


class Callable:
    def is_satisfied_by(self, value: Any) -> bool:
        return callable(value)

    def __str__(self) -> str:
        return "a callable"


def validate_parameters(owner: str, params: dict[str, Any], constraints: dict[str, list]) -> None:
    """Raise :class:`InvalidParameterError` for the first parameter that meets none of its rules.

    The wording is scikit-learn's: "The 'n_components' parameter of GaussianMixture must be an
    int in the range [1, inf). Got 0 instead."
    """
    for name, rules in constraints.items():
        if name not in params:
            continue
        value = params[name]
        if any(rule is None and value is None for rule in rules):
            continue
        real_rules = [r for r in rules if r is not None]
        if any(rule.is_satisfied_by(value) for rule in real_rules):
            continue
        allowed = [str(r) for r in real_rules] + (["None"] if None in rules else [])
        wording = allowed[0] if len(allowed) == 1 else ", ".join(allowed[:-1]) + " or " + allowed[-1]
        raise InvalidParameterError(
            f"The {name!r} parameter of {owner} must be {wording}. Got {value!r} instead."
        )


def validate_params_of(estimator) -> None:
    """Check an estimator's constructor arguments against its ``_parameter_constraints``."""
    validate_parameters(
        type(estimator).__name__, estimator.get_params(deep=False), estimator._parameter_constraints
    )
