"""latentmix.GaussianMixture vs scikit-learn's GaussianMixture, side by side in one process.

Both start from the same initial parameters (weights, means, precisions from one k-means
initialisation), run a fixed number of EM iterations (tol=0) on the same float32 data, and the
script prints the time per iteration of each and the ratio. Then it sweeps N, D and K and plots
time per iteration on log-log axes.

    python benchmarks/gmm.py             # headline (N=60000, D=50, K=10) + sweep, ~10 min on 2 cores
    python benchmarks/gmm.py --quick     # a smaller sweep
    python benchmarks/gmm.py --no-sweep  # the headline only

On a machine with CUDA it also runs N=1,000,000, D=64, K=64 "full" on the GPU.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.mixture import GaussianMixture as SkGaussianMixture

import latentmix as lm

warnings.simplefilter("ignore")  # fixed-iteration runs end with ConvergenceWarning by design


def make_data(n: int, d: int, k: int, seed: int = 0) -> np.ndarray:
    """k Gaussian blobs with random covariances, float32 (n, d)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(k, d))
    labels = rng.integers(0, k, size=n)
    mixing = rng.normal(size=(k, d, d)) / np.sqrt(d)
    X = np.empty((n, d), np.float32)
    for j in range(k):  # benchmark data generation, not library code
        rows = labels == j
        X[rows] = rng.normal(size=(rows.sum(), d)) @ mixing[j] + centers[j]
    return X


def shared_init(X: np.ndarray, k: int, cov: str) -> dict:
    """One initialisation (scikit-learn's k-means one) handed to both libraries."""
    sk = SkGaussianMixture(k, covariance_type=cov, max_iter=1, random_state=0, reg_covar=1e-4)
    sk.fit(X[:200_000])
    return dict(weights_init=sk.weights_, means_init=sk.means_, precisions_init=sk.precisions_)


def time_fit(make_model, X, n_iter: int, device: str | None = None) -> tuple[float, object]:
    """Seconds per EM iteration of make_model(n_iter).fit(X), after an untimed 2-iteration
    warm-up fit (first calls of a shape pay one-off kernel set-up costs, in both libraries)."""
    make_model(2).fit(X)
    model = make_model(n_iter)
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    model.fit(X)
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / model.n_iter_, model


def compare(n, d, k, cov, n_iter, sk_iter=None, device="cpu", X=None, sk_dtype=np.float32):
    """Time both on the same data and init; returns a result row."""
    X = make_data(n, d, k) if X is None else X
    init = shared_init(X, k, cov)
    common = dict(covariance_type=cov, tol=0.0, reg_covar=1e-4, **init)
    ours_t, ours = time_fit(lambda it: lm.GaussianMixture(k, max_iter=it, device=device, **common),
                            X, n_iter, device)
    Xs = X.astype(sk_dtype)
    sk_t, sk = time_fit(lambda it: SkGaussianMixture(k, max_iter=it, **common), Xs, sk_iter or n_iter)
    row = dict(n=n, d=d, k=k, covariance_type=cov, device=device, sklearn_dtype=np.dtype(sk_dtype).name,
               iterations_ours=ours.n_iter_, iterations_sklearn=sk.n_iter_,
               ours_s_per_iter=ours_t, sklearn_s_per_iter=sk_t, speedup=sk_t / ours_t,
               lower_bound_ours=float(ours.lower_bound_), lower_bound_sklearn=float(sk.lower_bound_))
    print(f"N={n:>9,} D={d:>3} K={k:>3} {cov:9s} {device:4s} sklearn[{row['sklearn_dtype']}] "
          f"{sk_t * 1e3:9.2f} ms/it   latentmix {ours_t * 1e3:8.2f} ms/it   x{row['speedup']:.1f}"
          f"   (lower bounds {sk.lower_bound_:.4f} vs {ours.lower_bound_:.4f})", flush=True)
    return row


def sweep(quick: bool) -> list[dict]:
    """Time per iteration as N, D, K grow (one varies, the others fixed)."""
    ns = [1_000, 10_000, 100_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    rows = []
    for cov in ["full", "diag"]:
        for n in ns:
            rows.append({**compare(n, 16, 8, cov, 10, sk_iter=3 if n >= 1e6 else 10), "vary": "n"})
        for d in [4, 16, 64]:
            rows.append({**compare(50_000, d, 8, cov, 10), "vary": "d"})
        for k in [2, 8, 32]:
            rows.append({**compare(50_000, 16, k, cov, 10), "vary": "k"})
    return rows


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    for r, cov in enumerate(["full", "diag"]):
        for c, (vary, label) in enumerate([("n", "N (samples)"), ("d", "D (features)"), ("k", "K (components)")]):
            ax = axes[r, c]
            pts = sorted((row[vary], row) for row in rows if row.get("vary") == vary and row["covariance_type"] == cov)
            xs = [p[0] for p in pts]
            ax.loglog(xs, [p[1]["sklearn_s_per_iter"] for p in pts], "o-", label="scikit-learn")
            ax.loglog(xs, [p[1]["ours_s_per_iter"] for p in pts], "s-", label="latentmix")
            ax.set_xticks(xs, [f"{x:,}" for x in xs])
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_xlabel(label)
            ax.set_ylabel("seconds per EM iteration")
            ax.set_title(f"{cov}, vary {vary}")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
    fig.suptitle("GaussianMixture: time per EM iteration (float32 data, same initialisation)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sweep")
    parser.add_argument("--no-sweep", action="store_true", help="headline numbers only")
    parser.add_argument("--replot", action="store_true", help="redraw the plot from out/gmm.json")
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        plot(json.loads((args.out / "gmm.json").read_text())["sweep"], args.out / "gmm_scaling.png")
        return
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"cuda {torch.cuda.is_available()}")
    results = {"headline": []}
    X = make_data(60_000, 50, 10)
    for cov in ["full", "diag", "tied", "spherical"]:
        results["headline"].append(compare(60_000, 50, 10, cov, args.iterations, X=X))
    for cov in ["full", "diag"]:  # the same against scikit-learn's usual float64 input
        results["headline"].append(compare(60_000, 50, 10, cov, args.iterations, X=X, sk_dtype=np.float64))
    if torch.cuda.is_available():
        Xg = make_data(1_000_000, 64, 64)
        results["gpu"] = [compare(1_000_000, 64, 64, "full", 100, sk_iter=2, device="cuda", X=Xg)]
    if not args.no_sweep:
        results["sweep"] = sweep(args.quick)
        plot(results["sweep"], args.out / "gmm_scaling.png")
    (args.out / "gmm.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out / 'gmm.json'}")


if __name__ == "__main__":
    main()
