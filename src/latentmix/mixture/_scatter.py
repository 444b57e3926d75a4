"""Full-covariance products that skip the zeros of a triangle: the E-step's whitening by the
upper-triangular P_j, and the M-step's symmetric scatter matrices.

Both multiply the rows extended by a leading one, ``Xa = [1, X]`` (n, d + 1) (see
:func:`._gaussian.expand_features`), and cut the d features into ``b`` column blocks
[s_i, e_i) of width w_i, all k components side by side in one product per block:

E-step   y[:, j, s:e] = [1, x] @ [-mu_j^T P_j; P_j][:1 + e, s:e]
         Xa[:, :1 + e] @ A_i                (n, 1 + e) @ (1 + e, k * w_i)
         since P_j is upper triangular, rows >= e of its columns s:e are zero.
M-step   [sx_j; S_j][:1 + e, s:e] = sum_n r_nj [1, x_n][:1 + e] x_n[s:e]^T
         Xa[:, :1 + e]^T @ (r ⊗ X[:, s:e])  (1 + e, n) @ (n, k * w_i)
         S_j is symmetric: its blocks below the diagonal are copied from their mirror images.

Each step then does (b + 1) / (2b) of the flops of the full product (3/4 for two blocks, 2/3 for
three). Blocks are kept at least 16 columns wide: narrower products run below the
matrix-multiply kernel's speed and lose what the saved flops gain (measured on AVX2, one
thread: d=50 fastest with 3 blocks, d=16 with 1).
"""

from __future__ import annotations

import torch

from .._linalg import pad_columns

__all__ = ["n_blocks", "block_bounds", "whitening_blocks", "whitened_sq_norms", "weighted_moments"]

_MIN_BLOCK = 16


def n_blocks(n_features: int) -> int:
    """Number of column blocks for ``n_features`` features (1 below 32 features)."""
    if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
        raise ValueError(f"n_features must be a positive int; got {n_features!r}")
    return max(1, n_features // _MIN_BLOCK)


def block_bounds(n_features: int, blocks: int | None = None) -> list[tuple[int, int]]:
    """The column blocks [(s, e), ...] covering 0..n_features (``blocks`` of them, default
    :func:`n_blocks`), of near-equal widths."""
    b = n_blocks(n_features) if blocks is None else blocks
    if isinstance(b, bool) or not isinstance(b, int) or not 1 <= b <= n_features:
        raise ValueError(f"blocks must be an int in [1, {n_features}]; got {blocks!r}")
    edges = [round(i * n_features / b) for i in range(b + 1)]
    return list(zip(edges[:-1], edges[1:]))


def whitening_blocks(means: torch.Tensor, prec_chol: torch.Tensor,
                     blocks: int | None = None) -> list[torch.Tensor]:
    """The E-step's matrices A_i (1 + e_i, k * w_i) [-mu_j^T P_j; P_j][:1 + e_i, s_i:e_i] for
    every block, components side by side (columns padded for the BLAS, see
    :func:`latentmix._linalg.pad_columns`). means (k, d), prec_chol (k, d, d) upper triangular."""
    if means.ndim != 2 or prec_chol.shape != (*means.shape, means.shape[1]):
        raise ValueError(f"means must be (k, d) and prec_chol (k, d, d); got {tuple(means.shape)} "
                         f"and {tuple(prec_chol.shape)}")
    k, d = means.shape
    shift = -torch.einsum("kd,kde->ke", means, prec_chol)  # (k, d): -mu_j^T P_j
    full = torch.cat([shift.unsqueeze(1), prec_chol], 1)  # (k, 1 + d, d)
    out = []
    for s, e in block_bounds(d, blocks):
        a = full[:, : 1 + e, s:e].permute(1, 0, 2).reshape(1 + e, k * (e - s))  # (1 + e, k*w)
        out.append(pad_columns(a))
    return out


def whitened_sq_norms(Xa: torch.Tensor, mats: list[torch.Tensor], k: int) -> torch.Tensor:
    """|(x_n - mu_j)^T P_j|^2 for every row and component: Xa (n, 1 + d) = [1, X], ``mats`` from
    :func:`whitening_blocks` -> (n, k)."""
    d = Xa.shape[1] - 1
    bounds = block_bounds(d, len(mats))
    total = None
    for (s, e), a in zip(bounds, mats):
        y = (Xa[:, : 1 + e] @ a)[:, : k * (e - s)].unflatten(1, (k, e - s))  # (n, k, w)
        sq = torch.linalg.vector_norm(y, dim=-1).square_()  # (n, k), one read of y
        total = sq if total is None else total.add_(sq)
    return total


def weighted_moments(Xa: torch.Tensor, resp: torch.Tensor,
                     blocks: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(sx, S): sum_n r_nj x_n (k, d) and sum_n r_nj x_n x_n^T (k, d, d) for every component.

    Xa: (n, 1 + d), the rows after a first column of ones (not checked: it would cost a pass);
    resp: (n, k). ``blocks``: number of column blocks (default :func:`n_blocks`); 1 computes
    the full product. The blocks below the diagonal blocks are copies of those above; the
    diagonal blocks are symmetric up to rounding (the M-step symmetrises S).
    """
    if Xa.ndim != 2 or resp.ndim != 2 or Xa.shape[0] != resp.shape[0] or Xa.shape[1] < 2:
        raise ValueError(f"Xa must be (n, 1 + d) with d >= 1 and resp (n, k) with the same n; got "
                         f"{tuple(Xa.shape)} and {tuple(resp.shape)}")
    n, d = Xa.shape[0], Xa.shape[1] - 1
    k = resp.shape[1]
    S = Xa.new_empty(k, d, d)
    sx = Xa.new_empty(k, d)
    for s, e in block_bounds(d, blocks):
        w = e - s
        weighted = (resp.unsqueeze(2) * Xa[:, None, 1 + s:1 + e]).view(n, k * w)  # (n, k*w)
        block = (Xa[:, : 1 + e].T @ weighted).view(1 + e, k, w).permute(1, 0, 2)  # (k, 1 + e, w)
        sx[:, s:e] = block[:, 0]  # the row of ones: sum_n r_nj x_n[s:e]
        S[:, :e, s:e] = block[:, 1:]  # S[:, :e, s:e], on and above the diagonal block
        if s > 0:
            S[:, s:e, :s] = block[:, 1:1 + s].transpose(1, 2)  # mirror of the block above
    return sx, S
