"""The manifold step of N2D (McConville, Santos-Rodriguez, Piechocki & Craddock, 2020, "N2D: (not
too) deep clustering via clustering the local manifold of an autoencoded embedding"): UMAP of the
autoencoder's codes (``umap-learn``, an optional extra), then a Gaussian mixture on the embedding.

UMAP's fitted state is not a set of tensors, and this library never pickles, so new samples are
placed by the out-of-sample rule of UMAP's own ``transform`` initialisation: the
inverse-distance-weighted mean of the embeddings of their ``k`` nearest training codes (a sample
equal to a training code gets that code's embedding exactly, so ``predict`` on the training data
gives ``labels_``). The training codes and their embedding are saved with the model.
"""

from __future__ import annotations

import numpy as np
import torch

from ..exceptions import InvalidParameterError

__all__ = ["require_umap", "umap_embedding", "extend_embedding"]

INSTALL_HINT = "pip install 'latentmix[umap]' (or pip install umap-learn)"


def require_umap():
    """The ``umap`` module, or an :class:`InvalidParameterError` naming the extra to install."""
    try:
        import umap
    except ImportError:
        raise InvalidParameterError(f"method='manifold' needs umap-learn, which is not installed: {INSTALL_HINT}; "
                                    "or choose method='latent-gmm'") from None
    return umap


def umap_embedding(Z: torch.Tensor, dim: int, n_neighbors: int, random_state) -> torch.Tensor:
    """UMAP of codes (N, d) -> (N, dim), N2D's settings (``min_dist=0``, euclidean)."""
    umap = require_umap()
    reducer = umap.UMAP(n_components=dim, n_neighbors=min(n_neighbors, len(Z) - 1), min_dist=0.0,
                        metric="euclidean", random_state=random_state)
    out = reducer.fit_transform(Z.detach().double().cpu().numpy())
    return torch.as_tensor(np.asarray(out), dtype=torch.float32)


def extend_embedding(train_codes: torch.Tensor, train_embedding: torch.Tensor, Z: torch.Tensor, k: int = 10,
                     chunk: int = 2048) -> torch.Tensor:
    """Embed new codes (M, d) -> (M, dim) from the ``k`` nearest training codes (inverse-distance
    weights; an exact match takes that training row's embedding)."""
    codes, emb = train_codes.to(Z.device, torch.float32), train_embedding.to(Z.device, torch.float32)
    k = min(k, len(codes))
    out = []
    for lo in range(0, len(Z), chunk):
        d, idx = torch.cdist(Z[lo:lo + chunk].float(), codes).topk(k, dim=1, largest=False)  # (B, k)
        w = 1.0 / d.clamp_min(1e-12)
        e = (w.unsqueeze(2) * emb[idx]).sum(1) / w.sum(1, keepdim=True)
        exact = d[:, 0] <= 1e-6
        e[exact] = emb[idx[exact, 0]]
        out.append(e)
    return torch.cat(out)
