"""GAN sample quality, with and without discriminator rejection sampling.

``fashion``: DCGAN on Fashion-MNIST (at most 20 epochs) for the ns, hinge and wgan-gp losses:
FD, KID, precision, recall, density, coverage, 1-NN accuracy and classifier score of 10,000
samples against the 10,000 test images, in the feature space of latentmix's frozen
Fashion-MNIST classifier; then the same for rejection samples (Azadi et al., 2019).
``digits``: the classic MLP GAN on the 8x8 digits: training time and classifier score (of 10).

    python benchmarks/gan_quality.py digits
    python benchmarks/gan_quality.py fashion --losses ns hinge wgan-gp --epochs 20   # hours on 2 CPU cores
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import latentmix as lm


def digits(epochs: int) -> dict:
    X, _ = lm.datasets.load("digits", split="train")
    X_test, _ = lm.datasets.load("digits", split="test")
    start = time.perf_counter()
    gan = lm.GAN(arch="mlp", loss="ns", epochs=epochs, lr_g=1e-3, lr_d=1e-3, ema=0.99, random_state=0,
                 device="auto", verbose=1).fit(X)
    seconds = time.perf_counter() - start
    fake = gan.sample(len(X_test), seed=0)
    result = {"seconds": seconds, "epochs": epochs,
              **lm.metrics.evaluate_samples(X_test, fake, features="digits", seed=0)}
    print(json.dumps(result), flush=True)
    return result


def fashion(losses: list[str], epochs: int, n: int, models: Path) -> list[dict]:
    X, _ = lm.datasets.load("fashion-mnist", split="train")
    X_test, _ = lm.datasets.load("fashion-mnist", split="test")
    rows = []
    for name in losses:  # "hinge+sn": with spectral normalisation (Miyato et al., 2018)
        loss, sn = name.removesuffix("+sn"), name.endswith("+sn")
        start = time.perf_counter()
        gan = lm.GAN(arch="dcgan", loss=loss, epochs=epochs, n_critic=5 if loss == "wgan-gp" else 1,
                     lr_g=1e-4 if loss == "wgan-gp" else 2e-4, lr_d=1e-4 if loss == "wgan-gp" else 2e-4,
                     betas=(0.0, 0.9) if loss == "wgan-gp" else (0.5, 0.999), spectral_norm=sn, ema=0.999,
                     random_state=0, device="auto")
        gan.fit(X, run_dir=models / f"dcgan-{name}")  # kept: `latentmix evaluate`/`sample` work on it
        row = {"loss": name, "epochs": epochs, "seconds": time.perf_counter() - start}
        for kind, rejection in (("plain", False), ("rejection", True)):
            fake = gan.sample(n, seed=0, rejection=rejection)
            row[kind] = lm.metrics.evaluate_samples(X_test[:n], fake, features="fashion-mnist", seed=0)
        row["acceptance_rate"] = gan.acceptance_rate_
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["digits", "fashion"])
    parser.add_argument("--losses", nargs="*", default=["ns", "hinge", "wgan-gp"])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("out"))
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, cuda {torch.cuda.is_available()}")
    result = digits(args.epochs or 150) if args.what == "digits" else fashion(args.losses, args.epochs or 20,
                                                                             args.samples, args.out / "models")
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"gan_{args.what}" if args.what == "digits" else f"gan_fashion_{'_'.join(args.losses)}"
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
