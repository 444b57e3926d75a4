"""Mixture-stratified rejection sampling against plain sampling and plain DRS, on trained GANs.

Loads GAN run folders (default: the DCGANs that ``benchmarks/gan_quality.py fashion`` keeps in
``benchmarks/out/models``), recalibrates each on the same held-out 10% of the training images
that ``GAN.fit`` kept out (so models trained before stratification existed get their strata),
and compares 10,000 samples of each sampler with the 10,000 test images in the feature space of
latentmix's frozen Fashion-MNIST classifier: FD, KID, precision/recall, density/coverage,
1-NN accuracy, classifier score, the acceptance rate, and how far the samples' class shares
(by the classifier) are from uniform.

    OMP_NUM_THREADS=1 python benchmarks/stratified_rejection.py \
        benchmarks/out/models/dcgan-ns benchmarks/out/models/dcgan-hinge --strata 25

``--strata`` sets the mixture's component count (default: the GAN's ``"auto"``, 25 here).
``--features`` picks the space the strata live in: the discriminator's penultimate features (the
library's choice), the raw pixels, or the 16-d codes of a dense autoencoder trained here for 5
epochs on the training images (``ae``); the PCA to 16 dimensions and the mixture are the same.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import latentmix as lm
from latentmix.metrics.features import get_feature_extractor


def held_out_part(gan: lm.GAN, X: torch.Tensor) -> torch.Tensor:
    """The rows GAN.fit held out for calibration (its seeded split)."""
    n_held = int(gan.calibration_fraction * len(X))
    perm = torch.randperm(len(X), generator=torch.Generator().manual_seed(gan.seed_))
    return X[perm[:n_held]]


def class_shares(extractor, x: torch.Tensor) -> list[float]:
    labels = extractor.probabilities(x).argmax(1)
    return (torch.bincount(labels, minlength=10).double() / len(labels)).tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--strata", default="auto", type=lambda v: v if v == "auto" else int(v))
    parser.add_argument("--features", choices=["discriminator", "pixels", "ae"], default="discriminator")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("out") / "stratified_rejection.jsonl")
    args = parser.parse_args()
    X, _ = lm.datasets.load("fashion-mnist", split="train")
    X_test, _ = lm.datasets.load("fashion-mnist", split="test")
    real = X_test[:args.samples]
    extractor = get_feature_extractor("fashion-mnist")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.features == "ae":
        ae = lm.AutoEncoder(latent_dim=16, epochs=5, random_state=0).fit(X)
        features = lambda x: torch.as_tensor(ae.transform(torch.as_tensor(x))).float()  # noqa: E731
    elif args.features == "pixels":
        features = lambda x: torch.as_tensor(x).flatten(1).float()  # noqa: E731
    for run in args.runs:
        gan = lm.load(run)
        gan.strata = args.strata
        if args.features != "discriminator":
            gan._features = features  # what calibrate() and sample() assign strata by
        start = time.perf_counter()
        gan.calibrate(held_out_part(gan, X))
        row = {"run": str(run), "loss": gan.loss, "strata": gan.strata_.n_strata, "features": args.features,
               "calibration_seconds": time.perf_counter() - start,
               "target_shares": list(gan.stratified_calibration_.target_shares),
               "real_shares": gan.strata_.shares_.tolist()}
        for kind in (False, "drs", "stratified"):
            start = time.perf_counter()
            fake = gan.sample(args.samples, seed=0, rejection=kind)
            name = kind or "plain"
            row[name] = lm.metrics.evaluate_samples(real, fake, features="fashion-mnist", seed=0)
            row[name]["seconds"] = time.perf_counter() - start
            row[name]["acceptance_rate"] = gan.acceptance_rate_ if kind else 1.0
            row[name]["class_shares"] = class_shares(extractor, torch.as_tensor(fake))
        print(json.dumps({k: (v["frechet_distance"] if isinstance(v, dict) and "frechet_distance" in v else v)
                          for k, v in row.items() if k not in ("target_shares", "real_shares")}), flush=True)
        with open(args.out, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
