"""Reconstruction quality: mean squared error and PSNR."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..exceptions import DataError

__all__ = ["mse", "psnr"]


def _pair(a, b) -> tuple[torch.Tensor, torch.Tensor]:
    ta = torch.as_tensor(np.asarray(a) if not isinstance(a, torch.Tensor) else a).double()
    tb = torch.as_tensor(np.asarray(b) if not isinstance(b, torch.Tensor) else b).double().to(ta.device)
    if ta.shape != tb.shape:
        raise DataError(f"shapes differ: {tuple(ta.shape)} vs {tuple(tb.shape)}")
    if ta.numel() == 0:
        raise DataError("empty input")
    if not (bool(torch.isfinite(ta).all()) and bool(torch.isfinite(tb).all())):
        raise DataError("input contains NaN or infinity")
    return ta, tb


def mse(reference, estimate) -> float:
    """Mean squared error over all elements."""
    a, b = _pair(reference, estimate)
    return float(((a - b) ** 2).mean())


def psnr(reference, estimate, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, 10 log10(range^2 / MSE), of each image averaged over
    images (the usual convention for a test set); inf for a perfect match."""
    a, b = _pair(reference, estimate)
    per_image = ((a - b) ** 2).reshape(a.shape[0], -1).mean(1)
    with np.errstate(divide="ignore"):
        values = 10 * torch.log10(data_range**2 / per_image)
    return float(values.mean()) if bool(torch.isfinite(values).all()) else math.inf
