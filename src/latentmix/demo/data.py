"""The demo's data: a built-in dataset's train and test splits, or the user's labelled file split
75/25 with a fixed seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import DataError, InvalidParameterError

__all__ = ["DemoData", "load_demo_data"]

#: Built-in datasets whose frozen classifier gives the feature space of FD and the other sample metrics.
FEATURE_DATASETS = ("digits", "fashion-mnist", "mnist", "cifar10", "svhn")


@dataclass
class DemoData:
    """Float32 arrays: images (N, C, H, W) or tables (N, F); integer labels (N,)."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def features(self) -> str | None:
        """The built-in feature extractor for the sample metrics, or None (metrics on raw values)."""
        return self.name if self.name in FEATURE_DATASETS else None

    @property
    def unit_range(self) -> bool:
        """All values in [0, 1] (what a GAN's sigmoid generator can produce)."""
        return bool(self.X_train.min() >= 0 and self.X_train.max() <= 1)

    @property
    def n_values(self) -> int:
        return int(np.prod(self.X_train.shape[1:]))

    @property
    def n_classes(self) -> int:
        return int(len(np.unique(np.concatenate([self.y_train, self.y_test]))))

    def all(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate([self.X_train, self.X_test]), np.concatenate([self.y_train, self.y_test])

    def describe(self) -> str:
        shape = "x".join(map(str, self.X_train.shape[1:]))
        return (f"{self.name}: {len(self.X_train):,} train / {len(self.X_test):,} test samples of {shape}, "
                f"{self.n_classes} classes")


def _numpy(t) -> np.ndarray:
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def load_demo_data(name: str, *, max_rows: int | None = None, seed: int = 0) -> DemoData:
    """The train and test splits of ``name`` (a built-in dataset or a labelled .npy/.npz/.csv file
    or image folder, split 75/25), at most ``max_rows`` training and ``max_rows // 4`` test rows."""
    from .. import datasets

    if not isinstance(name, str) or not name:
        raise InvalidParameterError(f"data must be a dataset name or a path; got {name!r}")
    if max_rows is not None and (isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 20):
        raise InvalidParameterError(f"max_rows must be None or an int >= 20; got {max_rows!r}")
    builtin = {info.name for info in datasets.list_datasets()}
    rng = np.random.default_rng(seed)
    if name in builtin:
        X_train, y_train = datasets.load(name, split="train")
        X_test, y_test = datasets.load(name, split="test")
        X_train, y_train, X_test, y_test = map(_numpy, (X_train, y_train, X_test, y_test))
    else:
        X, y = datasets.load(name, split="all")
        if y is None:
            raise DataError(f"{name} has no labels: the demo scores clustering and anomaly detection against "
                            "known classes; give a file with labels (e.g. an .npz with 'y', a .csv label column "
                            "or one image sub-folder per class)")
        X, y = _numpy(X), _numpy(y)
        order = rng.permutation(len(X))
        cut = int(round(0.75 * len(X)))
        X_train, y_train, X_test, y_test = X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]
    if max_rows is not None:
        keep = rng.permutation(len(X_train))[:max_rows]
        keep_test = rng.permutation(len(X_test))[:max(max_rows // 4, 10)]
        X_train, y_train, X_test, y_test = X_train[keep], y_train[keep], X_test[keep_test], y_test[keep_test]
    data = DemoData(name, X_train.astype(np.float32), y_train.astype(np.int64), X_test.astype(np.float32),
                    y_test.astype(np.int64))
    if data.n_classes < 2 or len(data.X_train) < 20 or len(data.X_test) < 10:
        raise DataError(f"{name}: the demo needs at least 2 classes, 20 training and 10 test rows; got "
                        f"{data.n_classes} classes, {len(data.X_train)} and {len(data.X_test)} rows")
    return data
