"""The AAE's step size and posterior on the 8x8 digits: clustering ACC, mean +- std over 3 seeds
(what fixed ``adversarial_weight="auto"``: 1.0 with a mixture prior, 0.2 for the categorical form).

    OMP_NUM_THREADS=2 python benchmarks/aae_digits.py        # ~5 min
    OMP_NUM_THREADS=1 python benchmarks/aae_digits.py --joint --joint-weights auto 0.05 0.2
                                            # encoder_updates="joint" rows only, ~3 min a weight
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import latentmix as lm
from latentmix.priors import CategoricalPrior, GaussianMixturePrior

OUT = Path("benchmarks/out/aae_digits.jsonl")
CASES = [("gmm", 100, bs, w, post, "separate") for bs in (128, 256) for w, post in
         [(0.2, "deterministic"), (1.0, "deterministic"), (1.0, "gaussian")]]
CASES += [("categorical", ep, 256, w, post, "separate") for ep in (15, 100) for w, post in
          [(0.2, "deterministic"), (1.0, "deterministic"), (1.0, "gaussian"), (0.2, "gaussian")]]
JOINT_CASES = [("gmm", 100, 128, "auto", "gaussian", "joint"), ("categorical", 15, 256, "auto", "gaussian", "joint")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joint", action="store_true", help="only the encoder_updates='joint' rows")
    parser.add_argument("--joint-weights", nargs="+", default=["auto"],
                        help="adversarial_weight values for the joint rows ('auto' or floats)")
    args = parser.parse_args()
    weights = [w if w == "auto" else float(w) for w in args.joint_weights]
    joint = [(p, ep, b, w, post, u) for p, ep, b, _, post, u in JOINT_CASES for w in weights]
    X, y = lm.datasets.load("digits", split="all")
    y = y.numpy()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    for prior, epochs, batch, weight, posterior, updates in (joint if args.joint else CASES):
        accs = []
        for seed in range(3):
            p = GaussianMixturePrior(10) if prior == "gmm" else CategoricalPrior(10)
            m = lm.AdversarialAutoEncoder(10, prior=p, adversarial_weight=weight, posterior=posterior, epochs=epochs,
                                          encoder_updates=updates,
                                          batch_size=batch, random_state=seed, verbose=0).fit(X)
            accs.append(lm.metrics.clustering_accuracy(y, np.asarray(m.predict(X))))
        row = {"prior": prior, "epochs": epochs, "batch_size": batch, "adversarial_weight": weight,
               "posterior": posterior, "encoder_updates": updates,
               "acc_mean": float(np.mean(accs)), "acc_std": float(np.std(accs)), "accs": accs}
        print(json.dumps(row), flush=True)
        with OUT.open("a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
