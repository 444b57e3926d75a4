"""Matrix products shaped for speed.

On CPU, a product whose output has a column count that is not a multiple of 16 can run several
times slower than the padded one (measured 3x for an (n, 100) @ (100, 10) product on AVX-512:
the BLAS falls off its vectorised kernel), so we pad the right-hand matrix with zero columns and
return a view of the wanted columns.
"""

from __future__ import annotations

import torch

__all__ = ["addmm_padded", "pad_columns", "padded_width"]

_MULTIPLE = 16


def padded_width(p: int, device) -> int:
    """The column count that a product with ``p`` output columns is padded to on ``device``:
    the next multiple of 16 on CPU, ``p`` itself elsewhere."""
    if isinstance(p, bool) or not isinstance(p, int) or p < 0:
        raise ValueError(f"p must be an int >= 0; got {p!r}")
    return p + (-p) % _MULTIPLE if torch.device(device).type == "cpu" else p


def pad_columns(B: torch.Tensor) -> torch.Tensor:
    """B (m, p) with zero columns appended up to :func:`padded_width` (B itself when there is
    nothing to add); take ``[:, :p]`` of a product with it."""
    if B.ndim != 2:
        raise ValueError(f"pad_columns expects a 2-D matrix; got shape {tuple(B.shape)}")
    pad = padded_width(B.shape[1], B.device) - B.shape[1]
    return torch.nn.functional.pad(B, (0, pad)) if pad else B


def addmm_padded(bias: torch.Tensor | None, A: torch.Tensor, B: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """``beta * bias + A @ B`` for A (n, m), B (m, p), bias (p,) or None -> (n, p) (maybe a view)."""
    p = B.shape[1]
    pad = (-p) % _MULTIPLE if A.device.type == "cpu" else 0
    if pad:
        B = torch.nn.functional.pad(B, (0, pad))
        bias = None if bias is None else torch.nn.functional.pad(bias, (0, pad))
    out = A @ B if bias is None else torch.addmm(bias, A, B, beta=beta)
    return out[:, :p] if pad else out
