"""The measurements behind the full-covariance mixture's transposed layout
(``src/latentmix/mixture/_scatter.py``), on one thread:

1. |y_j|^2 of one E-step block, n = 4,194 rows, k = 10 components, w = 17 columns: the old
   row layout (``vector_norm`` over runs of w contiguous floats) against the transposed one
   (``square_`` then a sum over the middle axis of (k, w, n));
2. the M-step's weighting r ⊗ x of one block in both layouts;
3. a fit's time per iteration (N=60,000, D=50, K=10, float32) for several ``chunk_size`` values.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/gmm_layout_micro.py     # ~2 min
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import gmm as B  # noqa: E402  (this folder's benchmark: same data and initialisation)

import latentmix as lm  # noqa: E402

N_ROWS, K, W = 4194, 10, 17


def best_us(fn, reps: int = 100) -> float:
    for _ in range(5):
        fn()
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t) / reps)
    return best * 1e6


def norms() -> None:
    rows = torch.randn(N_ROWS, K * W)  # row layout: (n, k*w)
    cols = torch.randn(K * W, N_ROWS)  # transposed: (k*w, n)
    copy = best_us(lambda: cols.clone())  # the transposed form squares in place: time its copy apart
    old = best_us(lambda: torch.linalg.vector_norm(rows.unflatten(1, (K, W)), dim=-1).square_())
    new = best_us(lambda: cols.clone().square_().view(K, W, N_ROWS).sum(1)) - copy
    print(f"|y|^2 of one block: row layout {old:.0f} us, transposed {new:.0f} us ({old / new:.1f}x)")


def weighting() -> None:
    xT, rT = torch.randn(51, N_ROWS), torch.rand(K, N_ROWS)
    x, r = xT.T.contiguous(), rT.T.contiguous()
    old = best_us(lambda: r.unsqueeze(2) * x[:, None, 18:35])
    new = best_us(lambda: rT[:, None, :] * xT[None, 18:35])
    print(f"r ⊗ x of one block: row layout {old:.0f} us, transposed {new:.0f} us ({old / new:.1f}x)")


def chunk_sizes() -> None:
    X = B.make_data(60_000, 50, 10)
    init = B.shared_init(X, 10, "full")

    def seconds(it: int, size: int) -> float:
        t = time.perf_counter()
        lm.GaussianMixture(10, covariance_type="full", max_iter=it, tol=0, reg_covar=1e-4, chunk_size=size,
                           **init).fit(X)
        return time.perf_counter() - t

    for _ in range(2):
        for size in (1024, 2048, 4194, 8192):
            seconds(2, size)
            best = {it: min(seconds(it, size) for _ in range(3)) for it in (2, 12)}
            print(f"chunk_size {size}: {(best[12] - best[2]) / 10 * 1e3:.1f} ms/it", flush=True)


if __name__ == "__main__":
    norms()
    weighting()
    chunk_sizes()
