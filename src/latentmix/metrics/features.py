"""Feature extractors for the sample-quality metrics: the offline stand-in for the Inception
network of FID/KID/IS (Heusel et al., 2017; Bińkowski et al., 2018; Salimans et al., 2016).

The distances live in :mod:`latentmix.metrics.generation` and only see ``(N, F)`` arrays; this
module turns images into those arrays. A feature extractor is either

- a built-in dataset name (``"digits"``, ``"fashion-mnist"``, ``"mnist"``, ``"cifar10"``,
  ``"svhn"``): a small CNN trained once by :func:`train_feature_classifier` with a fixed seed
  on that dataset's train split, frozen and cached (see :mod:`latentmix.metrics._classifier`);
  its features are the penultimate-layer activations and it also gives class probabilities;
- any ``torch.nn.Module`` or callable mapping an ``(N, C, H, W)`` float tensor to ``(N, F)``.

>>> fx = get_feature_extractor("digits")            # doctest: +SKIP
>>> fx.features(X).shape, fx.probabilities(X).shape  # doctest: +SKIP
((360, 128), (360, 10))
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from ..exceptions import DataError, InvalidParameterError
from ._classifier import (
    CLASSIFIER_SPECS,
    FEATURE_VERSION,
    classifier_path,
    feature_cache_dir,
    load_or_train,
    train_feature_classifier,
)

__all__ = ["FEATURE_VERSION", "FeatureExtractor", "get_feature_extractor", "train_feature_classifier",
           "feature_cache_dir", "classifier_path", "FEATURE_DATASETS"]

#: Dataset names that :func:`get_feature_extractor` accepts.
FEATURE_DATASETS: tuple[str, ...] = tuple(CLASSIFIER_SPECS)


def _resolve_device(device) -> torch.device:
    if device is None or device == "auto":
        return torch.device("cuda" if device == "auto" and torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise InvalidParameterError(f"device must be 'cpu', 'cuda', 'auto' or a torch.device; got {device!r}") from err


def _as_image_tensor(images, input_shape: tuple[int, int, int] | None) -> torch.Tensor:
    """``images`` as a float32 ``(N, C, H, W)`` tensor (on its own device).

    With a known ``input_shape``, ``(N, H, W)`` (one channel) and flattened ``(N, C*H*W)`` inputs
    are reshaped and a wrong shape is a :class:`DataError`; uint8 pixels are scaled to [0, 1].
    """
    if isinstance(images, torch.Tensor):
        x = images.detach()
    else:
        try:
            x = torch.as_tensor(np.asarray(images))
        except (TypeError, ValueError) as err:
            raise DataError(f"images must be a numeric array or tensor; got {type(images).__name__}") from err
    if x.ndim == 0 or x.shape[0] == 0:
        raise DataError(f"images must be a non-empty (N, C, H, W) array; got shape {tuple(x.shape)}")
    x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
    if input_shape is not None:
        c, h, w = input_shape
        if x.ndim == 3 and c == 1 and tuple(x.shape[1:]) == (h, w):
            x = x.unsqueeze(1)
        elif x.ndim == 2 and x.shape[1] == c * h * w:
            x = x.reshape(-1, c, h, w)
        if tuple(x.shape[1:]) != tuple(input_shape):
            raise DataError(f"this feature extractor expects images of shape (N, {c}, {h}, {w}) "
                            f"(or flattened (N, {c * h * w})); got {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise DataError("images contain NaN or infinity")
    return x


class FeatureExtractor:
    """Batched, gradient-free image -> feature map (and, for the built-in classifiers, image ->
    class probabilities). Build one with :func:`get_feature_extractor`.

    Outputs follow the input: numpy in -> numpy out; a tensor in -> a tensor on its device.

    Attributes: ``name``, ``device``, ``input_shape`` (``(C, H, W)`` or None when unknown),
    ``n_classes`` (None without probabilities), ``info`` (the built-in classifier's sidecar:
    ``test_accuracy``, ``seed``, ``epochs``, ``from_cache``; empty otherwise).
    """

    def __init__(self, features: Callable, probabilities: Callable | None = None, *, name: str,
                 device: torch.device, input_shape=None, n_classes: int | None = None,
                 module: nn.Module | None = None, info: dict | None = None, batch_size: int = 500):
        self._features, self._probabilities, self._module = features, probabilities, module
        self.name, self.device, self.batch_size = name, device, batch_size
        self.input_shape = None if input_shape is None else tuple(input_shape)
        self.n_classes, self.info = n_classes, dict(info or {})

    def __repr__(self) -> str:
        return f"FeatureExtractor(name={self.name!r}, device={str(self.device)!r}, input_shape={self.input_shape})"

    def features(self, images, *, batch_size: int | None = None):
        """``(N, C, H, W)`` images -> ``(N, F)`` features."""
        return self._run(images, want_probabilities=False, batch_size=batch_size)[0]

    def probabilities(self, images, *, batch_size: int | None = None):
        """``(N, C, H, W)`` images -> ``(N, n_classes)`` class probabilities, or None when this
        extractor has no classifier head (a user's module or callable)."""
        if self._probabilities is None:
            return None
        return self._run(images, want_features=False, batch_size=batch_size)[1]

    def features_and_probabilities(self, images, *, batch_size: int | None = None):
        """Both in one pass: ``((N, F), (N, n_classes) or None)``."""
        return self._run(images, want_probabilities=self._probabilities is not None, batch_size=batch_size)

    def _run(self, images, *, want_features=True, want_probabilities=True, batch_size=None):
        x = _as_image_tensor(images, self.input_shape)
        if self.input_shape is not None and (float(x.min()) < -0.01 or float(x.max()) > 1.01):
            warnings.warn(f"images range over [{float(x.min()):.3g}, {float(x.max()):.3g}] but the {self.name!r} "
                          "feature extractor expects [0, 1]; rescale them (e.g. (x + 1) / 2 for tanh outputs)",
                          UserWarning, stacklevel=3)
        batch_size = batch_size or self.batch_size
        feats, probs = [], []
        was_training = self._module.training if self._module is not None else False
        if self._module is not None:
            self._module.eval()
        try:
            with torch.no_grad():
                for i in range(0, len(x), batch_size):
                    batch = x[i:i + batch_size].to(self.device)
                    if want_features:
                        feats.append(self._call(self._features, batch, "features").cpu())
                    if want_probabilities:
                        probs.append(self._call(self._probabilities, batch, "probabilities").cpu())
        finally:
            if self._module is not None:
                self._module.train(was_training)
        return tuple(self._output(torch.cat(parts), images) if parts else None for parts in (feats, probs))

    @staticmethod
    def _call(fn: Callable, batch: torch.Tensor, what: str) -> torch.Tensor:
        out = fn(batch)
        if not isinstance(out, torch.Tensor):
            out = torch.as_tensor(np.asarray(out))
        if out.ndim < 1 or out.shape[0] != batch.shape[0]:
            raise DataError(f"the feature extractor's {what} must have one row per image; "
                            f"got shape {tuple(out.shape)} for {batch.shape[0]} images")
        return out.detach().reshape(out.shape[0], -1).float()

    @staticmethod
    def _output(result: torch.Tensor, images):
        if isinstance(images, torch.Tensor):
            return result.to(images.device)
        return result.numpy()


def _from_dataset(name: str, device: torch.device, batch_size: int) -> FeatureExtractor:
    model, info = load_or_train(name, device=device)
    spec = CLASSIFIER_SPECS[name]
    return FeatureExtractor(model.features, lambda x: torch.softmax(model(x), dim=1), name=name, device=device,
                            input_shape=spec.input_shape, n_classes=spec.n_classes, module=model, info=info,
                            batch_size=batch_size)


def get_feature_extractor(features, *, device=None, batch_size: int = 500) -> FeatureExtractor:
    """The :class:`FeatureExtractor` for ``features``.

    ``features``: a built-in dataset name (:data:`FEATURE_DATASETS`; its classifier is trained
    on first use, a few seconds for ``digits``, a few CPU minutes for ``fashion-mnist``, then
    loaded from the cache), a ``torch.nn.Module`` (moved to ``device``, run in eval mode, its
    output flattened to ``(N, F)``), any callable ``(N, C, H, W) tensor -> (N, F)``, or an
    existing :class:`FeatureExtractor` (returned as is).

    ``device``: where the network runs; None keeps a module where its parameters are (CPU for
    the built-in classifiers and plain callables), ``"auto"`` picks CUDA when present.
    """
    if isinstance(features, FeatureExtractor):
        return features
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidParameterError(f"batch_size must be an int >= 1; got {batch_size!r}")
    if isinstance(features, str):
        if features not in CLASSIFIER_SPECS:
            raise InvalidParameterError(
                f"unknown feature extractor {features!r}; choose one of {sorted(CLASSIFIER_SPECS)}, "
                "or pass a torch.nn.Module or a callable (N, C, H, W) -> (N, F)")
        return _from_dataset(features, _resolve_device(device), batch_size)
    if isinstance(features, nn.Module):
        if device is None:
            param = next(features.parameters(), None)
            dev = param.device if param is not None else torch.device("cpu")
        else:
            dev = _resolve_device(device)
            features.to(dev)
        return FeatureExtractor(features, name=type(features).__name__, device=dev, module=features,
                                batch_size=batch_size)
    if callable(features):
        return FeatureExtractor(features, name=getattr(features, "__name__", type(features).__name__),
                                device=_resolve_device(device), batch_size=batch_size)
    raise InvalidParameterError(
        f"features must be one of {sorted(CLASSIFIER_SPECS)}, a torch.nn.Module or a callable; "
        f"got {type(features).__name__}")
