"""Why discriminator rejection sampling can raise FD: class shares and FD over gamma.

Loads a GAN kept by ``gan_quality.py fashion`` (benchmarks/out/models/dcgan-LOSS) and, for
plain sampling and rejection sampling at several gammas, prints the acceptance rate, FD,
precision, density, coverage and the share of each class as the frozen Fashion-MNIST
classifier sees it (real test images: 0.1 each).

    python benchmarks/drs_analysis.py ns --gammas default -2 0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import latentmix as lm
from latentmix.metrics.features import get_feature_extractor

MODELS = Path(__file__).with_name("out") / "models"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("loss", help="which kept model: dcgan-LOSS")
    parser.add_argument("--gammas", nargs="*", default=["default"])
    parser.add_argument("--samples", type=int, default=5000)
    args = parser.parse_args()
    X_test, _ = lm.datasets.load("fashion-mnist", split="test")
    real = X_test[:args.samples]
    gan = lm.load(MODELS / f"dcgan-{args.loss}")
    classifier = get_feature_extractor("fashion-mnist")

    def report(label: str, fake, rate=None) -> None:
        m = lm.metrics.evaluate_samples(real, fake, features=classifier, seed=0)
        shares = np.bincount(np.asarray(classifier.probabilities(fake)).argmax(1), minlength=10) / len(fake)
        row = {"sampling": label, "acceptance_rate": rate, "class_shares": np.round(shares, 3).tolist(),
               **{k: round(m[k], 3) for k in ("frechet_distance", "precision", "recall", "density", "coverage")}}
        print(json.dumps(row), flush=True)

    report("plain", gan.sample(args.samples, seed=0))
    for gamma in args.gammas:
        g = None if gamma == "default" else float(gamma)
        fake = gan.sample(args.samples, seed=0, rejection=True, gamma=g)
        report(f"rejection gamma={gamma}", fake, round(gan.acceptance_rate_, 4))


if __name__ == "__main__":
    main()
