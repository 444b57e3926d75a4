"""A/B timing of latentmix's EM iteration (full covariance unless ``--covariance``) between two
source trees (e.g. the last commit and the working tree), each in its own process, the trees
taking turns round after round so that load from other processes hits both alike.

Each process fits N=60,000, D=50, K=10 float32 (reg_covar=1e-4) from the same scikit-learn k-means start
(``benchmarks/gmm.py``'s data and initialisation), reports ms per iteration as
(t(12) - t(2)) / 10, best of 3, and the 4096^2 float32 GEMM peak measured in the same process.

    git worktree add /tmp/old HEAD
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/gmm_ab.py /tmp/old/src src --rounds 4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
sys.path.insert(0, BENCH)
import gmm as B
import latentmix as lm
X = B.make_data(60_000, 50, 10)
init = B.shared_init(X, 10, COV)
def seconds(it):
    t = time.perf_counter()
    lm.GaussianMixture(10, covariance_type=COV, max_iter=it, tol=0, reg_covar=1e-4, **init).fit(X)
    return time.perf_counter() - t
seconds(2)
best = {it: min(seconds(it) for _ in range(3)) for it in (2, 12)}
ms = (best[12] - best[2]) / 10 * 1e3
import torch
peak = B.gemm_peak(torch.float32, reps=5)
print(json.dumps({"ms_per_iter": ms, "peak_gflops": peak,
                  "percent_of_peak": 100 * B.nominal_flops(60_000, 50, 10, COV) / (ms / 1e3) / (peak * 1e9)}))
"""


def run(src: Path, covariance: str = "full") -> dict:
    env = dict(os.environ, PYTHONPATH=str(src.resolve()))
    code = CHILD.replace("BENCH", repr(str(Path(__file__).parent.resolve()))).replace("COV", repr(covariance))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{src}: {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=Path, help="source trees (folders holding latentmix/)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--covariance", default="full", choices=["full", "tied", "diag", "spherical"])
    args = parser.parse_args()
    for src in args.sources:
        if not (src / "latentmix" / "__init__.py").is_file():
            parser.error(f"{src} holds no latentmix package")
    for r in range(args.rounds):
        for src in args.sources:
            res = run(src, args.covariance)
            row = {"round": r, "source": str(src), "covariance": args.covariance}
            print(json.dumps({**row, **{k: round(v, 2) for k, v in res.items()}}),
                  flush=True)


if __name__ == "__main__":
    main()
