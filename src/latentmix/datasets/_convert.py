"""Turning arrays read from the user's files into the library's layout.

Samples go first. Tabular ``(N, F)`` stays 2-D; image-like ``(N, H, W)`` becomes ``(N, 1, H, W)``
and ``(N, H, W, C)`` with ``C`` in 1, 3, 4 becomes ``(N, C, H, W)``; ``uint8`` is taken to be
pixel intensities and divided by 255. Everything comes back as float32 torch tensors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..exceptions import DataError

__all__ = ["to_samples", "to_labels"]

_CHANNELS = (1, 3, 4)


def _layout(arr: np.ndarray, source: str | Path) -> np.ndarray:
    """Reshape to ``(N, F)`` or ``(N, C, H, W)`` (see the module docstring)."""
    if arr.ndim == 1:
        return arr.reshape(-1, 1)
    if arr.ndim == 2:
        return arr
    if arr.ndim == 3:
        return arr[:, None]
    if arr.ndim == 4:
        if arr.shape[1] not in _CHANNELS and arr.shape[-1] in _CHANNELS:
            return arr.transpose(0, 3, 1, 2)
        return arr
    raise DataError(
        f"{source}: expected a 1-D to 4-D array (samples first); got shape {arr.shape}"
    )


def to_samples(arr: np.ndarray, source: str | Path) -> torch.Tensor:
    """Validate a numeric array and return it as float32 ``(N, F)`` or ``(N, C, H, W)``.

    Raises :class:`DataError` naming ``source`` for non-numeric, empty or non-finite data.
    """
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise DataError(f"{source}: expected numbers; got an array of dtype {arr.dtype}")
    if arr.ndim == 0 or arr.size == 0:
        raise DataError(f"{source} holds no data (array of shape {arr.shape})")
    arr = _layout(arr, source)
    scale = 255.0 if arr.dtype == np.uint8 else None
    arr = np.ascontiguousarray(arr).astype(np.float32, copy=False)
    out = torch.from_numpy(arr if arr.flags.writeable else arr.copy())
    if scale is not None:
        out = out / scale
    if not bool(torch.isfinite(out).all()):
        what = "NaN" if bool(torch.isnan(out).any()) else "infinity (or values beyond float32)"
        raise DataError(f"{source} contains {what}; remove or impute them first")
    return out


def to_labels(y: np.ndarray, n: int, source: str | Path) -> torch.Tensor:
    """Labels as int64 ``(n,)``: whole numbers kept, strings mapped to their sorted index."""
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1 or y.shape[0] != n:
        raise DataError(f"{source}: expected {n} labels (one per sample); got shape {y.shape}")
    if y.dtype.kind in "US":
        y = np.unique(y, return_inverse=True)[1].reshape(-1)
    elif y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise DataError(f"{source}: labels must be whole numbers or strings; found fractions "
                            "or NaN")
    elif y.dtype.kind not in "biu":
        raise DataError(f"{source}: labels must be whole numbers or strings; got dtype {y.dtype}")
    return torch.from_numpy(y.astype(np.int64))
