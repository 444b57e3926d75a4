"""Saving a fitted model to a folder and loading it back, without pickle.

A model folder holds ``config.json`` (class name, constructor parameters, fitted shapes and
extras, format version) and ``weights.safetensors``. Loading reads the JSON, finds the class in
the registry, rebuilds the networks and loads the tensors: nothing is unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .._io import write_json
from ..exceptions import CheckpointError, InvalidParameterError
from ._registry import class_by_name

__all__ = ["save_model", "load", "json_params"]

FORMAT = "latentmix-model"
VERSION = 1


def json_params(model) -> dict:
    """Constructor parameters as JSON values (tuples -> lists, numpy scalars -> Python)."""
    out = {}
    for key, value in model.get_params(deep=False).items():
        if isinstance(value, (np.integer, np.floating)):
            value = value.item()
        if isinstance(value, torch.device):
            value = str(value)
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, (np.ndarray, torch.Tensor)):  # e.g. means_init, a reg_covar matrix
            value = value.tolist()
        if isinstance(value, (np.random.RandomState, np.random.Generator)):
            value = None
        try:
            json.dumps(value)
        except TypeError:
            raise InvalidParameterError(f"parameter {key}={value!r} cannot be saved to JSON") from None
        out[key] = value
    return out


def save_model(model, path) -> Path:
    """Write ``path/config.json`` and ``path/weights.safetensors`` (each atomically).

    The estimator provides ``_save_tensors(file)`` and ``_fitted_config()``; loading calls
    ``_load_fitted(fitted_config, file)`` on an estimator built from the saved parameters.
    """
    model._check_is_fitted()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model._save_tensors(path / "weights.safetensors")
    config = {"format": FORMAT, "version": VERSION, "class": type(model).__name__,
              "params": json_params(model), "fitted": model._fitted_config()}
    write_json(path / "config.json", config)
    return path


def read_config(path) -> dict:
    """The model config of a run folder, or a :class:`CheckpointError` saying what is wrong."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"{path} is not a folder; expected a run folder with config.json")
    cfg_path = path / "config.json"
    if not cfg_path.is_file():
        raise CheckpointError(f"{path} has no config.json: not a latentmix run folder (or training "
                              "has not finished; use --resume to continue it)")
    try:
        config = json.loads(cfg_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{cfg_path} is corrupted: {exc}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{cfg_path} is not a latentmix model config (foreign run folder?)")
    if config.get("version", 0) > VERSION:
        raise CheckpointError(f"{cfg_path} was written by a newer latentmix (format {config['version']})")
    return config


def load(path, device: str | None = None):
    """Load a model saved with ``model.save(path)``. ``device`` overrides the saved one."""
    config = read_config(path)
    cls = class_by_name(config.get("class", ""))
    if cls is None:
        raise CheckpointError(f"{path}: unknown model class {config.get('class')!r}")
    params = dict(config["params"])
    if device is not None:
        params["device"] = device
    try:
        model = cls(**params)
        model._validate_params()
    except (TypeError, InvalidParameterError) as exc:
        raise CheckpointError(f"{path}: the saved parameters do not fit {cls.__name__}: {exc}") from None
    try:
        model._load_fitted(config["fitted"], Path(path) / "weights.safetensors")
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: the saved model is incomplete or corrupted: {exc!r}") from None
    return model


def save_tensors(tensors: dict, path: Path) -> None:
    """Plain tensors to a safetensors file, atomically."""
    from safetensors.torch import save_file

    from .._io import atomic_write

    atomic_write(path, lambda p: save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(p)))


def load_tensors(path: Path, device) -> dict:
    """A safetensors file as tensors on ``device``; a missing or corrupted file is a CheckpointError."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not Path(path).is_file():
        raise CheckpointError(f"{path} is missing")
    try:
        return {k: v.to(device) for k, v in load_file(str(path)).items()}
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{path} is corrupted: {exc}") from None
