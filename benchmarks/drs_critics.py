"""Which critic makes rejection sampling improve FD? The GAN's discriminator vs critics fitted in
a feature space.

Rejection sampling keeps a generated x with a probability that grows with an estimate of the
density ratio p_data(x) / p_g(x) (Azadi et al., 2019). The discriminator is one estimate; this
script compares it with logistic-regression critics (real = 1 vs generated = 0, fitted on the
GAN's held-out real images and as many fresh samples) on other features:

- ``pool7x7``: the image average-pooled to 7x7 (a coarse view, blind to fine artifacts);
- ``dae``: the codes of a kept denoising autoencoder (``benchmarks/ae_features.py``);
- ``dae+D``: those codes and the raw discriminator logit (the discriminator, calibrated with
  features that let the fit absorb its class-dependent offsets).

A linear logistic critic reweights the generated distribution so that the means of its features
match the real ones (the fitted score equations), which is all a rejection sampler can do
without a faithful ratio. Every critic is used the same way: the DRS acceptance rule (eq. 8)
with gamma at the ``--percentile`` of F, candidates from one seeded draw, the first
``--samples`` accepted compared with the test images in the frozen classifier's feature space.

    python benchmarks/drs_critics.py ns hinge wgan-gp hinge+sn
    python benchmarks/drs_critics.py ns --models benchmarks/out/e20/models   # the 20-epoch ns GAN
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import latentmix as lm
from latentmix.metrics.features import get_feature_extractor
from latentmix.models.rejection import drs_scores

MODELS = Path(__file__).with_name("out") / "models"
METRICS = ("frechet_distance", "precision", "recall", "density", "coverage")


def critic_logits(features, real, fake, candidates, C: float) -> torch.Tensor:
    """Logistic regression real (1) vs generated (0) on standardised features -> logits (M,) of the candidates."""
    A, B, Z = (np.asarray(features(t), dtype=np.float64) for t in (real, fake, candidates))
    scaler = StandardScaler().fit(np.concatenate([A, B]))
    model = LogisticRegression(C=C, max_iter=3000).fit(scaler.transform(np.concatenate([A, B])),
                                                       np.r_[np.ones(len(A)), np.zeros(len(B))])
    return torch.from_numpy(model.decision_function(scaler.transform(Z)))


def accept(logits: torch.Tensor, percentile: float, seed: int = 0) -> torch.Tensor:
    """The DRS keep mask (M,) for calibrated logits (Azadi et al., 2019, eq. 8)."""
    max_logit = float(logits.max())
    gamma = float(np.percentile(drs_scores(logits, max_logit, 0.0).numpy(), percentile))
    p = torch.sigmoid(drs_scores(logits, max_logit, gamma))
    return torch.rand(len(logits), generator=torch.Generator().manual_seed(seed), dtype=torch.float64) < p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("losses", nargs="+", help="kept models: dcgan-LOSS")
    parser.add_argument("--models", type=Path, default=MODELS, help="folder of the kept dcgan-LOSS runs")
    parser.add_argument("--encoder", default="dae-conv-wide-256-masking0.5-cosine", help="a kept run in MODELS")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=50_000)
    parser.add_argument("--percentile", type=float, default=50.0)
    parser.add_argument("--C", type=float, default=1e-3, help="inverse L2 strength of the feature critics")
    args = parser.parse_args()
    X, _ = lm.datasets.load("fashion-mnist", split="train")
    X_test, _ = lm.datasets.load("fashion-mnist", split="test")
    classifier = get_feature_extractor("fashion-mnist")
    encoder = lm.load(MODELS / args.encoder)
    for loss in args.losses:
        gan = lm.load(args.models / f"dcgan-{loss}")
        _, held = gan._split(torch.as_tensor(X))  # the real images the GAN was not trained on
        fake = torch.as_tensor(gan.sample(len(held), seed=123))
        candidates = torch.as_tensor(gan.sample(args.candidates, seed=0))

        def discriminator(t, gan=gan):
            return np.asarray(gan.discriminator_score(t, calibrated=False))[:, None]

        critics = {
            "discriminator (calibrated)": np.asarray(gan.discriminator_score(candidates)),
            "pool7x7": critic_logits(lambda t: F.avg_pool2d(t, 4).flatten(1), held, fake, candidates, args.C),
            "dae": critic_logits(encoder.transform, held, fake, candidates, args.C),
            "dae+D": critic_logits(lambda t: np.c_[np.asarray(encoder.transform(t)), discriminator(t)],
                                   held, fake, candidates, args.C),
        }
        rows = [("plain", candidates[:args.samples], None)]
        for name, logits in critics.items():
            keep = accept(torch.as_tensor(logits, dtype=torch.float64), args.percentile)
            rows.append((name, candidates[keep][:args.samples], float(keep.double().mean())))
        for name, samples, rate in rows:
            m = lm.metrics.evaluate_samples(X_test[:args.samples], samples, features=classifier, seed=0)
            print(json.dumps({"loss": loss, "critic": name, "acceptance_rate": rate, "n": len(samples),
                              **{k: round(m[k], 3) for k in METRICS}}), flush=True)


if __name__ == "__main__":
    main()
