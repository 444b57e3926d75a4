"""The GPU run of ``benchmarks/gpu.sh``: one process, one JSON file.

1. GaussianMixture, N=1,000,000, D=64, K=64, float32, "full" and "diag": latentmix (100 EM
   iterations) against scikit-learn's array-API path on the same device (torch tensors,
   ``array_api_dispatch=True``; 10 iterations, it is slower), same initial parameters, time per
   iteration as in ``benchmarks/gmm.py`` ((t(2 + n) - t(2)) / n, fastest of the rounds).
2. Seconds per epoch of the dense autoencoder of ``benchmarks/ae_throughput.py`` (784-512-16,
   batch 256) and of the DCGAN of ``benchmarks/gan_quality.py`` (ns loss, batch 64) on
   Fashion-MNIST's 60,000 training images (random images of that shape when the data set is
   not on the machine: an epoch's time does not depend on the pixels; the JSON says which).

``--smoke``: tiny sizes, no warm-ups, whatever device there is (the CPU in the tests; ~10 s on
an idle 2-core machine, most of it imports).

    SCIPY_ARRAY_API=1 python benchmarks/_gpu_bench.py --out DIR [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if os.environ.get("SCIPY_ARRAY_API") != "1":  # must be set before scipy is imported
    sys.exit("set SCIPY_ARRAY_API=1 (benchmarks/gpu.sh does)")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from gmm import contenders, make_data, per_iteration  # noqa: E402

import latentmix as lm  # noqa: E402

FULL = dict(n=1_000_000, d=64, k=64, iterations=100, sklearn_iterations=10, rounds=2,
            images=60_000, ae_epochs=3, gan_epochs=2, warm_up=True)
SMOKE = dict(n=1_000, d=8, k=4, iterations=3, sklearn_iterations=3, rounds=1,
             images=64, ae_epochs=1, gan_epochs=1, warm_up=False)


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def mixtures(cfg: dict, device: str) -> list[dict]:
    """latentmix vs scikit-learn's array-API path, same device, full and diag, float32."""
    X = make_data(cfg["n"], cfg["d"], cfg["k"])
    rows = []
    for cov in ("full", "diag"):
        fits = contenders(X, cfg["k"], cov, array_api=True, device=device)
        fits.pop("sklearn_numpy", None)  # the smoke run's CPU: scikit-learn on numpy is not the question here
        n_iter = {"latentmix": cfg["iterations"], "sklearn_array_api": cfg["sklearn_iterations"]}
        times, bounds = per_iteration(fits, n_iter, cfg["rounds"], device)
        row = dict(covariance_type=cov, n=cfg["n"], d=cfg["d"], k=cfg["k"], dtype="float32", device=device,
                   iterations=n_iter, latentmix_ms_per_iter=times["latentmix"] * 1e3,
                   sklearn_array_api_ms_per_iter=times["sklearn_array_api"] * 1e3,
                   speedup=times["sklearn_array_api"] / times["latentmix"],
                   lower_bound_latentmix=bounds["latentmix"], lower_bound_sklearn_array_api=bounds["sklearn_array_api"])
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def images(n: int) -> tuple[torch.Tensor, str]:
    """Fashion-MNIST's first n training images, or random ones of that shape."""
    try:
        X, _ = lm.datasets.load("fashion-mnist", split="train", download=False, verbose=False)
        if len(X) >= n:
            return X[:n], "fashion-mnist"
    except Exception as error:  # noqa: BLE001 - any failure to find the data means synthetic
        print(f"fashion-mnist not available ({type(error).__name__}): random images", flush=True)
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(0)), "random"


def epoch_seconds(make, X: torch.Tensor, epochs: int, device: str, warm_up: bool) -> float:
    """Seconds per epoch of make(epochs).fit(X), after a 1-epoch warm-up fit on 1,024 images
    (``warm_up``; the first fit pays imports and kernel set-up)."""
    if warm_up:
        make(1).fit(X[:1024])
    _sync(device)
    start = time.perf_counter()
    make(epochs).fit(X)
    _sync(device)
    return (time.perf_counter() - start) / epochs


def networks(cfg: dict, device: str) -> dict:
    X, data = images(cfg["images"])
    common = dict(device=device, random_state=0, verbose=0)
    ae = epoch_seconds(lambda e: lm.AutoEncoder(16, arch="dense", hidden=(512,), activation="relu", batch_size=256,
                                                epochs=e, **common), X, cfg["ae_epochs"], device, cfg["warm_up"])
    gan = epoch_seconds(lambda e: lm.GAN(arch="dcgan", loss="ns", epochs=e, **common), X, cfg["gan_epochs"], device,
                        cfg["warm_up"])
    out = {"data": data, "images": len(X),
           "autoencoder": {"model": "dense 784-512-16, batch 256", "epochs": cfg["ae_epochs"], "seconds_per_epoch": ae},
           "dcgan": {"model": "DCGAN ns, batch 64", "epochs": cfg["gan_epochs"], "seconds_per_epoch": gan}}
    print(json.dumps(out), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder for gpu.json")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes on whatever device there is")
    args = parser.parse_args()
    cfg = SMOKE if args.smoke else FULL
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if not args.smoke and device != "cuda":
        sys.exit("no CUDA device: run with --smoke, or on a machine with a GPU")
    start = time.perf_counter()
    result = {"smoke": args.smoke, "device": device,
              "device_name": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
              "torch": torch.__version__, "sklearn": sklearn.__version__, "numpy": np.__version__,
              "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "config": cfg}
    result["gaussian_mixture"] = mixtures(cfg, device)
    result["networks"] = networks(cfg, device)
    result["total_seconds"] = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu.json").write_text(json.dumps(result, indent=1))
    print(f"wrote {args.out / 'gpu.json'} ({result['total_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
