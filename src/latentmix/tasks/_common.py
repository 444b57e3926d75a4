"""What the task estimators share: input checking (images or tables), per-column scaling of tables,
choosing the network family from the data, building the inner autoencoder, and the persistence
plumbing of a composite (sub-models in sub-folders, plain tensors in ``weights.safetensors``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .._arrays import input_kind, resolve_device
from ..exceptions import DataError, InvalidParameterError
from ..models._neural import as_batch_tensor

__all__ = ["check_input", "resolve_arch", "resolve_hidden", "TableScaler", "build_autoencoder", "AUTOENCODERS"]

#: The autoencoders a task can build around (names as on the command line).
AUTOENCODERS = ("ae", "dae", "vae", "aae")


def check_input(X, *, device, name: str = "X", shape: tuple | None = None, owner: str = "the model",
                min_samples: int = 1) -> tuple[torch.Tensor, str, object]:
    """X as a float32 tensor on ``device`` plus (``"numpy"``/``"torch"``, the input's device).

    Images (N, C, H, W) / (N, H, W) or a table (N, F); NaN/inf, a wrong rank and, with ``shape``,
    samples of another shape than the fitted ones are a :class:`DataError`."""
    kind, in_device = input_kind(X), (X.device if isinstance(X, torch.Tensor) else None)
    t = as_batch_tensor(X, device=device, name=name)
    if shape is not None and tuple(t.shape[1:]) != tuple(shape):
        what = "features" if len(shape) == 1 else "values per sample"
        raise DataError(f"{name} has samples of shape {tuple(t.shape[1:])}, but {owner} was fitted on samples of "
                        f"shape {tuple(shape)} ({'x'.join(map(str, shape))} {what}); pass data of the same width")
    if len(t) < min_samples:
        raise DataError(f"{name} has {len(t)} sample(s); {owner} needs at least {min_samples}")
    return t, kind, in_device


def resolve_arch(arch: str, sample_shape: tuple) -> str:
    """``"auto"`` is ``"dense"`` for images and tables alike: the dense networks of DEC, IDEC and N2D
    (see :func:`resolve_hidden`) train several times faster than convolutions on a CPU; pass
    ``arch="conv"`` for convolutional ones (image sides 8, 28, 32, 64)."""
    return "dense" if arch == "auto" else arch


def resolve_hidden(hidden, arch: str, sample_shape: tuple):
    """The hidden widths: as given; else DEC's encoder d-500-500-2000-latent (Xie et al., 2016) for
    dense networks on inputs of 256 values or more; else the autoencoder's default (None)."""
    if hidden is not None:
        return tuple(hidden)
    if arch == "dense" and int(np.prod(sample_shape)) >= 256:
        return (500, 500, 2000)
    return None


class TableScaler:
    """Per-column standardisation of a table (mean 0, std 1 on the training rows); images and
    ``enabled=False`` pass through. Autoencoders trained with a squared error need comparable
    column scales: one column in thousands would otherwise be all the loss sees."""

    def __init__(self, mean: torch.Tensor | None = None, std: torch.Tensor | None = None):
        self.mean, self.std = mean, std

    @classmethod
    def fit(cls, X: torch.Tensor, enabled: bool) -> TableScaler:
        if not enabled or X.ndim != 2:
            return cls()
        std = X.std(0, unbiased=False)
        return cls(X.mean(0), torch.where(std > 1e-12, std, torch.ones_like(std)))

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        if self.mean is None:
            return X
        return (X - self.mean.to(X.device)) / self.std.to(X.device)

    def tensors(self) -> dict:
        return {} if self.mean is None else {"scale_mean": self.mean, "scale_std": self.std}

    @classmethod
    def from_tensors(cls, tensors: dict) -> TableScaler:
        return cls(tensors.get("scale_mean"), tensors.get("scale_std"))


def build_autoencoder(kind: str, *, latent_dim: int, arch: str, hidden, noise: str, noise_level: float, prior,
                      epochs: int, batch_size: int, lr: float, random_state, device, verbose: int,
                      likelihood: str = "bernoulli"):
    """The inner model of a task: ``"ae"``, ``"dae"`` (denoising), ``"vae"`` (with ``prior``) or
    ``"aae"`` (adversarial, with ``prior``), sized from the data at its own ``fit``. ``likelihood``
    (VAE): ``"bernoulli"`` for data in [0, 1], ``"gaussian"`` for standardised tables."""
    from ..models import VAE, AdversarialAutoEncoder, AutoEncoder, DenoisingAutoEncoder

    common = dict(arch=arch, hidden=None if hidden is None else tuple(hidden), epochs=epochs, batch_size=batch_size,
                  lr=lr, random_state=random_state, device=device, verbose=verbose)
    if kind == "ae":
        return AutoEncoder(latent_dim, **common)
    if kind == "dae":
        return DenoisingAutoEncoder(latent_dim, noise=noise, noise_level=noise_level, **common)
    if kind == "vae":
        return VAE(latent_dim, prior=prior, likelihood=likelihood, **common)
    if kind == "aae":
        return AdversarialAutoEncoder(latent_dim, prior=prior, **common)
    raise InvalidParameterError(f"unknown autoencoder {kind!r}; choose one of {', '.join(AUTOENCODERS)}")


def model_device(device) -> torch.device:
    return resolve_device(device)


def save_composite(model, path) -> Path:
    from ..core.persist import save_model

    return save_model(model, path)
