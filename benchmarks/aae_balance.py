"""Does the adversarial autoencoder's latent game balance? (issue 9: the AAE with a mixture prior
failed on Fashion-MNIST because its latent discriminator won)

Trains ``AdversarialAutoEncoder(latent_dim=16, arch="conv", prior=GaussianMixturePrior(10))`` at
each ``--weights`` value (the regularisation phase's Adam runs at ``adversarial_weight * lr``;
0.2 reproduces the old default, which stepped at ``lr_d`` = 2e-4; ``--posterior gaussian``: the
paper's stochastic encoder) and reports the discriminator's
and the encoder's final losses (a balanced game sits near 1.39 and 0.69), FD/precision/recall of
``--samples`` samples against as many test images, and clustering ACC on the test split.

    OMP_NUM_THREADS=1 python benchmarks/aae_balance.py --rows 60000 --epochs 5 --weights 0.2 1
    python benchmarks/aae_balance.py --rows 2000 --epochs 1 --samples 500        # smoke test
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import latentmix as lm
from latentmix.priors import GaussianMixturePrior


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=60000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--weights", type=float, nargs="+", default=[0.2, 1.0])
    p.add_argument("--samples", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--posterior", choices=["deterministic", "gaussian"], default="deterministic")
    p.add_argument("--out", type=Path, default=Path("benchmarks/out/aae_balance.jsonl"))
    args = p.parse_args()
    X, _ = lm.datasets.load("fashion-mnist", split="train")
    X_test, y_test = lm.datasets.load("fashion-mnist", split="test")
    for w in args.weights:
        model = lm.AdversarialAutoEncoder(16, arch="conv", prior=GaussianMixturePrior(10), adversarial_weight=w,
                                          posterior=args.posterior, epochs=args.epochs, random_state=args.seed,
                                          verbose=0)
        start = time.perf_counter()
        model.fit(X[:args.rows])
        fit_s = time.perf_counter() - start
        m = lm.metrics.evaluate_samples(X_test[:args.samples], model.sample(args.samples, seed=0),
                                        features="fashion-mnist", seed=0)
        last = model.history_[-1]
        row = {"adversarial_weight": w, "posterior": args.posterior, "rows": args.rows, "epochs": args.epochs,
               "seed": args.seed,
               "samples": args.samples, "fit_seconds": fit_s, "d_loss": last["discriminate/loss"],
               "encoder_adversarial_loss": last["regularise/loss"], "reconstruction": last["reconstruct/loss"],
               "fd": m["frechet_distance"], "precision": m["precision"], "recall": m["recall"],
               "coverage": m["coverage"],
               "acc": lm.metrics.clustering_accuracy(y_test.numpy(), np.asarray(model.predict(X_test)))}
        print(json.dumps(row), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
