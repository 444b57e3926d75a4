"""Shared helpers for the dataset tests: small files in the real formats and a real local
HTTP server serving them (no mocks)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import scipy.io

IDX_NAMES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
N_SMALL = {"train": 30, "test": 20}


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    """The IDX encoding of ``arr`` (dtype code ``code``, big-endian payload)."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(arr, dtype=dtype).tobytes()


def write_idx(path: Path, arr: np.ndarray, code: int = 0x08, gz: bool = True) -> Path:
    data = idx_bytes(arr, code)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def small_images(n: int, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Random uint8 images that use the whole 0..255 range."""
    images = np.random.default_rng(seed).integers(0, 256, size=(n, *shape), dtype=np.uint8)
    images.reshape(n, -1)[:, 0] = 0
    images.reshape(n, -1)[:, 1] = 255
    return images


def small_labels(n: int) -> np.ndarray:
    return (np.arange(n) % 10).astype(np.uint8)


def write_idx_dataset(folder: Path) -> dict[str, str]:
    """The four MNIST-style files (30 train, 20 test images); returns their sha256 by name."""
    folder.mkdir(parents=True, exist_ok=True)
    for seed, (split, (images_name, labels_name)) in enumerate(IDX_NAMES.items()):
        n = N_SMALL[split]
        write_idx(folder / images_name, small_images(n, (28, 28), seed))
        write_idx(folder / labels_name, small_labels(n))
    return {name: sha256(folder / name) for pair in IDX_NAMES.values() for name in pair}


def cifar_records(n: int, seed: int) -> bytes:
    labels = small_labels(n)[:, None]
    pixels = small_images(n, (3 * 32 * 32,), seed)
    return np.concatenate([labels, pixels], axis=1).tobytes()


def write_cifar_archive(path: Path, n_per_batch: int = 4, test_blob: bytes | None = None) -> str:
    """A ``cifar-10-binary.tar.gz`` with 5 small train batches and a test batch; its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    blobs = {f"data_batch_{i}.bin": cifar_records(n_per_batch, i) for i in range(1, 6)}
    blobs["test_batch.bin"] = cifar_records(n_per_batch, 9) if test_blob is None else test_blob
    blobs["batches.meta.txt"] = b"airplane\nautomobile\n"
    with tarfile.open(path, "w:gz") as tar:
        for name, blob in blobs.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return sha256(path)


def write_svhn_mat(path: Path, n: int, seed: int) -> str:
    """An SVHN-style ``.mat``: X uint8 (32, 32, 3, n), y (n, 1) in 1..10; its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    X = small_images(n, (32, 32, 3), seed).transpose(1, 2, 3, 0)
    y = (np.arange(n) % 10 + 1).reshape(-1, 1).astype(np.uint8)  # 10 means the digit 0
    scipy.io.savemat(str(path), {"X": X, "y": y})
    return sha256(path)


@dataclass
class Served:
    """A running local server: base ``url`` (ends with /), the GET paths it has answered."""

    url: str
    root: Path
    requests: list[str] = field(default_factory=list)


@contextmanager
def serve(directory: Path) -> Iterator[Served]:
    """Serve ``directory`` over real HTTP on 127.0.0.1 (a free port), in a thread."""
    served = Served(url="", root=directory)

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            served.requests.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass

    handler = functools.partial(Handler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    served.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def isolate(monkeypatch, tmp_path: Path) -> Path:
    """No $LATENTMIX_DATA, no mirrors from the environment, no system copies, a fresh cache
    under ``tmp_path``; returns the cache folder (``$XDG_CACHE_HOME/latentmix``)."""
    from latentmix.datasets import _locations

    monkeypatch.delenv("LATENTMIX_DATA", raising=False)
    for name in ("FASHION_MNIST", "MNIST", "CIFAR10", "SVHN"):
        monkeypatch.delenv(f"LATENTMIX_MIRROR_{name}", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(_locations, "SYSTEM_DATA_DIRS", ())
    return tmp_path / "xdg-cache" / "latentmix"


def files_in(folder: Path) -> list[str]:
    """Every file name (hidden ones too) in ``folder``; [] when it does not exist."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []
