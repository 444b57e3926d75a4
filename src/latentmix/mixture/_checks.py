"""Checks of a mixture's user-given parameters (shapes, ranges, positive definiteness), worded
like scikit-learn's."""

from __future__ import annotations

import numpy as np
import torch

from .._arrays import check_array
from ..exceptions import DataError, InvalidParameterError

__all__ = ["check_weights", "check_means", "check_precisions", "check_reg_matrix"]


def _shaped(value, name: str, label: str, shape: tuple, **opts) -> torch.Tensor:
    """``value`` as a tensor of exactly ``shape``, else scikit-learn's message (any ndim is
    converted first, so a wrong ndim gets the shape message, as in scikit-learn)."""
    ndim = value.ndim if isinstance(value, torch.Tensor) else np.ndim(value)
    if ndim > 2 and len(shape) <= 2:  # scikit-learn's check_array (allow_nd only for full)
        raise DataError(f"Found array with dim {ndim}, while dim <= 2 is required. The parameter "
                        f"'{label}' should have the shape of {shape}.")
    if ndim != len(shape):
        raise DataError(f"The parameter '{label}' should have the shape of {shape}, but got {np.shape(value)}")
    t = check_array(value, name=name, ndim=ndim, min_samples=0, **opts)
    if tuple(t.shape) != shape:
        raise DataError(f"The parameter '{label}' should have the shape of {shape}, but got {tuple(t.shape)}")
    return t


def check_weights(weights, k: int, **opts) -> torch.Tensor:
    """(k,) probabilities summing to 1."""
    w = _shaped(weights, "weights_init", "weights", (k,), **opts)
    if bool((w < 0).any()) or bool((w > 1).any()):
        raise DataError("The parameter 'weights' should be in the range [0, 1], but got "
                        f"max value {float(w.max()):.5f}, min value {float(w.min()):.5f}")
    if abs(1.0 - float(w.double().sum())) > 1e-6:
        raise DataError("The parameter 'weights' should be normalized, but got "
                        f"sum(weights) = {float(w.sum()):.5f}")
    return w


def check_means(means, k: int, d: int, **opts) -> torch.Tensor:
    """(k, d) means."""
    return _shaped(means, "means_init", "means", (k, d), **opts)


def _is_spd(mats: torch.Tensor) -> bool:
    """Every (d, d) matrix of (..., d, d) symmetric (scikit-learn's np.isclose tolerances) and
    positive definite."""
    if not torch.allclose(mats, mats.transpose(-1, -2), atol=1e-8, rtol=1e-5):
        return False
    return not bool((torch.linalg.eigvalsh(mats.double()) <= 0).any())


def check_precisions(precisions, covariance_type: str, k: int, d: int, **opts) -> torch.Tensor:
    """Precisions shaped for ``covariance_type``; full/tied symmetric positive definite, diag and
    spherical positive. Messages are scikit-learn's."""
    shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[covariance_type]
    p = _shaped(precisions, "precisions_init", f"{covariance_type} precision", shape, **opts)
    if covariance_type in ("full", "tied"):
        if not _is_spd(p):
            raise DataError(f"'{covariance_type} precision' should be symmetric, positive-definite")
    elif bool((p <= 0).any()):
        raise DataError(f"'{covariance_type} precision' should be positive")
    return p


def check_reg_matrix(reg, d: int, **opts) -> torch.Tensor:
    """A (d, d) symmetric positive-definite regulariser."""
    r = check_array(reg, name="reg_covar", **opts)
    if r.shape != (d, d):
        raise InvalidParameterError(f"reg_covar as a matrix must have shape ({d}, {d}); got {tuple(r.shape)}")
    if not _is_spd(r):
        raise InvalidParameterError("reg_covar as a matrix must be symmetric positive definite.")
    return r
