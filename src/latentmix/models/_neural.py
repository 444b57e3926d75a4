"""What every neural estimator shares: input handling, fitting through the one training engine,
batched inference, and saving to / loading from a run folder."""

from __future__ import annotations

import math
import secrets
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._arrays import input_kind, to_output
from .._estimator import TorchEstimator
from .._validation import InstanceOf, Interval, Options, RandomStateLike
from ..exceptions import DataError, InvalidParameterError
from ..train import SCHEDULES, fit_phases, load_weights, save_weights

__all__ = ["NeuralEstimator", "as_batch_tensor"]


def as_batch_tensor(X: Any, *, device, name: str = "X", shape: tuple | None = None, return_range: bool = False):
    """Images (N, C, H, W) / (N, H, W) or a table (N, F) as a float32 tensor on ``device``.

    ``shape``: the per-sample shape a fitted model expects; other shapes are a :class:`DataError`.
    ``return_range``: also return the (min, max) of the values, found in the same pass.
    """
    if isinstance(X, torch.Tensor):
        t = X.detach()
    elif isinstance(X, (np.ndarray, list, tuple)):
        arr = np.asarray(X)
        if arr.dtype.kind not in "biuf":
            raise DataError(f"{name} must hold real numbers; got an array of dtype {arr.dtype}")
        t = torch.from_numpy(np.ascontiguousarray(arr))
    else:
        raise InvalidParameterError(f"{name} must be a numpy array or a torch tensor; got {type(X).__name__}")
    if t.is_complex() or t.dtype == torch.bool:
        raise DataError(f"{name} must hold real numbers; got dtype {t.dtype}")
    if t.ndim == 3:
        t = t.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)
    if t.ndim not in (2, 4):
        raise DataError(f"{name} must be images (N, C, H, W) or a table (N, F); got shape {tuple(t.shape)}")
    if t.shape[0] == 0 or t[0].numel() == 0:
        raise DataError(f"{name} is empty (shape {tuple(t.shape)})")
    if shape is not None and tuple(t.shape[1:]) != tuple(shape):
        raise DataError(f"{name} has samples of shape {tuple(t.shape[1:])}, but the model was trained "
                        f"on samples of shape {tuple(shape)}")
    t = t.to(device=device, dtype=torch.float32)
    lo, hi = (float(v) for v in torch.aminmax(t))  # one pass: NaN or inf anywhere shows in min/max
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise DataError(f"{name} contains NaN or infinity; clean the data first")
    return (t, (lo, hi)) if return_range else t


