"""Reader for the cropped-digits SVHN files (``train_32x32.mat``, ``test_32x32.mat``).

The files hold ``X`` as uint8 ``(32, 32, 3, N)`` and ``y`` as ``(N, 1)`` with labels 1..10, where
10 stands for the digit 0 (http://ufldl.stanford.edu/housenumbers/, "Format 2"). Netzer et al.,
"Reading Digits in Natural Images with Unsupervised Feature Learning", NIPS workshop 2011.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..exceptions import DataError
from ._idx import check_labels

__all__ = ["FILES", "read_svhn_mat", "convert_svhn"]

FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}


def convert_svhn(
    X: np.ndarray, y: np.ndarray, source: str | Path
) -> tuple[np.ndarray, np.ndarray]:
    """``X (32,32,3,N)``, ``y (N,1)`` in 1..10 -> ``X uint8 (N,3,32,32)``, ``y int64 (N,)`` 0..9."""
    if X.ndim != 4 or X.shape[:3] != (32, 32, 3):
        raise DataError(f"{source}: expected X of shape (32, 32, 3, N); got {X.shape}")
    if X.dtype != np.uint8:
        raise DataError(f"{source}: expected X of dtype uint8; got {X.dtype}")
    y = np.asarray(y).reshape(-1)
    if y.shape[0] != X.shape[3]:
        raise DataError(f"{source}: {X.shape[3]} images but {y.shape[0]} labels")
    if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and not np.all(y == np.round(y))):
        raise DataError(f"{source}: labels must be whole numbers; got dtype {y.dtype}")
    labels = y.astype(np.int64)
    labels[labels == 10] = 0
    check_labels(labels, 10, source)
    images = np.ascontiguousarray(X.transpose(3, 2, 0, 1))
    return images, labels


def read_svhn_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one SVHN ``*_32x32.mat`` file with :func:`scipy.io.loadmat`."""
    import scipy.io  # here, not at import: it takes a second
    from scipy.io.matlab import MatReadError

    try:
        mat = scipy.io.loadmat(str(path), variable_names=["X", "y"])
    except (MatReadError, ValueError, TypeError, OSError, EOFError, NotImplementedError) as exc:
        raise DataError(
            f"{path} is not a readable MATLAB file ({exc}); delete it and fetch it again"
        ) from exc
    if "X" not in mat or "y" not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise DataError(f"{path}: expected the variables 'X' and 'y'; found {found}")
    return convert_svhn(mat["X"], mat["y"], path)
