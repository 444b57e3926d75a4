"""Scores of a clustering against true labels: ACC (Hungarian matching), NMI, ARI."""

from __future__ import annotations

import numpy as np
import torch

from ..exceptions import DataError

__all__ = ["clustering_accuracy", "normalized_mutual_info", "adjusted_rand_index"]


def _labels(y, name: str) -> np.ndarray:
    arr = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D (n_samples,); got shape {arr.shape}")
    if arr.size == 0:
        raise DataError(f"{name} is empty")
    if arr.dtype.kind not in "iub":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            return arr.astype(np.int64)
        raise DataError(f"{name} must hold integer labels; got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise DataError(f"y_true and y_pred have different lengths: {t.shape[0]} vs {p.shape[0]}")
    return t, p


def clustering_accuracy(y_true, y_pred) -> float:
    """Best accuracy over one-to-one maps from clusters to classes (Hungarian algorithm;
    Kuhn 1955), the ACC of deep-clustering papers (e.g. Xie et al., 2016, DEC)."""
    t, p = _pair(y_true, y_pred)
    _, t_idx = np.unique(t, return_inverse=True)
    _, p_idx = np.unique(p, return_inverse=True)
    counts = np.zeros((p_idx.max() + 1, t_idx.max() + 1), dtype=np.int64)
    np.add.at(counts, (p_idx, t_idx), 1)
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / t.size)


def normalized_mutual_info(y_true, y_pred) -> float:
    """Normalised mutual information (arithmetic normalisation, as scikit-learn)."""
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(*_pair(y_true, y_pred)))


def adjusted_rand_index(y_true, y_pred) -> float:
    """Adjusted Rand index (Hubert & Arabie, 1985)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(*_pair(y_true, y_pred)))
