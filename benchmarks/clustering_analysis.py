"""Why deep clustering of Fashion-MNIST stops near ACC 0.60-0.64 at a CPU budget: where N2D's
pipeline (autoencoder codes -> UMAP -> Gaussian mixture; McConville et al., 2020) loses accuracy.

Steps, all on the 70,000 images (train + test):
1. ``DeepClustering(method="latent-gmm", autoencoder="dae", epochs=E)``: the mixture on the 10-d codes;
2. UMAP of the codes (10-d, ``min_dist=0``) for several ``n_neighbors`` / metrics, then a
   full-covariance mixture from several seeds: ACC, NMI and the lower bound of each, so one sees
   whether the likelihood picks the accurate partitions;
3. the oracle checks: the mixture started at the *true* class means of the embedding (where EM
   goes from the right answer), and linear-probe accuracy of the codes and of the embedding
   (train rows -> test rows): how separable the classes are in each space.

    OMP_NUM_THREADS=2 python benchmarks/clustering_analysis.py --epochs 10       # ~25 min on 2 cores
    OMP_NUM_THREADS=2 python benchmarks/clustering_analysis.py --codes codes.npy # reuse saved codes

Needs umap-learn. Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np


def emit(**row) -> None:
    print(json.dumps(row), flush=True)


def scores(y, labels) -> dict:
    import latentmix as lm

    return {"acc": round(lm.metrics.clustering_accuracy(y, labels), 4),
            "nmi": round(lm.metrics.normalized_mutual_info(y, labels), 4)}


def probe(Z, y, n_train: int) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    Zs = StandardScaler().fit(Z[:n_train]).transform(Z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = LogisticRegression(max_iter=500).fit(Zs[:n_train], y[:n_train])
    return round(float(clf.score(Zs[n_train:], y[n_train:])), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--codes", type=Path, default=None, help="Saved (70000, d) codes: skip step 1.")
    parser.add_argument("--save-codes", type=Path, default=None)
    parser.add_argument("--neighbors", nargs="+", type=int, default=[10, 20, 50])
    parser.add_argument("--mixture-seeds", type=int, default=6)
    args = parser.parse_args()

    import umap
    from sklearn.mixture import GaussianMixture

    import latentmix as lm

    X, y = lm.datasets.load("fashion-mnist", split="all")
    y = y.numpy()
    n_train = 60000  # split="all" is the training images, then the test images
    if args.codes is None:
        start = time.perf_counter()
        dc = lm.DeepClustering(10, method="latent-gmm", autoencoder="dae", epochs=args.epochs, random_state=0).fit(X)
        emit(step="latent-gmm", epochs=args.epochs, seconds=round(time.perf_counter() - start, 1),
             **scores(y, np.asarray(dc.labels_)))
        Z = np.asarray(dc.transform(X))
        if args.save_codes:
            np.save(args.save_codes, Z)
    else:
        Z = np.load(args.codes)
    emit(step="linear probe", space="codes", accuracy=probe(Z, y, n_train))
    for nn in args.neighbors:
        start = time.perf_counter()
        E = umap.UMAP(n_components=10, n_neighbors=nn, min_dist=0.0, random_state=0).fit_transform(Z)
        emit(step="umap", n_neighbors=nn, seconds=round(time.perf_counter() - start, 1))
        for s in range(args.mixture_seeds):
            g = GaussianMixture(10, covariance_type="full", random_state=s).fit(E)
            emit(step="mixture on embedding", n_neighbors=nn, seed=s, lower_bound=round(float(g.lower_bound_), 4),
                 **scores(y, g.predict(E)))
        means = np.stack([E[y == c].mean(0) for c in range(10)])
        g = GaussianMixture(10, covariance_type="full", means_init=means, random_state=0).fit(E)
        emit(step="mixture started at the true class means", n_neighbors=nn,
             lower_bound=round(float(g.lower_bound_), 4), **scores(y, g.predict(E)))
        emit(step="linear probe", space=f"embedding (n_neighbors={nn})", accuracy=probe(E, y, n_train))


if __name__ == "__main__":
    main()
