"""Why discriminator rejection sampling can raise FD: class shares and FD over gamma.

Loads a GAN kept by ``gan_quality.py fashion`` (benchmarks/out/models/dcgan-LOSS) and, for
plain sampling and rejection sampling at several gammas, prints the acceptance rate, FD,
precision, density, coverage and the share of each class as the frozen Fashion-MNIST
classifier sees it (real test images: 0.1 each); then, per class, the mean calibrated
discriminator logit of real test images and of generated samples, and the within-class AUC of
real vs generated (does the discriminator score whole classes differently, even real ones?).

    python benchmarks/drs_analysis.py ns --gammas default -2 0
    python benchmarks/drs_analysis.py ns --raw-generator --gammas default -6 -8 -10 -12

``--raw-generator`` samples from the generator the discriminator was trained against instead of
its EMA (the calibration is refitted on the same held-out images), to tell whether the EMA is
what makes rejection raise FD.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

import latentmix as lm
from latentmix.metrics.features import get_feature_extractor

MODELS = Path(__file__).with_name("out") / "models"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("loss", help="which kept model: dcgan-LOSS")
    parser.add_argument("--gammas", nargs="*", default=["default"])
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--models", type=Path, default=MODELS, help="folder of the kept dcgan-LOSS runs")
    parser.add_argument("--raw-generator", action="store_true", help="sample without the generator EMA")
    args = parser.parse_args()
    X_test, y_test = lm.datasets.load("fashion-mnist", split="test")
    real = X_test[:args.samples]
    gan = lm.load(args.models / f"dcgan-{args.loss}")
    classifier = get_feature_extractor("fashion-mnist")
    if args.raw_generator:
        X, _ = lm.datasets.load("fashion-mnist", split="train")
        _, held = gan._split(torch.as_tensor(X))  # the GAN's own held-out real images
        del gan.networks_["generator_ema"]
        gan.calibration_ = gan._calibrate(held)

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
    class_logits(gan, X_test, np.asarray(y_test), gan.sample(len(X_test), seed=0), classifier)


def class_logits(gan, real, labels, fake, classifier) -> None:
    """Per class: mean calibrated logit of real (true label) and generated (classifier's label)
    images, the within-class AUC of real vs generated, and the class share that reweighting the
    generated samples by exp(logit) implies (a faithful density ratio gives the data's 0.1 each)."""
    s_real, s_fake = np.asarray(gan.discriminator_score(real)), np.asarray(gan.discriminator_score(fake))
    fake_labels = np.asarray(classifier.probabilities(fake)).argmax(1)
    weights = np.exp(s_fake - s_fake.max())
    implied = np.bincount(fake_labels, weights=weights, minlength=10) / weights.sum()
    for c in range(10):
        r, f = s_real[labels == c], s_fake[fake_labels == c]
        auc = roc_auc_score(np.r_[np.ones(len(r)), np.zeros(len(f))], np.r_[r, f]) if len(f) else None
        print(json.dumps({"class": c, "real_logit": round(float(r.mean()), 3),
                          "generated_logit": round(float(f.mean()), 3) if len(f) else None,
                          "auc": None if auc is None else round(float(auc), 3),
                          "generated_share": round(len(f) / len(fake), 3),
                          "implied_share": round(float(implied[c]), 3)}), flush=True)


if __name__ == "__main__":
    main()