class NeuralEstimator(TorchEstimator):
    """Base of the autoencoders, GANs and hybrids: subclasses build ``networks_`` and declare
    ``training_phases()``; fitting is :func:`latentmix.train.fit_phases`."""

    _fitted_attribute = "networks_"
    _parameter_constraints = {
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0.0, None, closed="neither")],
        "lr_schedule": [Options(set(SCHEDULES))],
        "device": [InstanceOf(str, torch.device)],
        "random_state": [RandomStateLike()],
        "verbose": [Interval(Integral, 0, None, closed="left")],
        "patience": [None, Interval(Integral, 1, None, closed="left")],
        "checkpoint_every": [None, Interval(Integral, 1, None, closed="left")],
        "compile": [InstanceOf(bool)],
        "dtype": [Options({"float32"})],
    }
    dtype = "float32"

    # ------------------------------------------------------------------ subclass hooks
    def _build_networks(self, input_shape: tuple) -> torch.nn.ModuleDict:  # pragma: no cover
        raise NotImplementedError

    def training_phases(self):  # pragma: no cover
        raise NotImplementedError

    def _fitted_extras(self) -> dict:
        """JSON-able fitted state beyond the weights (saved in config.json)."""
        return {}

    def _restore_extras(self, extras: dict) -> None:
        pass

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None, *, validation=None, run_dir: str | Path | None = None, resume: bool = False):
        """Train on X (images (N, C, H, W) or a table (N, F)). ``validation``: held-out data for
        early stopping (``patience``); ``run_dir``: where checkpoints, metrics.jsonl and the final
        model go; ``resume``: continue the run saved in ``run_dir``. Returns self."""
        self._validate_params()
        if resume and run_dir is None:
            raise InvalidParameterError("resume=True needs run_dir (the run folder to continue)")
        Xt, self._data_range = as_batch_tensor(X, device=self._device, return_range=True)
        Vt = None if validation is None else as_batch_tensor(validation, device=self._device, name="validation",
                                                             shape=tuple(Xt.shape[1:]))
        self.seed_ = self._seed()
        torch.manual_seed(self.seed_)
        self.output_kind_ = input_kind(X)  # numpy in -> numpy out (samples too)
        self.input_shape_ = tuple(int(s) for s in Xt.shape[1:])
        self._on_fit_data(Xt)
        self.networks_ = self._build_networks(self.input_shape_).to(self._device)
        result = fit_phases(self, Xt, epochs=self.epochs, batch_size=self.batch_size, seed=self.seed_,
                            validation=Vt, run_dir=run_dir, checkpoint_every=self.checkpoint_every,
                            resume=resume, patience=self.patience, verbose=self.verbose,
                            compile=self.compile, config=self._config())
        self.history_ = result.history
        self._save_run(run_dir)
        return self

    def _save_run(self, run_dir) -> None:
        """Save the fitted model into ``run_dir`` at the end of ``fit`` (nothing without one): by
        rank 0 only under ``torch.distributed``, where every rank holds the same model."""
        from .._distributed import rank

        if run_dir is not None and rank() == 0:
            self.save(run_dir)

    def _on_fit_data(self, X: torch.Tensor) -> None:
        """Record what the networks depend on (e.g. whether the data lies in [0, 1])."""

    def _seed(self) -> int:
        rs = self.random_state
        if rs is None:
            return secrets.randbits(31)
        if isinstance(rs, Integral):
            return int(rs)
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(2**31 - 1))
        return int(rs.integers(2**31 - 1))

    # ------------------------------------------------------------------ inference
    def _batched(self, X, fn, *, input_shape=None, name="X"):
        """Apply ``fn`` (tensor batch -> tensor batch) in eval mode without gradients; numpy in ->
        numpy out, tensors back on the input's device."""
        self._check_is_fitted()
        kind, device = input_kind(X), (X.device if isinstance(X, torch.Tensor) else None)
        shape = self.input_shape_ if input_shape is None else input_shape
        Xt = as_batch_tensor(X, device=self._fitted_device(), name=name, shape=shape)
        was_training = self.networks_.training
        self.networks_.eval()
        try:
            with torch.no_grad():
                step = max(256, self.batch_size * 4)
                out = torch.cat([fn(Xt[i:i + step]) for i in range(0, Xt.shape[0], step)])
        finally:
            self.networks_.train(was_training)
        return to_output(out, kind, device)

    def _fitted_device(self) -> torch.device:
        return next(self.networks_.parameters()).device

    # ------------------------------------------------------------------ persistence
    def _config(self) -> dict:
        from ..core.persist import json_params

        return {"class": type(self).__name__, "params": json_params(self)}

    def save(self, path: str | Path) -> Path:
        """Write ``config.json`` and ``weights.safetensors`` into the folder ``path``."""
        from ..core.persist import save_model

        return save_model(self, path)

    def _save_tensors(self, file: Path) -> None:
        save_weights(self.networks_, file)

    def _fitted_config(self) -> dict:
        return {"input_shape": list(self.input_shape_), "seed": self.seed_, "extras": self._fitted_extras(),
                "output_kind": getattr(self, "output_kind_", "torch")}

    def _load_fitted(self, fitted: dict, file: Path) -> None:
        self.input_shape_ = tuple(fitted["input_shape"])
        self.seed_ = fitted.get("seed", 0)
        self.output_kind_ = fitted.get("output_kind", "torch")
        self._restore_extras(fitted.get("extras", {}))
        torch.manual_seed(self.seed_)
        self.networks_ = self._build_networks(self.input_shape_).to(self._device)
        load_weights(self.networks_, file)
        self.networks_.eval()
