"""latentmix.GaussianMixture vs scikit-learn's GaussianMixture (numpy, and its array-API path on
torch tensors), side by side in one process.

All three start from the same initial parameters (weights, means, precisions of one scikit-learn
k-means initialisation of the same data) and run a fixed number of EM iterations (tol=0) on the
same data in the same dtype: float32 against float32, float64 against float64. Time per
iteration is (t(2 + n) - t(2)) / n, each t the fastest of ``--rounds`` fits, the contenders
taking turns in every round (so load from other processes hits all of them alike). The
fraction of peak divides the iteration's nominal flops (see :func:`nominal_flops`) per second by
this machine's matrix-multiply peak in the same dtype, measured in the same run (4096^2 GEMM).

    python benchmarks/gmm.py                # headline (N=60000, D=50, K=10) + small-data table + sweep
    python benchmarks/gmm.py --no-sweep     # headline and small-data table only (~6 min on 2 cores)
    python benchmarks/gmm.py --only small   # one part: headline, small or sweep

scikit-learn's array-API path needs SCIPY_ARRAY_API=1 before scipy is imported: this script
sets it (scikit-learn's numpy path runs under it too).
"""

from __future__ import annotations

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy / scikit-learn are imported

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
from sklearn.mixture import GaussianMixture as SkGaussianMixture  # noqa: E402

import latentmix as lm  # noqa: E402

warnings.simplefilter("ignore")  # fixed-iteration runs end with ConvergenceWarning by design

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


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


def nominal_flops(n: int, d: int, k: int, cov: str) -> float:
    """Multiply-add flops (x2) of one EM iteration as the textbook computes it: full 4NKD^2
    (E-step whitening + M-step scatter matrices), tied 4ND^2 + 4NKD, diag and spherical 8NKD
    (one (N, 2D) @ (2D, K) product each way). latentmix skips the zeros of the triangular and
    symmetric full-covariance products and so executes fewer (2/3 at D=50): the fraction of peak
    is of the nominal count, i.e. a speed, not a utilisation."""
    return {"full": 4 * n * k * d * d, "tied": 4 * n * d * d + 4 * n * k * d}.get(cov, 8 * n * k * d)


def gemm_peak(dtype: torch.dtype, size: int = 4096, reps: int = 2) -> float:
    """GFLOP/s of the fastest of ``reps`` size^2 torch matrix products (CPU, current threads)."""
    A, B = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        A @ B
        best = min(best, time.perf_counter() - t)
    return 2 * size**3 / best / 1e9


def shared_init(X: np.ndarray, k: int, cov: str) -> dict:
    """One initialisation (scikit-learn's k-means one, on this data and dtype) for everyone."""
    sk = SkGaussianMixture(k, covariance_type=cov, max_iter=1, random_state=0, reg_covar=1e-4)
    sk.fit(X[:200_000])
    return dict(weights_init=sk.weights_, means_init=sk.means_, precisions_init=np.asarray(sk.precisions_))


def contenders(X: np.ndarray, k: int, cov: str, array_api: bool = True, device: str = "cpu") -> dict:
    """name -> fit(max_iter) for latentmix, scikit-learn numpy and scikit-learn array API (torch
    tensors on ``device``), all from the same initial parameters; each returns the fitted model."""
    init = shared_init(X, k, cov)
    common = dict(covariance_type=cov, tol=0.0, reg_covar=1e-4, init_params="random_from_data")
    Xt = torch.from_numpy(X).to(device)
    init_t = {key: torch.from_numpy(np.asarray(v)).to(device) for key, v in init.items()}

    def ours(it):
        return lm.GaussianMixture(k, max_iter=it, device=device, **common, **init).fit(Xt if device != "cpu" else X)

    def sk_numpy(it):
        return SkGaussianMixture(k, max_iter=it, **common, **init).fit(X)

    def sk_array_api(it):
        with sklearn.config_context(array_api_dispatch=True):
            return SkGaussianMixture(k, max_iter=it, **common, **init_t).fit(Xt)

    out = {"latentmix": ours}
    if device == "cpu":
        out["sklearn_numpy"] = sk_numpy
    if array_api:
        out["sklearn_array_api"] = sk_array_api
    return out


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def per_iteration(fits: dict, n_iter: int | dict, rounds: int, device: str = "cpu") -> tuple[dict, dict]:
    """Seconds per EM iteration of each contender, (min t(2 + n) - min t(2)) / n over ``rounds``
    rounds in which every contender runs in turn (``n_iter``: n, or a dict name -> n); also each
    final lower bound."""
    n_of = n_iter if isinstance(n_iter, dict) else {name: n_iter for name in fits}
    for fit in fits.values():  # warm-up: first calls of a shape pay one-off set-up costs
        fit(2)
    best = {name: [float("inf"), float("inf")] for name in fits}
    bounds = {}
    for _ in range(rounds):
        for name, fit in fits.items():
            for slot, it in enumerate((2, 2 + n_of[name])):
                _sync(device)
                t = time.perf_counter()
                model = fit(it)
                _sync(device)
                best[name][slot] = min(best[name][slot], time.perf_counter() - t)
            bounds[name] = float(model.lower_bound_)
    return {name: max(b[1] - b[0], 1e-9) / n_of[name] for name, b in best.items()}, bounds


