"""Where EM reads its data from: a device tensor, or a large array streamed chunk by chunk.

A numpy memmap (or any array-like that is not a numpy array / tensor, e.g. an h5py dataset) is
never loaded whole: each pass reads ``chunk_size`` rows, converts them to the compute dtype on the
device and lets them go. Memmaps backed by a plain file are read with ``os.pread`` so the file's
pages never count towards the process's resident memory.
"""

from __future__ import annotations

import math
import mmap
import os
from collections.abc import Iterator

import numpy as np
import scipy.sparse
import torch

from .._arrays import check_array, check_finite
from ..exceptions import DataError, InvalidParameterError

__all__ = ["DataSource", "as_data_source", "is_streamable"]


def is_streamable(X) -> bool:
    """True for memmaps and array-likes that we should not load into memory at once."""
    if scipy.sparse.issparse(X):
        return False  # check_array rejects it with a clear message
    if isinstance(X, np.memmap):
        return True
    if isinstance(X, (np.ndarray, torch.Tensor, list, tuple)):
        return False
    return hasattr(X, "shape") and hasattr(X, "__getitem__") and hasattr(X, "dtype")


class DataSource:
    """Rows of a 2-D dataset, delivered as device tensors in chunks."""

    def __init__(self, n_samples: int, n_features: int, chunk_size: int, device, dtype):
        self.n_samples, self.n_features = n_samples, n_features
        self.chunk_size, self.device, self.dtype = chunk_size, device, dtype

    @property
    def n_chunks(self) -> int:
        """Number of chunks that :meth:`chunks` yields."""
        return -(-self.n_samples // self.chunk_size)

    def chunks(self) -> Iterator[torch.Tensor]:
        for start in range(0, self.n_samples, self.chunk_size):
            yield self.rows(start, min(start + self.chunk_size, self.n_samples))

    def rows(self, start: int, stop: int) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample_rows(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """About ``n`` rows drawn at random (for initialisation), as one tensor."""
        raise NotImplementedError  # pragma: no cover


class TensorSource(DataSource):
    def __init__(self, X: torch.Tensor, chunk_size: int):
        super().__init__(X.shape[0], X.shape[1], chunk_size, X.device, X.dtype)
        self.X = X

    def rows(self, start: int, stop: int) -> torch.Tensor:
        return self.X[start:stop]

    def sample_rows(self, n: int, generator: torch.Generator) -> torch.Tensor:
        if n >= self.n_samples:
            return self.X
        idx = torch.randperm(self.n_samples, generator=generator)[:n]
        return self.X[idx.to(self.X.device)]


class StreamSource(DataSource):
    """Reads rows of an on-disk or lazy array on demand; checks every chunk for NaN/inf."""

    def __init__(self, X, chunk_size: int, device, dtype):
        shape = tuple(X.shape)
        if len(shape) != 2:
            raise DataError(f"Expected a 2-D array for X, got shape {shape}.")
        if shape[0] < 1 or shape[1] < 1:
            raise DataError(f"X is empty (shape={shape}); at least 1 sample and 1 feature are required.")
        if np.dtype(X.dtype).kind not in "biuf":
            raise DataError(f"X must hold real numbers; got dtype {X.dtype}.")
        super().__init__(shape[0], shape[1], chunk_size, device, dtype)
        self.X = X
        self._file = None
        if (isinstance(X, np.memmap) and isinstance(X.filename, (str, os.PathLike))
                and X.flags.c_contiguous and isinstance(X.base, mmap.mmap)):
            self._file = (os.fspath(X.filename), int(X.offset), np.dtype(X.dtype))

    def _read(self, start: int, stop: int) -> np.ndarray:
        if self._file is None:
            return np.asarray(self.X[start:stop])
        path, offset, dtype = self._file
        row_bytes = self.n_features * dtype.itemsize
        fd = os.open(path, os.O_RDONLY)
        try:
            buf = os.pread(fd, (stop - start) * row_bytes, offset + start * row_bytes)
        finally:
            os.close(fd)
        if len(buf) != (stop - start) * row_bytes:
            raise DataError(f"{path} is shorter than its array shape says (rows {start}..{stop}).")
        return np.frombuffer(buf, dtype=dtype).reshape(stop - start, self.n_features)

    def rows(self, start: int, stop: int) -> torch.Tensor:
        block = torch.from_numpy(np.array(self._read(start, stop), copy=True))
        t = block.to(device=self.device, dtype=self.dtype)
        check_finite(t, "X", f" (rows {start} to {stop - 1})")
        return t

    def sample_rows(self, n: int, generator: torch.Generator) -> torch.Tensor:
        if n >= self.n_samples:
            return torch.cat(list(self.chunks()))
        # Contiguous blocks at random offsets: few reads, and no page of the file stays mapped.
        n_blocks = min(64, n)
        block = math.ceil(n / n_blocks)
        starts = torch.randint(0, self.n_samples - block + 1, (n_blocks,), generator=generator)
        return torch.cat([self.rows(int(s), int(s) + block) for s in starts.sort().values])


def as_data_source(X, *, chunk_size: int | None, row_width, device, dtype,
                   n_features: int | None = None, min_samples: int = 1,
                   owner: str = "the estimator") -> DataSource:
    """Validate ``X`` and wrap it; streams memmaps and lazy arrays, moves the rest to ``device``.

    ``row_width(n_features)`` is the number of floats of per-chunk work for one row.
    """
    if is_streamable(X):
        source = StreamSource(X, 1, device, dtype)
        if n_features is not None and source.n_features != n_features:
            raise DataError(f"X has {source.n_features} features, but {owner} is expecting "
                            f"{n_features} features as input.")
        if source.n_samples < min_samples:
            raise DataError(f"X has {source.n_samples} sample(s) while a minimum of {min_samples} "
                            "is required.")
    else:
        source = TensorSource(check_array(X, dtype=dtype, device=device, n_features=n_features,
                                          min_samples=min_samples, owner=owner), 1)
    source.chunk_size = resolve_chunk_size(chunk_size, source.n_samples, row_width(source.n_features),
                                           device=device)
    return source


_CHUNK_FLOATS = {"cpu": 1 << 21}  # per-chunk work, in floats, by device type
_CHUNK_FLOATS_ACCELERATOR = 1 << 26


def resolve_chunk_size(chunk_size: int | None, n_samples: int, width: int, device="cpu") -> int:
    """Rows per chunk: the user's choice, else a budget of per-chunk work (``width`` floats a
    row): on CPU about 8 MB, which keeps the E-step's (n, k*d) block in cache (measured fastest);
    on an accelerator 2^26 floats (256 MB in float32), so that a chunk is a few large kernels
    (at N=1e6, K=D=64 the CPU budget would launch ~2,000 chunks' kernels per iteration)."""
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise InvalidParameterError(f"chunk_size must be a positive int or None; got {chunk_size!r}")
        return chunk_size
    budget = _CHUNK_FLOATS.get(torch.device(device).type, _CHUNK_FLOATS_ACCELERATOR)
    return max(256, min(n_samples, budget // max(1, width)))
