"""Can anything unsupervised pick the accurate partition of N2D's embedding? (issue 10's analysis)

Trains ``DeepClustering(method="manifold")`` once (denoising AE -> UMAP), then on that one
embedding fits ``--inits`` Gaussian mixtures from different seeds and compares, for each, the
Hungarian ACC with what an unsupervised selector could see:

- the lower bound (what ``n_init`` selects by);
- agreement: the fit with the highest mean ARI to all other fits (the ensemble's medoid);
- consensus: k-means on the concatenated responsibilities of all fits (meta-clustering);
- other clusterers on the same embedding: k-means, Ward/average/complete linkage and spectral
  clustering on 500 k-means micro-clusters, and 20/30-component mixtures merged by Ward.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/clustering_selection.py --epochs 10 --seed 0
    python benchmarks/clustering_selection.py --max-rows 3000 --epochs 1 --inits 3   # smoke test
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.metrics import adjusted_rand_score

import latentmix as lm


def acc(y, labels) -> float:
    return round(float(lm.metrics.clustering_accuracy(y, np.asarray(labels))), 4)


def mixture_inits(E, y, k: int, inits: int) -> dict:
    fits = []
    for s in range(inits):
        gm = lm.GaussianMixture(k, covariance_type="full", n_init=1, reg_covar=1e-4, random_state=100 + s).fit(E)
        proba = np.asarray(gm.predict_proba(E))
        fits.append((float(gm.lower_bound_), proba.argmax(1), proba))
    accs = [acc(y, f[1]) for f in fits]
    bounds = [f[0] for f in fits]
    agreement = np.array([[adjusted_rand_score(a[1], b[1]) for b in fits] for a in fits]).sum(1)
    consensus = KMeans(k, n_init=10, random_state=0).fit(np.concatenate([f[2] for f in fits], 1)).labels_
    return {"accs": accs, "lower_bounds": bounds, "mean_acc": float(np.mean(accs)),
            "best_bound_acc": accs[int(np.argmax(bounds))], "medoid_acc": accs[int(np.argmax(agreement))],
            "consensus_acc": acc(y, consensus),
            "corr_bound_acc": float(np.corrcoef(bounds, accs)[0, 1]),
            "corr_agreement_acc": float(np.corrcoef(agreement, accs)[0, 1])}


def other_clusterers(E, y, k: int) -> dict:
    out = {f"kmeans_seed{s}": acc(y, KMeans(k, n_init=10, random_state=s).fit(E).labels_) for s in range(3)}
    micro = KMeans(min(500, len(E) // 4), n_init=1, random_state=0).fit(E)
    for link in ("ward", "average", "complete"):
        merged = AgglomerativeClustering(k, linkage=link).fit(micro.cluster_centers_).labels_
        out[f"micro_{link}"] = acc(y, merged[micro.labels_])
    spectral = SpectralClustering(k, affinity="nearest_neighbors", n_neighbors=15, random_state=0)
    out["micro_spectral"] = acc(y, spectral.fit(micro.cluster_centers_).labels_[micro.labels_])
    for n in (2 * k, 3 * k):
        gm = lm.GaussianMixture(n, covariance_type="full", reg_covar=1e-4, random_state=0).fit(E)
        merged = AgglomerativeClustering(k, linkage="ward").fit(np.asarray(gm.means_)).labels_
        out[f"gmm{n}_ward_merge"] = acc(y, merged[np.asarray(gm.predict(E))])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="fashion-mnist")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--inits", type=int, default=16)
    p.add_argument("--max-rows", type=int, default=None)
    p.add_argument("--out", type=Path, default=Path("benchmarks/out/clustering_selection.jsonl"))
    p.add_argument("--save-codes", type=Path, default=None, help="save the AE codes and embedding (.npz)")
    args = p.parse_args()
    X, y = lm.datasets.load(args.data, split="all")
    X, y = X.numpy(), y.numpy()
    if args.max_rows:
        X, y = X[:args.max_rows], y[:args.max_rows]
    dc = lm.DeepClustering(10, method="manifold", epochs=args.epochs, random_state=args.seed).fit(X)
    E = dc.manifold_embedding_.numpy()
    if args.save_codes:
        np.savez(args.save_codes, codes=dc.manifold_codes_.numpy(), embedding=E)
    row = {"data": args.data, "n": len(X), "epochs": args.epochs, "seed": args.seed,
           "deep_clustering_acc": acc(y, dc.labels_), **mixture_inits(E, y, 10, args.inits),
           **other_clusterers(E, y, 10)}
    print(json.dumps(row))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
