"""Saving a fitted model to a folder and loading it back, without pickle.

A model folder holds ``config.json`` (class name, constructor parameters, fitted shapes and
extras, format version) and ``weights.safetensors``. Loading reads the JSON, finds the class in
the registry, rebuilds the networks and loads the tensors: nothing is unpickled.

Composite models nest: a constructor parameter that is itself a registered object (an
autoencoder given to ``LatentGMM``, a prior given to an adversarial autoencoder) is written as
``{"__class__": name, "params": {...}}`` and rebuilt on load; a fitted sub-model a composite
holds (``_saved_children()``, e.g. LatentGMM's autoencoder and mixture) is saved in a
sub-folder of the same name and given back through ``_attach_children`` before the composite's
own ``_load_fitted``. One run folder, one ``latentmix.load``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .._io import write_json
from ..exceptions import CheckpointError, InvalidParameterError
from .registry import class_by_name

__all__ = ["save_model", "load", "json_params"]

FORMAT = "latentmix-model"
VERSION = 1


_CLASS_KEY = "__class__"


def json_params(model) -> dict:
    """Constructor parameters as JSON values (tuples -> lists, numpy scalars -> Python, registered
    objects -> ``{"__class__": name, "params": {...}}``)."""
    out = {}
    for key, value in model.get_params(deep=False).items():
        if class_by_name(type(value).__name__) is type(value) and hasattr(value, "get_params"):
            out[key] = {_CLASS_KEY: type(value).__name__, "params": json_params(value)}
            continue
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
    children = model._saved_children()
    for name, child in children.items():
        save_model(child, path / name)
    model._save_tensors(path / "weights.safetensors")
    config = {"format": FORMAT, "version": VERSION, "class": type(model).__name__,
              "params": json_params(model), "fitted": model._fitted_config(), "children": sorted(children)}
    write_json(path / "config.json", config)  # last: a folder with config.json is complete
    return path


def build_params(params: dict, where) -> dict:
    """Constructor parameters from JSON: nested ``{"__class__": ...}`` values become objects."""
    out = {}
    for key, value in params.items():
        if isinstance(value, dict) and _CLASS_KEY in value:
            cls = class_by_name(str(value[_CLASS_KEY]))
            if cls is None or not isinstance(value.get("params"), dict):
                raise CheckpointError(f"{where}: parameter {key!r} names an unknown class {value[_CLASS_KEY]!r}")
            try:
                value = cls(**build_params(value["params"], where))
            except TypeError as exc:
                raise CheckpointError(f"{where}: the saved parameter {key!r} does not fit "
                                      f"{cls.__name__}: {exc}") from None
        out[key] = value
    return out


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


def load(path, device: str | None = None, *, expect: type | None = None):
    """Load a model saved with ``model.save(path)`` (with its sub-models, for composites).
    ``device`` overrides the saved one; ``expect``: raise :class:`CheckpointError` unless the
    saved model is an instance of this class."""
    config = read_config(path)
    cls = class_by_name(config.get("class", ""))
    if cls is None:
        raise CheckpointError(f"{path}: unknown model class {config.get('class')!r}")
    if expect is not None and not issubclass(cls, expect):
        raise CheckpointError(f"{path} holds a {cls.__name__}, not a {expect.__name__}")
    params = build_params(dict(config["params"]), path)
    for key, value in getattr(cls, "_saved_before", {}).items():  # parameters added since older files
        params.setdefault(key, value)
    if device is not None and "device" in params:
        params["device"] = device
    try:
        model = cls(**params)
        model._validate_params()
    except (TypeError, InvalidParameterError) as exc:
        raise CheckpointError(f"{path}: the saved parameters do not fit {cls.__name__}: {exc}") from None
    children = config.get("children", [])
    if not isinstance(children, list):
        raise CheckpointError(f"{path}: config.json's 'children' is corrupted")
    try:
        model._attach_children({name: load(Path(path) / name, device) for name in children})
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
