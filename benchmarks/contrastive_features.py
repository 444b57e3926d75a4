"""Do augmentation-invariant (contrastive) features cluster Fashion-MNIST better than a denoising
autoencoder's codes? (issue 10's strongest remaining idea, measured before building it in)

SimCLR (Chen, Kornblith, Norouzi & Hinton, 2020, "A simple framework for contrastive learning of
visual representations"): two random views of each image (scale 0.75-1, shift up to 15%,
horizontal flip, brightness 0.6-1.4, 20% pixel masking; all batched through one affine grid), an
encoder with DEC's dense widths 784-500-500-2000-``--dim`` and a 2-layer projection head, the
NT-Xent loss at temperature ``--temperature``. Then k-means on the normalised features, and N2D's
step (UMAP, 10-d, 20 neighbours, cosine metric -> full-covariance Gaussian mixture) with three
mixture seeds.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/contrastive_features.py --epochs 20   # ~11 min
    python benchmarks/contrastive_features.py --epochs 1 --max-rows 3000                         # smoke test
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import latentmix as lm


def views(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """One random view of each image (B, 1, 28, 28), all from one batched affine warp."""
    n = len(x)
    scale = torch.empty(n).uniform_(0.75, 1.0, generator=g)
    flip = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)  # (B, 2, 3) affine matrices
    theta[:, 0, 0], theta[:, 1, 1] = scale * flip, scale
    theta[:, :, 2] = torch.empty(n, 2).uniform_(-0.15, 0.15, generator=g)
    out = F.grid_sample(x, F.affine_grid(theta, list(x.shape), align_corners=False), align_corners=False)
    out = (out * torch.empty(n, 1, 1, 1).uniform_(0.6, 1.4, generator=g)).clamp(0, 1)
    return out * (torch.rand(out.shape, generator=g) > 0.2)


def nt_xent(p1: torch.Tensor, p2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's loss: each view's positive is the other view of its image, the 2B - 2 others are negatives."""
    z = F.normalize(torch.cat([p1, p2]), dim=1)  # (2B, D)
    sim = (z @ z.T / temperature).fill_diagonal_(-1e9)
    b = len(p1)
    target = torch.cat([torch.arange(b, 2 * b), torch.arange(b)])
    return F.cross_entropy(sim, target)


def train(X: torch.Tensor, args) -> tuple[nn.Module, float]:
    torch.manual_seed(args.seed)
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(),
                            nn.Linear(500, 2000), nn.ReLU(), nn.Linear(2000, args.dim))
    head = nn.Sequential(nn.ReLU(), nn.Linear(args.dim, args.dim), nn.ReLU(), nn.Linear(args.dim, 64))
    opt = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=1e-3)
    g = torch.Generator().manual_seed(args.seed)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        order, total = torch.randperm(len(X), generator=g), 0.0
        for lo in range(0, len(X) - args.batch_size + 1, args.batch_size):
            x = X[order[lo:lo + args.batch_size]]
            loss = nt_xent(head(encoder(views(x, g))), head(encoder(views(x, g))), args.temperature)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        print(f"epoch {epoch + 1}: loss {total / max(1, len(X) // args.batch_size):.4f}", flush=True)
    return encoder, time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.5)
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-rows", type=int, default=None)
    p.add_argument("--out", type=Path, default=Path("benchmarks/out/contrastive_features.jsonl"))
    p.add_argument("--save-features", type=Path, default=None, help="save the encoder's features (.npy)")
    args = p.parse_args()
    X, y = lm.datasets.load("fashion-mnist", split="all")
    X, y = X.float().reshape(-1, 1, 28, 28)[:args.max_rows], y.numpy()[:args.max_rows]
    encoder, train_s = train(X, args)
    with torch.no_grad():
        H = torch.cat([encoder(X[i:i + 4096]) for i in range(0, len(X), 4096)]).numpy()
    if args.save_features:
        np.save(args.save_features, H)
    import umap
    from sklearn.cluster import KMeans

    row = {"epochs": args.epochs, "dim": args.dim, "temperature": args.temperature, "seed": args.seed, "n": len(X),
           "train_seconds": train_s}
    labels = KMeans(10, n_init=5, random_state=0).fit(H / np.linalg.norm(H, axis=1, keepdims=True)).labels_
    row.update(kmeans_acc=lm.metrics.clustering_accuracy(y, labels),
               kmeans_nmi=lm.metrics.normalized_mutual_info(y, labels))
    reducer = umap.UMAP(n_components=10, n_neighbors=20, min_dist=0.0, metric="cosine", random_state=args.seed)
    E = reducer.fit_transform(H)
    for s in range(3):
        labels = np.asarray(lm.GaussianMixture(10, n_init=3, reg_covar=1e-4, random_state=s).fit(E).predict(E))
        row[f"umap_gmm_acc_{s}"] = lm.metrics.clustering_accuracy(y, labels)
        row[f"umap_gmm_nmi_{s}"] = lm.metrics.normalized_mutual_info(y, labels)
    print(json.dumps(row))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
