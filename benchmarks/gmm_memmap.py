"""Fit a GaussianMixture to a 20,000,000 x 16 float32 memmap (1.28 GB) and report peak memory.

The data file is written in blocks (never held in memory), then a fresh Python process maps it
with ``np.memmap`` and fits; that process reports its own peak resident set size
(``ru_maxrss``), which includes torch itself (~300-400 MB).

    python benchmarks/gmm_memmap.py                 # 20M rows, K=8 full, 5 EM iterations
    python benchmarks/gmm_memmap.py --rows 2000000  # smaller
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

D = 16


def write_data(path: Path, rows: int, k: int, block: int = 1_000_000) -> None:
    """Rows from k blobs, written block by block with plain writes (no mapping)."""
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=5.0, size=(k, D)).astype(np.float32)
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as f:
        for start in range(0, rows, block):
            n = min(block, rows - start)
            labels = rng.integers(0, k, size=n)
            f.write((rng.normal(size=(n, D)).astype(np.float32) + centers[labels]).tobytes())
    os.replace(tmp, path)


def fit(path: Path, rows: int, k: int, iterations: int, cov: str) -> dict:
    import latentmix as lm

    X = np.memmap(path, dtype=np.float32, mode="r", shape=(rows, D))
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    g = lm.GaussianMixture(k, covariance_type=cov, max_iter=iterations, tol=0.0, random_state=0,
                           device="cpu").fit(X)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(rows=rows, features=D, n_components=k, covariance_type=cov, iterations=g.n_iter_,
                seconds=seconds, seconds_per_iteration=seconds / max(g.n_iter_, 1),
                file_mb=path.stat().st_size / 2**20, peak_rss_mb=peak_mb,
                lower_bound=float(g.lower_bound_))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--components", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--covariance-type", default="full")
    parser.add_argument("--dir", type=Path, default=None, help="where the data file goes (default: a temp dir)")
    parser.add_argument("--fit-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fit_only:
        print(json.dumps(fit(args.fit_only, args.rows, args.components, args.iterations, args.covariance_type)))
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "data.f32"
        t0 = time.perf_counter()
        write_data(path, args.rows, args.components)
        print(f"wrote {path.stat().st_size / 2**30:.2f} GiB in {time.perf_counter() - t0:.1f}s", flush=True)
        out = subprocess.run([sys.executable, __file__, "--fit-only", str(path), "--rows", str(args.rows),
                              "--components", str(args.components), "--iterations", str(args.iterations),
                              "--covariance-type", args.covariance_type],
                             check=True, capture_output=True, text=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=1))
    print(f"peak resident memory {result['peak_rss_mb']:.0f} MB for a {result['file_mb']:.0f} MB memmap; "
          f"{result['seconds_per_iteration']:.2f} s per EM iteration")


if __name__ == "__main__":
    main()
