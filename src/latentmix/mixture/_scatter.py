"""Full-covariance products that skip the zeros of a triangle: the E-step's whitening by the
upper-triangular P_j, and the M-step's symmetric scatter matrices.

Both multiply the rows extended by a leading one and stored **transposed**, ``XaT = [1; X^T]``
(d + 1, n) (see :func:`._gaussian.expand_features`), and cut the d features into ``b`` column
blocks [s_i, e_i) of width w_i, all k components stacked in one product per block:

E-step   y[j, s:e, :] = [-mu_j^T P_j; P_j][:1 + e, s:e]^T @ [1; X^T][:1 + e]
         A_i @ XaT[:1 + e]                  (k * w_i, 1 + e) @ (1 + e, n)
         since P_j is upper triangular, rows >= e of its columns s:e are zero.
M-step   [sx_j; S_j][:1 + e, s:e] = sum_n r_nj [1, x_n][:1 + e] x_n[s:e]^T
         XaT[:1 + e] @ (r^T ⊗ X^T[s:e])^T   (1 + e, n) @ (n, k * w_i)
         S_j is symmetric: its blocks below the diagonal are copied from their mirror images.

Each step then does (b + 1) / (2b) of the flops of the full product (3/4 for two blocks, 2/3 for
three). Blocks are kept at least 16 columns wide: narrower products run below the
matrix-multiply kernel's speed and lose what the saved flops gain (measured on AVX2, one
thread: d=50 fastest with 3 blocks, d=16 with 1).

Why transposed: the elementwise work between the products runs along n, the long contiguous
axis. |y_j|^2 sums (k, w, n) over its middle axis (vectorised adds of n-long rows) instead of
reducing runs of w = 17 contiguous floats, and r ⊗ x broadcasts n-long rows; measured on one
thread at n = 4,194, d = 50, k = 10: the norms 3.5-4x faster per block, the weighting 2x
(``benchmarks/gmm_layout_micro.py``), the whole iteration 1.27x faster (median of an A/B,
``benchmarks/gmm_ab.py``; benchmarks/RESULTS.md, "the transposed layout").
"""

from __future__ import annotations

import torch

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
    """The E-step's matrices A_i (k * w_i, 1 + e_i): row j * w_i + c is column s_i + c of
    [-mu_j^T P_j; P_j][:1 + e_i] for every block. means (k, d), prec_chol (k, d, d) upper
    triangular."""
    if means.ndim != 2 or prec_chol.shape != (*means.shape, means.shape[1]):
        raise ValueError(f"means must be (k, d) and prec_chol (k, d, d); got {tuple(means.shape)} "
                         f"and {tuple(prec_chol.shape)}")
    k, d = means.shape
    shift = -torch.einsum("kd,kde->ke", means, prec_chol)  # (k, d): -mu_j^T P_j
    full = torch.cat([shift.unsqueeze(1), prec_chol], 1)  # (k, 1 + d, d)
    out = []
    for s, e in block_bounds(d, blocks):
        a = full[:, : 1 + e, s:e].transpose(1, 2).reshape(k * (e - s), 1 + e)  # (k*w, 1 + e)
        out.append(a.contiguous())
    return out


def whitened_sq_norms(XaT: torch.Tensor, mats: list[torch.Tensor], k: int) -> torch.Tensor:
    """|(x_n - mu_j)^T P_j|^2 for every row and component: XaT (1 + d, n) = [1; X^T], ``mats``
    from :func:`whitening_blocks` -> (n, k), a transposed view of a contiguous (k, n) tensor."""
    d, n = XaT.shape[0] - 1, XaT.shape[1]
    bounds = block_bounds(d, len(mats))
    total = None
    for (s, e), a in zip(bounds, mats):
        y = (a @ XaT[: 1 + e]).view(k, e - s, n)  # (k, w, n)
        sq = y.square_().sum(1)  # (k, n): adds of n-long rows
        total = sq if total is None else total.add_(sq)
    return total.T


def weighted_moments(XaT: torch.Tensor, resp: torch.Tensor,
                     blocks: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(sx, S): sum_n r_nj x_n (k, d) and sum_n r_nj x_n x_n^T (k, d, d) for every component.

    XaT: (1 + d, n), the rows after a first column of ones, transposed (the ones are not
    checked: it would cost a pass); resp: (n, k) (fastest as the transposed view of a (k, n)
    tensor, which is what the E-step gives). ``blocks``: number of column blocks (default
    :func:`n_blocks`); 1 computes the full product. The blocks below the diagonal blocks are
    copies of those above; the diagonal blocks are symmetric up to rounding (the M-step
    symmetrises S).
    """
    if XaT.ndim != 2 or resp.ndim != 2 or XaT.shape[1] != resp.shape[0] or XaT.shape[0] < 2:
        raise ValueError(f"XaT must be (1 + d, n) with d >= 1 and resp (n, k) with the same n; got "
                         f"{tuple(XaT.shape)} and {tuple(resp.shape)}")
    d, n = XaT.shape[0] - 1, XaT.shape[1]
    k = resp.shape[1]
    rT = resp.T.contiguous()  # (k, n): no copy when resp is the E-step's transposed view
    S = XaT.new_empty(k, d, d)
    sx = XaT.new_empty(k, d)
    for s, e in block_bounds(d, blocks):
        w = e - s
        weighted = (rT.unsqueeze(1) * XaT[None, 1 + s:1 + e]).reshape(k * w, n)  # (k*w, n)
        block = (XaT[: 1 + e] @ weighted.T).view(1 + e, k, w).permute(1, 0, 2)  # (k, 1 + e, w)
        sx[:, s:e] = block[:, 0]  # the row of ones: sum_n r_nj x_n[s:e]
        S[:, :e, s:e] = block[:, 1:]  # S[:, :e, s:e], on and above the diagonal block
        if s > 0:
            S[:, s:e, :s] = block[:, 1:1 + s].transpose(1, 2)  # mirror of the block above
    return sx, S
