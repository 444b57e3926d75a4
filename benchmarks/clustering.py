"""Deep clustering: every DeepClustering method against k-means on pixels, Hungarian ACC, NMI, ARI
and the time of each fit, mean +- std over seeds (issue 10's protocol: all 70,000 Fashion-MNIST
images into 10 clusters; also the 8x8 digits and MNIST).

    python benchmarks/clustering.py --data digits                                  # a few minutes
    python benchmarks/clustering.py --data fashion-mnist --split all --epochs 50   # hours on 2 CPU cores
    python benchmarks/clustering.py --data mnist --split all --methods latent-gmm latent-gmm+refine
    python benchmarks/clustering.py --data digits --max-rows 300 --epochs 1 --seeds 0   # smoke test

A method name is a DeepClustering method, optionally with ``+refine`` (DEC/IDEC self-training),
``+conv`` (convolutional networks) or ``+ae`` (a plain, not denoising, autoencoder), or
``kmeans`` (scikit-learn's KMeans on the pixels, n_init=10). ``manifold`` needs umap-learn and is
skipped with a note when it is missing. Rows go to ``--out`` (JSON lines) as they finish.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import latentmix as lm

DEFAULT_METHODS = ["kmeans", "latent-gmm", "latent-gmm+refine", "manifold", "aae", "vade"]


def load(data: str, split: str, max_rows: int | None, seed: int = 0):
    X, y = lm.datasets.load(data, split=split)
    X, y = X.numpy(), None if y is None else y.numpy()
    if max_rows and max_rows < len(X):
        idx = np.random.default_rng(seed).permutation(len(X))[:max_rows]
        X, y = X[idx], None if y is None else y[idx]
    return X, y


def build(method: str, k: int, epochs: int, seed: int, device: str, refine_epochs: int):
    base, *flags = method.split("+")
    opts = dict(method=base, epochs=epochs, random_state=seed, device=device, verbose=0,
                refine="refine" in flags, refine_epochs=refine_epochs)
    if "conv" in flags:
        opts["arch"] = "conv"
    if "ae" in flags:
        opts["autoencoder"] = "ae"
    return lm.DeepClustering(k, **opts)


def run_one(method: str, X, y, k: int, epochs: int, seed: int, device: str, refine_epochs: int) -> dict:
    start, cpu_start = time.perf_counter(), time.process_time()
    if method == "kmeans":
        from sklearn.cluster import KMeans

        labels = KMeans(k, n_init=10, random_state=seed).fit(X.reshape(len(X), -1)).labels_
    else:
        labels = np.asarray(build(method, k, epochs, seed, device, refine_epochs).fit(X).labels_)
    seconds = time.perf_counter() - start
    # CPU seconds of this process (all its threads): on a machine shared with other jobs, wall time
    # overstates a fit; cpu_seconds / threads is what it would take alone
    row = {"method": method, "seed": seed, "seconds": seconds, "cpu_seconds": time.process_time() - cpu_start,
           "threads": torch.get_num_threads(), "n": int(len(X)), "epochs": epochs}
    if y is not None:
        row.update(acc=lm.metrics.clustering_accuracy(y, labels), nmi=lm.metrics.normalized_mutual_info(y, labels),
                   ari=lm.metrics.adjusted_rand_index(y, labels))
    return row


def _cell(rows: list[dict], key: str, digits: int = 3) -> str:
    values = [r[key] for r in rows if key in r]
    return f"{np.mean(values):.{digits}f} +- {np.std(values):.{digits}f}" if values else "-"


def summarise(rows: list[dict]) -> list[str]:
    lines = ["| method | ACC | NMI | ARI | seconds per fit (wall) | CPU seconds per fit | seeds |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for method in dict.fromkeys(r["method"] for r in rows):
        rs = [r for r in rows if r["method"] == method]
        lines.append(f"| {method} | {_cell(rs, 'acc')} | {_cell(rs, 'nmi')} | {_cell(rs, 'ari')} | "
                     f"{_cell(rs, 'seconds', 1)} | {_cell(rs, 'cpu_seconds', 1)} | {len(rs)} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="digits")
    parser.add_argument("--split", default="all", choices=["train", "test", "all"])
    parser.add_argument("--n-clusters", type=int, default=10)
    parser.add_argument("--methods", nargs="+", default=DEFAULT_METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--refine-epochs", type=int, default=20)
    parser.add_argument("--max-rows", type=int, default=None, help="Cluster a random subset (smoke tests).")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=None, help="JSON lines file (default benchmarks/results/...).")
    args = parser.parse_args()
    out = args.out or Path(__file__).parent / "results" / f"clustering_{args.data}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    X, y = load(args.data, args.split, args.max_rows)
    print(f"{args.data} ({args.split}): {X.shape}, {args.n_clusters} clusters, seeds {args.seeds}", flush=True)
    rows = []
    for method in args.methods:
        for seed in args.seeds:
            try:
                row = run_one(method, X, y, args.n_clusters, args.epochs, seed, args.device, args.refine_epochs)
            except lm.exceptions.InvalidParameterError as exc:  # e.g. manifold without umap-learn
                print(f"{method}: skipped: {exc}", flush=True)
                break
            rows.append(row)
            print(json.dumps(row), flush=True)
            with open(out, "a") as f:
                f.write(json.dumps({"data": args.data, "split": args.split, **row}) + "\n")
    print("\n".join(summarise(rows)))


if __name__ == "__main__":
    main()
