"""Small helpers the comparisons share: flattening, a fixed projection for wide data, timing."""

from __future__ import annotations

import time
import warnings
from contextlib import contextmanager

import numpy as np

__all__ = ["flat", "pca_projection", "timer", "quiet_warnings", "check_step", "WIDE"]

#: Above this many values per sample, the pixel baselines of the mixtures run on the top 50
#: principal components (a full-covariance mixture on 784 pixels would take hours on a CPU).
WIDE = 256


def check_step(data, seed, say, out=None) -> None:
    """The arguments every comparison takes: DemoData, a seed >= 0, a callable ``say``, an
    existing run folder ``out`` (where the comparison writes figures)."""
    from pathlib import Path

    from ..exceptions import InvalidParameterError
    from .data import DemoData

    if not isinstance(data, DemoData):
        raise InvalidParameterError(f"data must be a DemoData (see load_demo_data); got {type(data).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidParameterError(f"seed must be an int >= 0; got {seed!r}")
    if not callable(say):
        raise InvalidParameterError("say must be a callable taking one string")
    if out is not None and not Path(out).is_dir():
        raise InvalidParameterError(f"out must be an existing folder; got {out!r}")


def flat(X: np.ndarray) -> np.ndarray:
    """(N, ...) -> (N, D) float64."""
    return np.asarray(X, dtype=np.float64).reshape(len(X), -1)


def pca_projection(X_fit: np.ndarray, n_components: int = 50):
    """A function (N, D) -> (N, n_components): centring and the top principal directions of X_fit."""
    mean = X_fit.mean(0)
    _, _, vt = np.linalg.svd(X_fit - mean, full_matrices=False)
    basis = vt[:n_components].T
    return lambda X: (X - mean) @ basis


@contextmanager
def timer():
    """``with timer() as t: ...``; then ``t()`` is the elapsed seconds."""
    start = time.perf_counter()
    end = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


@contextmanager
def quiet_warnings():
    """Convergence chatter of the baselines (k-means, EM) would drown the progress lines."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
