"""The user's own data: ``.npy``, ``.npz``, ``.csv`` files and folders of PNG/JPEG images."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import torch

from ..exceptions import DataError, DatasetNotFoundError, InvalidParameterError
from ._convert import to_labels, to_samples
from ._csv import read_csv
from ._images import read_image_folder

__all__ = ["load_path", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".npy", ".npz", ".csv")
_X_KEYS = ("X", "x", "data")
_Y_KEYS = ("y", "labels")


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path} is not a readable .npy file of numbers ({exc})") from exc


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Data under ``X``, ``x`` or ``data`` (else the first array); labels under ``y``/``labels``."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.files)
            if not keys:
                raise DataError(f"{path} holds no arrays")
            x_key = next((k for k in _X_KEYS if k in keys), None)
            y_key = next((k for k in _Y_KEYS if k in keys), None)
            if x_key is None:
                x_key = next((k for k in keys if k != y_key), None)
            if x_key is None:
                raise DataError(f"{path} holds only labels ({y_key!r}); expected data under "
                                f"one of {', '.join(_X_KEYS)}")
            return archive[x_key], (archive[y_key] if y_key else None)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path} is not a readable .npz file of numbers ({exc})") from exc


def load_path(
    path: str | os.PathLike, label_column: int | str | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Load the user's data from a file or image folder as ``(X, y)``.

    Parameters
    ----------
    path
        ``.npy`` (one array), ``.npz`` (data under ``X``/``x``/``data`` or the first array,
        labels under ``y``/``labels``), ``.csv`` (numeric; header row optional) or a folder
        of PNG/JPEG images (one sub-folder per class gives labels by sorted folder name).
    label_column
        CSV only: the column holding the labels, by index (negatives count from the end) or
        by header name. Labels that are not numbers are mapped to their sorted index.

    Returns
    -------
    X : float32 tensor, ``(N, F)`` for tabular data, ``(N, C, H, W)`` for images
        (``(N, H, W)`` arrays get ``C = 1``); ``uint8`` data is divided by 255.
    y : int64 tensor ``(N,)`` or None when the data carry no labels.

    Raises
    ------
    DatasetNotFoundError
        ``path`` does not exist.
    DataError
        Empty, corrupted or non-numeric data, NaN or infinity; the message names the file.
    InvalidParameterError
        Unsupported file type, or a bad ``label_column``.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise DatasetNotFoundError(f"{p} does not exist")
    suffix = p.suffix.lower()
    if label_column is not None and (p.is_dir() or suffix != ".csv"):
        raise InvalidParameterError(
            f"label_column only applies to .csv files; {p} is not one (labels come from "
            "'y'/'labels' in a .npz file, from class sub-folders in an image folder)")
    if p.is_dir():
        X, y, _ = read_image_folder(p)
    elif suffix == ".npy":
        X, y = _load_npy(p), None
    elif suffix == ".npz":
        X, y = _load_npz(p)
    elif suffix == ".csv":
        X, y = read_csv(p, label_column)
    else:
        raise InvalidParameterError(
            f"unsupported file type {suffix or '(none)'!r} for {p}; supported: "
            f"{', '.join(SUPPORTED_SUFFIXES)} files and folders of PNG/JPEG images")
    X_t = to_samples(X, p)
    y_t = None if y is None else to_labels(y, X_t.shape[0], p)
    return X_t, y_t
