"""The small, frozen per-dataset classifier whose penultimate layer stands in for the Inception
network of FID/KID/IS (Heusel et al., 2017; Szegedy et al., 2016), trained by our own code.

No pretrained weights can be downloaded offline, so each built-in image dataset family gets a
small CNN trained once, with a fixed seed, on its train split, then cached without pickle::

    <cache>/feature-extractors/<dataset>-v<FEATURE_VERSION>.safetensors   # weights + metadata
    <cache>/feature-extractors/<dataset>-v<FEATURE_VERSION>.json          # accuracy, seed, epochs, sha256

``<cache>`` is ``$LATENTMIX_CACHE`` when set, else ``$XDG_CACHE_HOME/latentmix`` (default
``~/.cache/latentmix``). Bump :data:`FEATURE_VERSION` whenever the architecture or the training
recipe changes: numbers computed with different versions are not comparable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .._io import atomic_write, write_json
from ..exceptions import InvalidParameterError

__all__ = ["FEATURE_VERSION", "CLASSIFIER_SPECS", "FeatureClassifier", "ClassifierSpec",
           "feature_cache_dir", "classifier_path", "train_feature_classifier", "load_or_train"]

logger = logging.getLogger(__name__)

#: Version of the classifiers' architecture + training recipe; part of the cache file name.
FEATURE_VERSION = 1
ENV_CACHE = "LATENTMIX_CACHE"


@dataclass(frozen=True)
class ClassifierSpec:
    """Architecture and default training recipe of one dataset's classifier: one block per
    entry of ``channels`` (3x3 conv -> ReLU, then a 2x2 max-pool where ``pool`` says so; default
    every block), then Linear -> ReLU (the ``feature_dim`` features) and a Linear head."""

    input_shape: tuple[int, int, int]
    channels: tuple[int, ...]
    pool: tuple[bool, ...] | None = None
    feature_dim: int = 128
    n_classes: int = 10
    epochs: int = 3
    batch_size: int = 128
    lr: float = 1e-3  # Adam's peak rate, decayed to 0 along a cosine over all steps
    augment: bool = False  # small random affine jitter of each training batch (see _jitter)


_MNIST_LIKE = ClassifierSpec((1, 28, 28), (32, 64), epochs=3, lr=2e-3)
_RGB32 = ClassifierSpec((3, 32, 32), (32, 64, 128), epochs=10)

#: Built-in dataset name -> its classifier (trained on that dataset's own train split).
CLASSIFIER_SPECS: dict[str, ClassifierSpec] = {
    "digits": ClassifierSpec((1, 8, 8), (32, 64), (False, True), epochs=12, batch_size=32, lr=2e-3, augment=True),
    "fashion-mnist": _MNIST_LIKE,
    "mnist": _MNIST_LIKE,
    "cifar10": _RGB32,
    "svhn": ClassifierSpec((3, 32, 32), (32, 64, 128), epochs=5),
}


class FeatureClassifier(nn.Module):
    """Small CNN ``(N, C, H, W) in [0, 1] -> (N, n_classes)`` logits; :meth:`features` returns the
    ``(N, feature_dim)`` penultimate-layer activations (after the ReLU)."""

    def __init__(self, spec: ClassifierSpec):
        super().__init__()
        c, h, w = spec.input_shape
        layers: list[nn.Module] = []
        pools = spec.pool or (True,) * len(spec.channels)
        for width, pool in zip(spec.channels, pools):
            layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU()]
            c = width
            if pool:
                layers.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
        self.conv = nn.Sequential(*layers, nn.Flatten())
        self.embed = nn.Sequential(nn.Linear(c * h * w, spec.feature_dim), nn.ReLU())
        self.head = nn.Linear(spec.feature_dim, spec.n_classes)
        self.spec = spec

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(self.conv(x * 2.0 - 1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _spec(dataset: str) -> ClassifierSpec:
    if dataset not in CLASSIFIER_SPECS:
        raise InvalidParameterError(
            f"no feature classifier for dataset {dataset!r}; choose one of {sorted(CLASSIFIER_SPECS)}, "
            "or pass a torch.nn.Module or a callable (N, C, H, W) -> (N, F)")
    return CLASSIFIER_SPECS[dataset]


def feature_cache_dir() -> Path:
    """``$LATENTMIX_CACHE/feature-extractors``, else ``$XDG_CACHE_HOME/latentmix/feature-extractors``."""
    base = os.environ.get(ENV_CACHE)
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "latentmix")
    return Path(base).expanduser() / "feature-extractors"


def classifier_path(dataset: str) -> Path:
    """The cached weights of ``dataset``'s classifier (the JSON sidecar has suffix ``.json``)."""
    _spec(dataset)
    return feature_cache_dir() / f"{dataset}-v{FEATURE_VERSION}.safetensors"


def _jitter(x: torch.Tensor, generator: torch.Generator, shift: float = 1.0, degrees: float = 10.0,
            scale: float = 0.1) -> torch.Tensor:
    """Random affine jitter ``(N, C, H, W) -> (N, C, H, W)``: each image shifted by up to
    ``shift`` pixels, rotated by up to ``degrees`` and scaled by up to ``1 +- scale``."""
    n, _, h, w = x.shape
    r = (torch.rand(n, 4, generator=generator) * 2 - 1).to(x.device)
    angle, s = r[:, 0] * math.radians(degrees), 1 + r[:, 1] * scale
    cos, sin = s * torch.cos(angle), s * torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, r[:, 2] * 2 * shift / w], 1),
                         torch.stack([sin, cos, r[:, 3] * 2 * shift / h], 1)], 1)
    grid = nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    return nn.functional.grid_sample(x, grid, align_corners=False)


