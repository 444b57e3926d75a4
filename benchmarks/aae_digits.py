"""The AAE's step size and posterior on the 8x8 digits: clustering ACC, mean +- std over 3 seeds
(what fixed ``adversarial_weight="auto"``: 1.0 with a mixture prior, 0.2 for the categorical form).

    OMP_NUM_THREADS=2 python benchmarks/aae_digits.py        # ~5 min
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import latentmix as lm
from latentmix.priors import CategoricalPrior, GaussianMixturePrior

OUT = Path("benchmarks/out/aae_digits.jsonl")
CASES = [("gmm", 100, bs, w, post) for bs in (128, 256) for w, post in
         [(0.2, "deterministic"), (1.0, "deterministic"), (1.0, "gaussian")]]
CASES += [("categorical", ep, 256, w, post) for ep in (15, 100) for w, post in
          [(0.2, "deterministic"), (1.0, "deterministic"), (1.0, "gaussian"), (0.2, "gaussian")]]


def main() -> None:
    X, y = lm.datasets.load("digits", split="all")
    y = y.numpy()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    for prior, epochs, batch, weight, posterior in CASES:
        accs = []
        for seed in range(3):
            p = GaussianMixturePrior(10) if prior == "gmm" else CategoricalPrior(10)
            m = lm.AdversarialAutoEncoder(10, prior=p, adversarial_weight=weight, posterior=posterior, epochs=epochs,
                                          batch_size=batch, random_state=seed, verbose=0).fit(X)
            accs.append(lm.metrics.clustering_accuracy(y, np.asarray(m.predict(X))))
        row = {"prior": prior, "epochs": epochs, "batch_size": batch, "adversarial_weight": weight,
               "posterior": posterior, "acc_mean": float(np.mean(accs)), "acc_std": float(np.std(accs)), "accs": accs}
        print(json.dumps(row), flush=True)
        with OUT.open("a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
