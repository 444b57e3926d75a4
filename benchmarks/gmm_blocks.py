"""Does cutting the full-covariance E/M products into column blocks pay off on this machine's
thread count? Times latentmix alone (N=60,000, D=50, K=10, float32, scikit-learn's k-means start)
with the minimum block width set to 16 (3 blocks at D=50), 25 (2 blocks) and 1000 (one full
product), best of 3, each setting twice.

    .venv/bin/python benchmarks/gmm_blocks.py          # ~3 min on 2 quiet cores
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import gmm as B  # noqa: E402  (this folder's benchmark: same data and initialisation)

import latentmix as lm  # noqa: E402
from latentmix.mixture import _scatter  # noqa: E402

X = B.make_data(60_000, 50, 10)
init = B.shared_init(X, 10, "full")


def fit(iterations: int):
    return lm.GaussianMixture(10, covariance_type="full", max_iter=iterations, tol=0, **init).fit(X)


def seconds(iterations: int) -> float:
    start = time.perf_counter()
    fit(iterations)
    return time.perf_counter() - start


for min_block in (16, 25, 1000, 16, 25, 1000):
    _scatter._MIN_BLOCK = min_block
    fit(2)  # warm-up
    best = {it: min(seconds(it) for _ in range(3)) for it in (2, 12)}
    print(f"min block {min_block:4d}: {_scatter.n_blocks(50)} blocks, {(best[12] - best[2]) / 10 * 1e3:.1f} ms/it",
          flush=True)
