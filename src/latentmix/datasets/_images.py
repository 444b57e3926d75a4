"""Reading a folder of PNG/JPEG images, optionally one sub-folder per class.

All images must share one size (nothing is resized). Grayscale images give ``C = 1``; colour
ones (RGB, RGBA with the alpha dropped, palette, CMYK) give ``C = 3``, and when both kinds are
mixed the grayscale ones are repeated over 3 channels. 8-bit values are divided by 255, 16-bit
ones by 65535.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..exceptions import DataError

__all__ = ["IMAGE_SUFFIXES", "read_image_folder"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_GRAY_8 = {"1", "L", "LA"}
_GRAY_16 = {"I;16", "I;16B", "I;16L", "I;16N", "I"}
_ERRORS = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in IMAGE_SUFFIXES)


def collect(folder: Path) -> tuple[list[Path], np.ndarray | None, list[str]]:
    """Image files, their labels (None when unlabeled) and the class names (sorted folders)."""
    top = _images_in(folder)
    subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    per_class = {d.name: _images_in(d) for d in subdirs}
    if top and any(per_class.values()):
        raise DataError(
            f"{folder} holds images both directly and in sub-folders; put every image in a "
            "class sub-folder (labelled) or all of them directly in the folder (unlabeled)")
    if top:
        return top, None, []
    if not any(per_class.values()):
        raise DataError(f"{folder} holds no PNG or JPEG images ({', '.join(IMAGE_SUFFIXES)}), "
                        "neither directly nor in class sub-folders")
    empty = [name for name, files in per_class.items() if not files]
    if empty:
        raise DataError(f"{folder}: class sub-folder(s) {', '.join(empty)} hold no PNG or JPEG "
                        "images; remove them or add images")
    classes = list(per_class)
    files = [f for name in classes for f in per_class[name]]
    labels = np.repeat(np.arange(len(classes)), [len(per_class[c]) for c in classes])
    return files, labels, classes


def _probe(files: list[Path]) -> tuple[tuple[int, int], int]:
    """Check every header: one common size; return ``((width, height), channels)``."""
    size, channels = None, 1
    for path in files:
        try:
            with Image.open(path) as im:
                im_size, mode = im.size, im.mode
        except _ERRORS as exc:
            raise DataError(f"{path} is not a readable image ({exc})") from exc
        if size is None:
            size = im_size
        elif im_size != size:
            raise DataError(
                f"{path} is {im_size[0]}x{im_size[1]} pixels while {files[0].name} is "
                f"{size[0]}x{size[1]}; all images must share one size (resize them first)")
        if mode not in _GRAY_8 and mode not in _GRAY_16:
            channels = 3
    return size, channels


def _pixels(path: Path, channels: int) -> np.ndarray:
    """One image as float32 ``(C, H, W)`` in [0, 1]."""
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in _GRAY_16:
                arr = np.asarray(im, dtype=np.float32) / 65535.0
                arr = np.clip(arr, 0.0, 1.0)[None]
            else:
                im = im.convert("L" if channels == 1 else "RGB")
                arr = np.asarray(im, dtype=np.float32).reshape(im.size[1], im.size[0], -1)
                arr = arr.transpose(2, 0, 1) / 255.0
    except _ERRORS as exc:
        raise DataError(f"{path} is not a readable image ({exc})") from exc
    if arr.shape[0] != channels:
        arr = np.repeat(arr, channels, axis=0)
    return arr


def read_image_folder(folder: Path) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """``(X float32 (N, C, H, W) in [0, 1], labels or None, class names)`` from ``folder``."""
    files, labels, classes = collect(folder)
    (width, height), channels = _probe(files)
    X = np.empty((len(files), channels, height, width), dtype=np.float32)
    for i, path in enumerate(files):
        X[i] = _pixels(path, channels)
    return X, labels, classes