def compare(X: np.ndarray, k: int, cov: str, n_iter: int, rounds: int, peaks: dict,
            array_api: bool = True, device: str = "cpu") -> dict:
    """One row: ms per iteration of each contender, speed-ups, latentmix's fraction of peak."""
    n, d = X.shape
    times, bounds = per_iteration(contenders(X, k, cov, array_api, device), n_iter, rounds, device)
    dtype = X.dtype.name
    flops = nominal_flops(n, d, k, cov)
    row = dict(n=n, d=d, k=k, covariance_type=cov, dtype=dtype, device=device, iterations=n_iter,
               **{f"{name}_ms_per_iter": t * 1e3 for name, t in times.items()},
               **{f"lower_bound_{name}": b for name, b in bounds.items()},
               nominal_gflop=flops / 1e9, latentmix_gflops=flops / times["latentmix"] / 1e9)
    for other in ("sklearn_numpy", "sklearn_array_api"):
        if other in times:
            row[f"speedup_vs_{other}"] = times[other] / times["latentmix"]
    if dtype in peaks:
        row["peak_gflops"] = peaks[dtype]
        row["latentmix_fraction_of_peak"] = row["latentmix_gflops"] / peaks[dtype]
    shown = "  ".join(f"{name} {t * 1e3:8.3f}" for name, t in times.items())
    frac = f"  {row['latentmix_fraction_of_peak']:5.1%} of peak" if "latentmix_fraction_of_peak" in row else ""
    vs_np, vs_api = row.get("speedup_vs_sklearn_numpy", 0), row.get("speedup_vs_sklearn_array_api", 0)
    print(f"N={n:>9,} D={d:>3} K={k:>3} {cov:9s} {dtype:7s} ms/it: {shown}  x{vs_np:.2f} (vs numpy) "
          f"x{vs_api:.2f} (vs array API){frac}", flush=True)
    return row


def headline(args, peaks: dict) -> list[dict]:
    """N=60,000, D=50, K=10: every covariance type, float32 and float64."""
    X32 = make_data(60_000, 50, 10)
    rows = []
    for X in [X32.astype(dtype) for dtype in args.dtypes]:
        for cov in args.covariances:
            rows.append(compare(X, 10, cov, args.iterations, args.rounds, peaks))
    return rows


def small(args, peaks: dict) -> list[dict]:
    """Small data (D=16, K=8), where fixed per-operation costs dominate: N = 1,000 to 10,000."""
    rows = []
    for n in (1_000, 3_000, 10_000):
        X32 = make_data(n, 16, 8)
        for X in (X32, X32.astype(np.float64)):
            for cov in COVARIANCE_TYPES:
                rows.append(compare(X, 8, cov, 50, max(args.rounds, 7), peaks))
    return rows


def sweep(args, peaks: dict) -> list[dict]:
    """Time per iteration as N, D, K grow (one varies, the others fixed), float32, full and diag."""
    rows = []
    for cov in ["full", "diag"]:
        for n in [1_000, 10_000, 100_000, 1_000_000]:
            rows.append({**compare(make_data(n, 16, 8), 8, cov, 10 if n < 1e6 else 3, 3, peaks,
                                   array_api=False), "vary": "n"})
        for d in [4, 16, 64]:
            rows.append({**compare(make_data(50_000, d, 8), 8, cov, 10, 3, peaks, array_api=False), "vary": "d"})
        for k in [2, 8, 32]:
            rows.append({**compare(make_data(50_000, 16, k), k, cov, 10, 3, peaks, array_api=False), "vary": "k"})
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
            ax.loglog(xs, [p[1]["sklearn_numpy_ms_per_iter"] / 1e3 for p in pts], "o-", label="scikit-learn")
            ax.loglog(xs, [p[1]["latentmix_ms_per_iter"] / 1e3 for p in pts], "s-", label="latentmix")
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
    parser.add_argument("--no-sweep", action="store_true", help="headline and small-data tables only")
    parser.add_argument("--only", choices=["headline", "small", "sweep"], help="run one part")
    parser.add_argument("--replot", action="store_true", help="redraw the plot from OUT/gmm.json")
    parser.add_argument("--iterations", type=int, default=20, help="timed EM iterations per fit (headline)")
    parser.add_argument("--rounds", type=int, default=3, help="turns per contender; the fastest counts")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("out"))
    parser.add_argument("--covariances", nargs="+", choices=COVARIANCE_TYPES, default=list(COVARIANCE_TYPES),
                        help="headline rows to run (e.g. a quiet rerun of one row)")
    parser.add_argument("--dtypes", nargs="+", choices=["float32", "float64"], default=["float32", "float64"])
    args = parser.parse_args()
    if args.iterations < 1 or args.rounds < 1:
        parser.error("--iterations and --rounds must be >= 1")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        plot(json.loads((args.out / "gmm.json").read_text())["sweep"], args.out / "gmm_scaling.png")
        return
    peaks = {"float32": gemm_peak(torch.float32), "float64": gemm_peak(torch.float64)}
    print(f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, threads {torch.get_num_threads()}, "
          f"matmul peak float32 {peaks['float32']:.1f} GFLOP/s, float64 {peaks['float64']:.1f} GFLOP/s", flush=True)
    results = {"threads": torch.get_num_threads(), "peak_gflops": peaks}
    parts = [args.only] if args.only else ["headline", "small"] + ([] if args.no_sweep else ["sweep"])
    for part in parts:
        results[part] = {"headline": headline, "small": small, "sweep": sweep}[part](args, peaks)
    results["peak_gflops_after"] = {"float32": gemm_peak(torch.float32), "float64": gemm_peak(torch.float64)}
    print(f"matmul peak again at the end: float32 {results['peak_gflops_after']['float32']:.1f}, "
          f"float64 {results['peak_gflops_after']['float64']:.1f} GFLOP/s")
    if "sweep" in results:
        plot(results["sweep"], args.out / "gmm_scaling.png")
    name = f"gmm_{args.only}.json" if args.only else "gmm.json"
    (args.out / name).write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
