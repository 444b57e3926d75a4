"""Checking :func:`latentmix.train.fit_phases`'s arguments (one wording, scikit-learn's)."""

from __future__ import annotations

import json
from numbers import Integral

import torch

from ..exceptions import DataError, InvalidParameterError

__all__ = ["check_arguments"]


def _check_int(name: str, value, low: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        none = " or None" if allow_none else ""
        raise InvalidParameterError(
            f"The {name!r} parameter of fit_phases must be an int >= {low}{none}. Got {value!r} instead.")


def check_arguments(model, X, validation, *, epochs, batch_size, seed, run_dir, checkpoint_every,
                     resume, patience, verbose, compile, amp, config, log_every) -> None:
    """Raise :class:`InvalidParameterError` (or :class:`DataError`) for the first bad argument."""
    for name, value, low in [("epochs", epochs, 1), ("batch_size", batch_size, 1), ("seed", seed, 0),
                             ("verbose", int(verbose) if isinstance(verbose, bool) else verbose, 0)]:
        _check_int(name, value, low)
    for name, value in [("checkpoint_every", checkpoint_every), ("patience", patience),
                        ("log_every", log_every)]:
        _check_int(name, value, 1, allow_none=True)
    if not isinstance(getattr(model, "networks_", None), torch.nn.ModuleDict):
        raise InvalidParameterError("the model must have a 'networks_' torch.nn.ModuleDict")
    if not isinstance(X, torch.Tensor) or X.dim() < 1 or len(X) < 1:
        raise InvalidParameterError(f"X must be a tensor of shape (N, ...) with N >= 1; got {type(X).__name__}")
    params = [p for p in model.networks_.parameters()]
    if params and params[0].device != X.device:
        raise InvalidParameterError(f"X is on {X.device} but the model's networks are on {params[0].device}")
    if validation is not None:
        if not isinstance(validation, torch.Tensor) or validation.shape[1:] != X.shape[1:] or len(validation) < 1:
            raise InvalidParameterError(f"validation must be a non-empty tensor of shape (M, *{tuple(X.shape[1:])})")
        if validation.device != X.device:
            raise InvalidParameterError(f"validation is on {validation.device}, X on {X.device}")
        if not callable(getattr(model, "validation_loss", None)):
            raise InvalidParameterError("validation data given but the model has no validation_loss(batch)")
    if patience is not None and validation is None:
        raise InvalidParameterError("patience (early stopping) needs validation data")
    if run_dir is None and (resume or checkpoint_every is not None):
        raise InvalidParameterError("resume and checkpoint_every need run_dir (the run folder)")
    if not isinstance(compile, bool) or not isinstance(resume, bool):
        raise InvalidParameterError("compile and resume must be bools")
    if amp not in ("auto", "bf16", True, False, None):
        raise InvalidParameterError(f"amp must be 'auto', 'bf16', True or False; got {amp!r}")
    if config is not None:
        if not isinstance(config, dict):
            raise InvalidParameterError(f"config must be a dict; got {type(config).__name__}")
        try:
            json.dumps(config)
        except (TypeError, ValueError):
            raise InvalidParameterError("config must be a JSON-serialisable dict") from None
    for name, t in [("X", X), ("validation", validation)]:
        if t is not None and t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise DataError(f"{name} contains NaN or infinite values")
