"""Argument checks shared by the network builders, worded like every other latentmix error."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

from torch import nn

from .._validation import InstanceOf, Interval, Options, validate_parameters
from ..exceptions import InvalidParameterError
from ._layers import ACTIVATIONS

__all__ = ["RULES", "check_options", "check_shape", "check_positive_int", "check_widths"]

ARCHS = ("dense", "conv")

#: Declared rules of every keyword a builder takes (scikit-learn ``_param_validation`` style).
RULES: dict[str, list] = {
    "arch": [Options(ARCHS)],
    "activation": [Options(ACTIVATIONS)],
    "final_activation": [Options({*ACTIVATIONS, "linear"}), None],
    "output_activation": [Options({*ACTIVATIONS, "linear"}), None],
    "batchnorm": [InstanceOf(bool)],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "spectral_norm": [InstanceOf(bool)],
    "init": [Options({"default", "dcgan"})],
    "output": [Options({"logit", "probability"})],
    "tied_to": [InstanceOf(nn.Module, None)],
}


def check_options(owner: str, **params: Any) -> None:
    """Check keyword values against :data:`RULES`; raise :class:`InvalidParameterError`."""
    rules = {name: RULES[name] for name in params}
    if params.get("batchnorm", False) is None:  # the discriminator's "auto"
        rules["batchnorm"] = [InstanceOf(bool), None]
    validate_parameters(owner, params, rules)


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value > 0


def check_shape(owner: str, name: str, value: Any) -> tuple[int, ...]:
    """A shape without the batch dimension: ``(F,)`` or ``(C, H, W)`` of positive ints."""
    ok = (
        isinstance(value, (tuple, list))
        and len(value) in (1, 3)
        and all(_is_positive_int(v) for v in value)
    )
    if not ok:
        raise InvalidParameterError(
            f"The {name!r} parameter of {owner} must be a tuple of positive ints, either "
            f"(n_features,) for tabular data or (channels, height, width) for images, without "
            f"the batch dimension. Got {value!r} instead."
        )
    return tuple(int(v) for v in value)


def check_positive_int(owner: str, name: str, value: Any) -> int:
    if not _is_positive_int(value):
        raise InvalidParameterError(
            f"The {name!r} parameter of {owner} must be an int in the range [1, inf). "
            f"Got {value!r} instead."
        )
    return int(value)


def check_widths(owner: str, name: str, value: Any) -> tuple[int, ...] | None:
    """None (the default layout) or a tuple/list of positive ints (layer widths or channels)."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)) and all(_is_positive_int(v) for v in value):
        return tuple(int(v) for v in value)
    raise InvalidParameterError(
        f"The {name!r} parameter of {owner} must be None or a tuple of positive ints "
        f"(layer widths for arch='dense', channel widths for arch='conv'). Got {value!r} instead."
    )
