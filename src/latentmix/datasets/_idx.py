"""Reader for the IDX format of MNIST and Fashion-MNIST (gzip-compressed or raw).

An IDX file is a 4-byte magic number ``0x00 0x00 <dtype code> <ndim>``, then ``ndim`` big-endian
uint32 dimensions, then the payload: ``prod(dims)`` values of that dtype, big-endian, row-major.
Format described at http://yann.lecun.com/exdb/mnist/ (section "FILE FORMATS").
Every check failure is a :class:`DataError` naming the file.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from ..exceptions import DataError

__all__ = ["read_idx", "read_bytes", "load_idx_split"]

#: IDX type code -> numpy dtype (big-endian where it matters).
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic (whatever its name)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataError(
            f"{path} is a truncated or corrupted gzip file ({exc}); delete it and fetch it again"
        ) from exc


def parse_idx(buf: bytes, source: str | Path) -> np.ndarray:
    """Decode IDX bytes into a native-byte-order array; ``source`` names them in errors."""
    if len(buf) < 4:
        raise DataError(f"{source} is not an IDX file: only {len(buf)} byte(s)")
    zero1, zero2, code, ndim = buf[0], buf[1], buf[2], buf[3]
    if zero1 != 0 or zero2 != 0:
        raise DataError(
            f"{source} is not an IDX file: bad magic number 0x{buf[:4].hex()} "
            "(expected 0x0000 followed by a type code and the number of dimensions)"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise DataError(f"{source}: unknown IDX type code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise DataError(f"{source}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(buf) < header_len:
        raise DataError(f"{source}: IDX header is cut short ({len(buf)} of {header_len} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(buf, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = math.prod(dims) * dtype.itemsize
    actual = len(buf) - header_len
    if actual != expected:
        raise DataError(
            f"{source}: IDX header declares dimensions {dims} of {dtype.name} "
            f"({expected} payload bytes) but the file holds {actual} payload bytes; "
            "the file is truncated or corrupted"
        )
    arr = np.frombuffer(buf, dtype=dtype, offset=header_len).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a numpy array, validating its header."""
    return parse_idx(read_bytes(Path(path)), path)


def load_idx_split(
    images_path: Path, labels_path: Path, shape: tuple[int, int, int], n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Read an images/labels IDX pair into ``(X uint8 (N, C, H, W), y int64 (N,))``.

    Checks that the images are ``uint8`` of size ``shape[1:]``, that the labels are 1-D with the
    same count, and that every label lies in ``[0, n_classes)``.
    """
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != tuple(shape[1:]):
        raise DataError(
            f"{images_path}: expected uint8 images of shape (N, {shape[1]}, {shape[2]}); "
            f"got {images.dtype} of shape {images.shape}"
        )
    if images.shape[0] == 0:
        raise DataError(f"{images_path} holds no images")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DataError(
            f"{labels_path}: expected {images.shape[0]} labels (one per image in "
            f"{images_path.name}); got shape {labels.shape}"
        )
    check_labels(labels, n_classes, labels_path)
    return images.reshape(images.shape[0], *shape), labels.astype(np.int64)


def check_labels(labels: np.ndarray, n_classes: int, source: str | Path) -> None:
    """Raise :class:`DataError` unless every label lies in ``[0, n_classes)``."""
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise DataError(
            f"{source}: labels must lie in [0, {n_classes - 1}]; "
            f"found values from {labels.min()} to {labels.max()}"
        )
