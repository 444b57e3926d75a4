"""Reader for the *binary* version of CIFAR-10 (``cifar-10-binary.tar.gz``); nothing is unpickled.

Each batch file holds records of 1 label byte followed by 3072 pixel bytes (1024 red, 1024
green, 1024 blue, each a 32x32 image in row-major order), as described on
https://www.cs.toronto.edu/~kriz/cifar.html ("Binary version"). Krizhevsky, "Learning Multiple
Layers of Features from Tiny Images", 2009.
"""

from __future__ import annotations

import tarfile
import zlib
from pathlib import Path

import numpy as np

from ..exceptions import DataError
from ._idx import check_labels

__all__ = ["ARCHIVE", "BATCHES", "RECORD_BYTES", "parse_batches", "read_cifar_archive"]

ARCHIVE = "cifar-10-binary.tar.gz"
RECORD_BYTES = 1 + 3 * 32 * 32
#: Batch files (inside the archive's ``cifar-10-batches-bin/`` folder) of each split.
BATCHES = {
    "train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)),
    "test": ("test_batch.bin",),
}


def _extract_members(path: Path, wanted: tuple[str, ...]) -> dict[str, bytes]:
    """Bytes of the members whose base name is in ``wanted``; DataError if any is missing."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r:*") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in wanted:
                    fh = tar.extractfile(member)
                    found[base] = fh.read() if fh is not None else b""
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise DataError(
            f"{path} is a truncated or corrupted archive ({exc}); delete it and fetch it again"
        ) from exc
    missing = [name for name in wanted if name not in found]
    if missing:
        raise DataError(
            f"{path} lacks the CIFAR-10 binary batch file(s) {', '.join(missing)}; "
            f"is it the binary version ({ARCHIVE}) and not the Python or MATLAB one?"
        )
    return found


def parse_batches(blobs: list[bytes], source: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Decode concatenated CIFAR binary records into ``(X uint8 (N,3,32,32), y int64 (N,))``."""
    for blob in blobs:
        if len(blob) == 0 or len(blob) % RECORD_BYTES:
            raise DataError(
                f"{source}: a CIFAR-10 batch holds {len(blob)} bytes, which is not a positive "
                f"multiple of the {RECORD_BYTES}-byte record (1 label + 3072 pixels); "
                "the file is truncated or corrupted"
            )
    records = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    check_labels(labels, 10, source)
    images = records[:, 1:].reshape(-1, 3, 32, 32)
    return images, labels


def read_cifar_archive(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Read the ``split`` ("train" or "test") of the CIFAR-10 binary archive at ``path``."""
    names = BATCHES[split]
    members = _extract_members(Path(path), names)
    return parse_batches([members[name] for name in names], path)
