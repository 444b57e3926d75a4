"""Checks of a mixture's user-given parameters (shapes, ranges, positive definiteness), worded
like scikit-learn's."""

from __future__ import annotations

import torch

from .._arrays import check_array
from ..exceptions import DataError, InvalidParameterError

__all__ = ["check_weights", "check_means", "check_precisions", "check_reg_matrix"]


def check_weights(weights, k: int, **opts) -> torch.Tensor:
    """(k,) probabilities summing to 1."""
    w = check_array(weights, name="weights_init", ndim=1, **opts)
    if w.shape != (k,):
        raise DataError(f"The parameter 'weights' should have the shape of ({k},), but got {tuple(w.shape)}")
    if bool((w < 0).any()) or bool((w > 1).any()):
        raise DataError("The parameter 'weights' should be in the range [0, 1], but got "
                        f"max value {float(w.max()):.5f}, min value {float(w.min()):.5f}")
    if abs(1.0 - float(w.double().sum())) > 1e-6:
        raise DataError("The parameter 'weights' should be normalized, but got "
                        f"sum(weights) = {float(w.sum()):.5f}")
    return w


def check_means(means, k: int, d: int, **opts) -> torch.Tensor:
    m = check_array(means, name="means_init", **opts)
    if m.shape != (k, d):
        raise DataError(f"The parameter 'means' should have the shape of ({k}, {d}), but got {tuple(m.shape)}")
    return m


def _is_spd(mats: torch.Tensor) -> bool:
    """Every (d, d) matrix of (..., d, d) symmetric (to float tolerance) and positive definite."""
    tol = 1e-6 if mats.dtype == torch.float32 else 1e-10
    if not torch.allclose(mats, mats.transpose(-1, -2), atol=tol, rtol=1e-5):
        return False
    return not bool((torch.linalg.eigvalsh(mats.double()) <= 0).any())


def check_precisions(precisions, covariance_type: str, k: int, d: int, **opts) -> torch.Tensor:
    shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[covariance_type]
    p = check_array(precisions, name="precisions_init", ndim=len(shape), **opts)
    if tuple(p.shape) != shape:
        raise DataError(f"The parameter '{covariance_type} precision' should have the shape of {shape}, "
                        f"but got {tuple(p.shape)}")
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
