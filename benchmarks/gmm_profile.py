"""Where a full-covariance EM iteration spends its time: torch's profiler over 10 iterations of
latentmix (N=60,000, D=50, K=10, float32, scikit-learn's k-means start), the GEMM peak of this
machine measured in the same run, and what the profile implies for the "% of peak" ceiling.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/gmm_profile.py      # ~1 min

Prints the ops by self time and one JSON line: ms per iteration, the matrix products' share of
it and their own speed (actual flops, after the triangle skipping of ``_scatter``, over their
time), the elementwise ops' share and element rate, and the nominal "% of peak" (4NKD^2 per
iteration, as in ``benchmarks/gmm.py``).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).parent))
import gmm as B  # noqa: E402  (this folder's benchmark: same data, initialisation and peak)

import latentmix as lm  # noqa: E402
from latentmix.mixture import _scatter  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--iterations", type=int, default=10)
args = parser.parse_args()
N, D, K, IT = 60_000, 50, 10, args.iterations

X = B.make_data(N, D, K)
init = B.shared_init(X, K, "full")


def fit(iterations):
    return lm.GaussianMixture(K, covariance_type="full", max_iter=iterations, tol=0, **init).fit(X)


fit(2)  # warm-up
start = time.perf_counter()
fit(IT)
wall = time.perf_counter() - start
with profile(activities=[ProfilerActivity.CPU]) as prof:
    fit(IT)
events = prof.key_averages()
print(events.table(sort_by="self_cpu_time_total", row_limit=12))
self_ms = {e.key: e.self_cpu_time_total / 1e3 for e in events}
total = sum(self_ms.values())
mm = self_ms.get("aten::mm", 0.0) + self_ms.get("aten::addmm", 0.0)
elementwise = sum(self_ms.get(f"aten::{op}", 0.0) for op in ("linalg_vector_norm", "mul", "sub", "exp_", "amax",
                                                                 "sum", "div_", "add_", "clamp_", "copy_"))
blocks = _scatter.n_blocks(D)
actual = 4 * N * K * D * D * (blocks + 1) / (2 * blocks)  # both products, one triangle each
nominal = 4 * N * K * D * D
peak = B.gemm_peak(torch.float32)
row = {
    "threads": torch.get_num_threads(), "ms_per_iteration": wall / IT * 1e3,
    "mm_share": mm / total, "mm_gflops": actual * IT / (mm / 1e3) / 1e9,
    "elementwise_share": elementwise / total,
    "nominal_gflops": nominal / (wall / IT) / 1e9, "peak_gflops": peak,
    "mm_fraction_of_peak": actual * IT / (mm / 1e3) / 1e9 / peak,
    "nominal_fraction_of_peak": nominal / (wall / IT) / 1e9 / peak,
}
print(json.dumps(row))