@torch.no_grad()
def _accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, device, batch_size: int = 1000) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(X), batch_size):
        logits = model(X[i:i + batch_size].to(device))
        correct += int((logits.argmax(1).cpu() == y[i:i + batch_size]).sum())
    return correct / max(len(X), 1)


def train_feature_classifier(dataset: str, *, epochs: int | None = None, seed: int = 0, device="cpu",
                             batch_size: int | None = None, lr: float | None = None
                             ) -> tuple[FeatureClassifier, float]:
    """Train ``dataset``'s classifier on its train split with Adam and a fixed seed; return the
    frozen module (eval mode, no gradients) and its accuracy on the test split.

    Deterministic on CPU: weights are initialised under ``torch.manual_seed(seed)`` inside a
    forked RNG (the caller's global RNG state is untouched) and batches come from a seeded
    generator. ``epochs``/``batch_size``/``lr`` default to the dataset's :data:`CLASSIFIER_SPECS`.
    """
    from .. import datasets  # late import: metrics sits above data in the layering

    spec = _spec(dataset)
    epochs = spec.epochs if epochs is None else epochs
    batch_size = spec.batch_size if batch_size is None else batch_size
    lr = spec.lr if lr is None else lr
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise InvalidParameterError(f"epochs must be an int >= 1; got {epochs!r}")
    device = torch.device(device)
    X, y = datasets.load(dataset, "train")
    Xte, yte = datasets.load(dataset, "test")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = FeatureClassifier(spec).to(device)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * -(-len(X) // batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)))
    X, y = X.to(device), y.to(device)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(X), generator=generator).to(device)
        for i in range(0, len(X), batch_size):
            idx = order[i:i + batch_size]
            batch = _jitter(X[idx], generator) if spec.augment else X[idx]
            loss = nn.functional.cross_entropy(model(batch), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        logger.info("feature classifier %s: epoch %d/%d, last loss %.4f", dataset, epoch + 1, epochs,
                    float(loss.detach()))
    accuracy = _accuracy(model, Xte, yte, device)
    model.eval().requires_grad_(False)
    return model, accuracy


def _metadata(dataset: str, spec: ClassifierSpec) -> dict[str, str]:
    return {"dataset": dataset, "feature_version": str(FEATURE_VERSION),
            "input_shape": json.dumps(list(spec.input_shape)), "channels": json.dumps(list(spec.channels)),
            "feature_dim": str(spec.feature_dim), "n_classes": str(spec.n_classes)}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load(dataset: str, path: Path, device) -> tuple[FeatureClassifier, dict]:
    """Load cached weights; raises on anything unexpected (missing sidecar, checksum, metadata)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    spec = _spec(dataset)
    info = json.loads(path.with_suffix(".json").read_text())
    if not isinstance(info, dict) or info.get("sha256") != _sha256(path):
        raise ValueError("checksum does not match the JSON sidecar")
    with safe_open(str(path), framework="pt") as f:
        if f.metadata() != _metadata(dataset, spec):
            raise ValueError("metadata does not match this version's architecture")
    model = FeatureClassifier(spec)
    model.load_state_dict(load_file(str(path)), strict=True)
    return model.to(device).eval().requires_grad_(False), info


def _save(model: FeatureClassifier, dataset: str, path: Path, info: dict) -> None:
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(path, lambda p: save_file(state, str(p), metadata=_metadata(dataset, model.spec)))
    write_json(path.with_suffix(".json"), {**info, "sha256": _sha256(path)})


def load_or_train(dataset: str, *, device="cpu") -> tuple[FeatureClassifier, dict]:
    """``dataset``'s frozen classifier from the cache, trained (and cached) on first use.

    Returns ``(model, info)``; ``info`` is the sidecar (``test_accuracy``, ``seed``, ``epochs``,
    ``train_seconds``, ...) plus ``"from_cache"``. An unreadable or stale cache file is
    retrained with a warning; a cache folder that cannot be written only warns.
    """
    path = classifier_path(dataset)
    if path.exists():
        try:
            model, info = _load(dataset, path, device)
            return model, {**info, "from_cache": True}
        except Exception as err:  # corrupted, truncated, foreign: never crash on a cache
            warnings.warn(f"cached feature classifier {path} is unusable ({type(err).__name__}: {err}); "
                          "retraining it", UserWarning, stacklevel=4)
    spec = CLASSIFIER_SPECS[dataset]
    logger.info("training the %s feature classifier once (cached at %s)", dataset, path)
    start = time.perf_counter()
    model, accuracy = train_feature_classifier(dataset, seed=0, device=device)
    info = {"dataset": dataset, "feature_version": FEATURE_VERSION, "test_accuracy": accuracy, "seed": 0,
            "epochs": spec.epochs, "batch_size": spec.batch_size, "lr": spec.lr,
            "train_seconds": round(time.perf_counter() - start, 2), "device": str(device), "torch": torch.__version__}
    try:
        _save(model, dataset, path, info)
    except OSError as err:
        warnings.warn(f"could not cache the feature classifier at {path} ({err}); it will be retrained "
                      "next time", UserWarning, stacklevel=4)
    return model, {**info, "from_cache": False}
