"""Anomaly detection: latentmix's AnomalyDetector (each score alone and combined) against PyOD's
AutoEncoder, VAE, DeepSVDD and IForest on the same protocol, AUROC and average precision, mean
+- std over seeds, with the time of each fit (issue 10).

``images`` (one-class novelty detection, Ruff et al., 2018's protocol): for each class c, train on
the training images of class c, score the whole test split, class c normal and the other nine
anomalous; the mean over the classes is one seed's number. ``table``: scikit-learn's breast-cancer
data, benign rows normal (70% of them to train), the other benign rows and every malignant row to
score.

    python benchmarks/anomaly.py images --data digits                         # minutes
    python benchmarks/anomaly.py images --data fashion-mnist --epochs 30      # hours on 2 CPU cores
    python benchmarks/anomaly.py table
    python benchmarks/anomaly.py images --data digits --classes 0 1 --max-rows 200 --epochs 1 --seeds 0  # smoke

PyOD's detectors run when ``pyod`` is importable (install it in the benchmark environment only,
``pip install pyod``); they see flattened images. One latentmix fit gives every score
(``score_components``), so "reconstruction", "latent-density" and "combined" share a fit time.
"""

from __future__ import annotations

import argparse
import inspect
import json
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

import latentmix as lm

PYOD = ["AutoEncoder", "VAE", "DeepSVDD", "IForest"]


def pyod_detector(name: str, n_features: int, epochs: int, seed: int):
    """A PyOD detector with the arguments its installed version takes (the names changed in 2.0)."""
    import importlib

    module = {"AutoEncoder": "auto_encoder", "VAE": "vae", "DeepSVDD": "deep_svdd", "IForest": "iforest"}[name]
    cls = getattr(importlib.import_module(f"pyod.models.{module}"), name)
    wanted = {"contamination": 0.1, "random_state": seed, "epoch_num": epochs, "epochs": epochs,
              "n_features": n_features, "verbose": 0}
    accepted = set(inspect.signature(cls.__init__).parameters)
    return cls(**{k: v for k, v in wanted.items() if k in accepted})


def have_pyod() -> bool:
    try:
        import pyod  # noqa: F401
    except ImportError:
        return False
    return True


def evaluate(truth, scores) -> dict:
    return {"auroc": float(roc_auc_score(truth, scores)), "ap": float(average_precision_score(truth, scores))}


def latentmix_rows(X_train, X_test, truth, args, seed: int, label: str, **opts) -> list[dict]:
    start = time.perf_counter()
    det = lm.AnomalyDetector(epochs=args.epochs, random_state=seed, device=args.device, verbose=0, **opts)
    det.fit(X_train)
    seconds = time.perf_counter() - start
    combined = evaluate(truth, det.decision_function(X_test))
    rows = [{"detector": f"latentmix {label}combined", "seconds": seconds, **combined}]
    for name, scores in det.score_components(X_test).items():
        rows.append({"detector": f"latentmix {label}{name}", "seconds": seconds, **evaluate(truth, scores)})
    return rows


def pyod_rows(X_train, X_test, truth, args, seed: int) -> list[dict]:
    rows = []
    flat_train, flat_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    for name in args.pyod:
        start = time.perf_counter()
        det = pyod_detector(name, flat_train.shape[1], args.epochs, seed).fit(flat_train)
        rows.append({"detector": f"pyod {name}", "seconds": time.perf_counter() - start,
                     **evaluate(truth, det.decision_function(flat_test))})
    return rows


def one_case(X_train, X_test, truth, args, seed: int) -> list[dict]:
    rows = latentmix_rows(X_train, X_test, truth, args, seed, "")
    if args.aae:
        rows += latentmix_rows(X_train, X_test, truth, args, seed, "aae ", autoencoder="aae")
    if args.pyod and have_pyod():
        rows += pyod_rows(X_train, X_test, truth, args, seed)
    return rows


def images(args) -> list[dict]:
    X, y = (t.numpy() for t in lm.datasets.load(args.data, split="train"))
    X_test, y_test = (t.numpy() for t in lm.datasets.load(args.data, split="test"))
    if args.max_test and args.max_test < len(X_test):
        keep = np.random.default_rng(0).permutation(len(X_test))[:args.max_test]
        X_test, y_test = X_test[keep], y_test[keep]
    rows = []
    for seed in args.seeds:
        for c in args.classes:
            X_c = X[y == c][:args.max_rows] if args.max_rows else X[y == c]
            for row in one_case(X_c, X_test, (y_test != c).astype(int), args, seed):
                row.update(case=f"{args.data} class {c}", normal_class=c, seed=seed, n_train=len(X_c))
                rows.append(row)
                print(json.dumps(row), flush=True)
    return rows


def table(args) -> list[dict]:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)  # y: 1 benign (normal), 0 malignant (anomaly)
    rows = []
    for seed in args.seeds:
        benign = np.random.default_rng(seed).permutation(np.flatnonzero(y == 1))
        n_train = int(0.7 * len(benign))
        train, test = benign[:n_train], np.concatenate([benign[n_train:], np.flatnonzero(y == 0)])
        for row in one_case(X[train], X[test], (y[test] == 0).astype(int), args, seed):
            row.update(case="breast-cancer", seed=seed, n_train=int(n_train))
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def summarise(rows: list[dict]) -> list[str]:
    """Per detector: mean over cases (classes) per seed, then mean +- std over seeds."""
    lines = ["| detector | AUROC | average precision | seconds per fit |", "|---|---:|---:|---:|"]
    for det in dict.fromkeys(r["detector"] for r in rows):
        rs = [r for r in rows if r["detector"] == det]
        per_seed = {s: [r for r in rs if r["seed"] == s] for s in dict.fromkeys(r["seed"] for r in rs)}
        au = [np.mean([r["auroc"] for r in v]) for v in per_seed.values()]
        ap = [np.mean([r["ap"] for r in v]) for v in per_seed.values()]
        sec = [r["seconds"] for r in rs]
        lines.append(f"| {det} | {np.mean(au):.3f} +- {np.std(au):.3f} | {np.mean(ap):.3f} +- {np.std(ap):.3f} | "
                     f"{np.mean(sec):.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=["images", "table"])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--classes", nargs="+", type=int, default=list(range(10)))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--max-rows", type=int, default=None, help="At most this many training rows per class.")
    parser.add_argument("--max-test", type=int, default=None, help="Score a random subset of the test split.")
    parser.add_argument("--aae", action="store_true", help="Also the AAE-based detector (+ discriminator score).")
    parser.add_argument("--pyod", nargs="*", default=PYOD, help="PyOD detectors to run (none: --pyod).")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.pyod and not have_pyod():
        print("pyod is not installed: its detectors are skipped (pip install pyod in the benchmark environment)")
    rows = images(args) if args.case == "images" else table(args)
    name = args.data if args.case == "images" else "breast-cancer"
    out = args.out or Path(__file__).parent / "results" / f"anomaly_{name}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "a") as f:
        for row in rows:
            f.write(json.dumps({**row, "epochs": args.epochs}) + "\n")
    print("\n".join(summarise(rows)))


if __name__ == "__main__":
    main()
