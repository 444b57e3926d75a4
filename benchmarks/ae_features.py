"""Which autoencoder gives the best features? Fashion-MNIST, linear probe on the latent codes.

Each variant trains on the 60,000 training images (at most 20 epochs), then a logistic
regression (scikit-learn) is fitted on the codes of the training images and scored on the
10,000 test images. Also reported: test reconstruction MSE, seconds per epoch, and for the
denoising autoencoder the PSNR of masked test images before and after restoration.

    python benchmarks/ae_features.py                       # every variant (long on a 2-core CPU)
    python benchmarks/ae_features.py --variants dae-conv-256 --epochs 20
    python benchmarks/ae_features.py --probe-only --variants dae-conv-256   # re-probe a kept model

Two probes: C=1 (scikit-learn's default) and C="auto" (chosen on 10% of the training codes held
out, then refitted on all of them; the test split is scored once).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import latentmix as lm

MODELS = Path(__file__).with_name("out") / "models"

VARIANTS = {
    "ae-conv-64": lambda e: lm.AutoEncoder(latent_dim=64, arch="conv", epochs=e),
    "ae-conv-256": lambda e: lm.AutoEncoder(latent_dim=256, arch="conv", epochs=e),
    "dae-conv-256-masking0.5": lambda e: lm.DenoisingAutoEncoder(latent_dim=256, arch="conv", noise="masking",
                                                                 noise_level=0.5, epochs=e),
    "dae-conv-256-gaussian0.3": lambda e: lm.DenoisingAutoEncoder(latent_dim=256, arch="conv", noise="gaussian",
                                                                  noise_level=0.3, epochs=e),
    "dae-conv-256-masking0.3-bn": lambda e: lm.DenoisingAutoEncoder(latent_dim=256, arch="conv", noise="masking",
                                                                    noise_level=0.3, batchnorm=True, epochs=e),
    "dae-conv-wide-256-masking0.5": lambda e: lm.DenoisingAutoEncoder(latent_dim=256, arch="conv", hidden=(64, 128),
                                                                      noise="masking", noise_level=0.5, epochs=e),
    "dae-conv-wide-256-masking0.5-cosine": lambda e: lm.DenoisingAutoEncoder(
        latent_dim=256, arch="conv", hidden=(64, 128), noise="masking", noise_level=0.5, lr_schedule="cosine",
        epochs=e),
    "dae-conv-wide-256-masking0.5-batch64": lambda e: lm.DenoisingAutoEncoder(
        latent_dim=256, arch="conv", hidden=(64, 128), noise="masking", noise_level=0.5, batch_size=64, epochs=e),
    "dae-conv-wide-256-masking0.5-bn": lambda e: lm.DenoisingAutoEncoder(
        latent_dim=256, arch="conv", hidden=(64, 128), noise="masking", noise_level=0.5, batchnorm=True, epochs=e),
    "dae-conv-wide-256-masking0.7": lambda e: lm.DenoisingAutoEncoder(
        latent_dim=256, arch="conv", hidden=(64, 128), noise="masking", noise_level=0.7, epochs=e),
    "dae-conv-wide-256-masking0.5-lr2e-3-cosine": lambda e: lm.DenoisingAutoEncoder(
        latent_dim=256, arch="conv", hidden=(64, 128), noise="masking", noise_level=0.5, lr=2e-3,
        lr_schedule="cosine", epochs=e),
    "dae-conv-deep-256-masking0.5": lambda e: lm.DenoisingAutoEncoder(
        latent_dim=256, arch="conv", hidden=(32, 64, 128), noise="masking", noise_level=0.5, epochs=e),
    "vae-conv-64": lambda e: lm.VAE(latent_dim=64, arch="conv", epochs=e),
}


def run_variant(name: str, epochs: int, data, probe_only: bool = False, seed: int = 0) -> dict:
    X, y, X_test, y_test = data
    run = MODELS / (name if seed == 0 else f"{name}-seed{seed}")
    if probe_only:
        model = lm.load(run)
        history = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        epochs, seconds_per_epoch = len(history), history[-1]["elapsed"] / len(history)
    else:
        model = VARIANTS[name](epochs).set_params(random_state=seed, device="auto", verbose=1)
        start = time.perf_counter()
        model.fit(X, run_dir=run)  # kept for further probing (benchmarks/out is git-ignored)
        seconds_per_epoch = (time.perf_counter() - start) / epochs
    Z, Z_test = model.transform(X), model.transform(X_test)
    auto, C = lm.metrics.linear_probe_accuracy(Z, y, Z_test, y_test, C="auto", return_C=True)
    row = {"variant": name, "seed": seed, "epochs": epochs, "seconds_per_epoch": seconds_per_epoch,
           "test_mse": lm.metrics.mse(X_test, model.reconstruct(X_test)),
           "linear_probe_accuracy": lm.metrics.linear_probe_accuracy(Z, y, Z_test, y_test),
           "linear_probe_accuracy_auto_C": auto, "auto_C": C}
    if isinstance(model, lm.DenoisingAutoEncoder):
        noisy = model.corrupt(X_test, seed=0)
        row["noisy_psnr_db"] = lm.metrics.psnr(X_test, noisy.clamp(0, 1))
        row["denoised_psnr_db"] = lm.metrics.psnr(X_test, model.denoise(noisy))
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="*", default=["pixels", *VARIANTS])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0, help="random_state of the models (0: the table's rows)")
    parser.add_argument("--probe-only", action="store_true", help="probe the kept models, no training")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("out") / "ae_features.jsonl")
    args = parser.parse_args()
    X, y = lm.datasets.load("fashion-mnist", split="train")
    X_test, y_test = lm.datasets.load("fashion-mnist", split="test")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name in args.variants:
        if name == "pixels":
            start = time.perf_counter()
            acc = lm.metrics.linear_probe_accuracy(X.flatten(1), y, X_test.flatten(1), y_test)
            row = {"variant": "raw pixels", "linear_probe_accuracy": acc, "seconds": time.perf_counter() - start}
            print(json.dumps(row), flush=True)
        else:
            row = run_variant(name, args.epochs, (X, y, X_test, y_test), args.probe_only, args.seed)
        with open(args.out, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
