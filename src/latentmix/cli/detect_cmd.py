"""``latentmix fit-detector``: train an AnomalyDetector on (the normal part of) a dataset;
``latentmix detect RUN --data DATA --out scores.csv``: its scores and labels for every row."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click
import numpy as np

from .._io import atomic_write, write_json
from ..core.persist import json_params
from ..exceptions import DataError, InvalidParameterError
from ._common import estimator_options, load_data


def outlier_truth(y, normal_class) -> np.ndarray | None:
    """1 = outlier per row: ``y != normal_class``; without a normal class, labels that are all 0/1
    are read as outlier labels (PyOD's 1 = outlier); otherwise None."""
    if y is None:
        return None
    y = np.asarray(y)
    if normal_class is not None:
        return (y != int(normal_class)).astype(int)
    if np.isin(y, (0, 1)).all():
        return y.astype(int)
    return None


def outlier_metrics(truth: np.ndarray, scores: np.ndarray, labels: np.ndarray) -> dict:
    """AUROC and average precision of the scores, precision/recall of the labels, against ``truth``."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    out = {"flagged_rate": float(labels.mean()), "outlier_rate": float(truth.mean())}
    if 0 < truth.sum() < len(truth):
        out.update(auroc=float(roc_auc_score(truth, scores)),
                   average_precision=float(average_precision_score(truth, scores)))
    flagged = labels == 1
    out["precision_at_threshold"] = float(truth[flagged].mean()) if flagged.any() else None
    out["recall_at_threshold"] = float(flagged[truth == 1].mean()) if truth.any() else None
    return out


@click.command("fit-detector")
@click.option("--data", required=True, help="Dataset name (digits, fashion-mnist, ...) or a .npy/.npz/.csv/folder.")
@click.option("--normal-class", type=int, default=None,
              help="Train on the rows of this class only (one-class detection); default: all rows.")
@click.option("--method", type=click.Choice(["combined", "reconstruction", "latent-density", "discriminator"]),
              default=None, help="The score (default combined: standardised reconstruction + latent energy).")
@click.option("--contamination", type=float, default=None, help="Expected outlier share in (0, 0.5] (default 0.1).")
@click.option("--autoencoder", type=click.Choice(["auto", "ae", "dae", "aae"]), default=None)
@click.option("--epochs", type=click.IntRange(min=1), default=None)
@click.option("--latent-dim", type=click.IntRange(min=1), default=None)
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML file of AnomalyDetector options; flags override it.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run folder (default runs/detector-DATA).")
@click.option("--device", default=None, help="auto, cpu, cuda or cuda:N.")
@click.option("--seed", "random_state", type=int, default=None)
@click.option("--verbose", type=click.IntRange(min=0), default=None)
@click.option("--dry-run", is_flag=True, help="Print the resolved options and exit.")
def fit_detector(data, normal_class, config, out, dry_run, **flags):
    """Train an AnomalyDetector on the training split of DATA (only the --normal-class rows, if
    given) and save the run folder (loadable with latentmix.load; `latentmix evaluate` gives AUROC
    and average precision on the test split, the other classes being the anomalies).

    \b
    Example:
      latentmix fit-detector --data digits --normal-class 0 --epochs 50 --out runs/det0
      latentmix detect runs/det0 --data digits --out scores.csv
      latentmix evaluate runs/det0
    """
    from ..tasks import AnomalyDetector

    params = estimator_options(AnomalyDetector, config, flags)
    out = out or Path("runs") / f"detector-{Path(data).stem}"
    model = AnomalyDetector(**params)
    resolved = json_params(model)
    options = {"model": "detector", "data": data, "normal_class": normal_class, "out": str(out),
               "params": {k: resolved[k] for k in params}, "resolved": resolved}
    if dry_run:
        click.echo(json.dumps(options, indent=2))
        return
    model._validate_params()
    X, y = load_data(data, "train")
    if normal_class is not None:
        if y is None:
            raise InvalidParameterError(f"--normal-class needs labelled data; {data} has no labels")
        keep = np.asarray(y) == normal_class
        if not keep.any():
            raise DataError(f"{data} has no training rows of class {normal_class}")
        X = X[keep]
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "options.json", options)
    if model.verbose:
        click.echo(f"training AnomalyDetector on {tuple(X.shape)} rows of {data} -> {out}")
    model.fit(X, run_dir=out)
    click.echo(f"done: {out} (threshold {model.threshold_:.4g}, {model.labels_.mean():.1%} of the training rows "
               "flagged)")


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--data", required=True, help="Dataset name or a .npy/.npz/.csv/folder.")
@click.option("--split", type=click.Choice(["train", "test", "all"]), default="test", show_default=True,
              help="Which split of a built-in dataset to score (a file is always read whole).")
@click.option("--contamination", type=float, default=None,
              help="Threshold at this quantile of the training scores instead of the detector's own.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV file to write.")
def detect(run, data, split, contamination, out):
    """Score every row of DATA with the detector in RUN and write OUT (CSV: index, score, label
    with 1 = outlier, and the row's class when the data has labels).

    \b
    Example:
      latentmix detect runs/det0 --data digits --out scores.csv
      latentmix detect runs/det0 --data my_rows.csv --contamination 0.05 --out flagged.csv
    """
    from ..models import OutlierMixin, load

    model = load(run, expect=OutlierMixin)  # a clear error for a missing, foreign or non-detector folder
    X, y = load_data(data, split)
    scores = np.asarray(model.decision_function(X), dtype=np.float64)
    threshold = model.threshold_ if contamination is None else model.threshold_for(contamination)
    labels = (scores > threshold).astype(int)
    header = ["index", "score", "label"] + (["y"] if y is not None else [])
    ys = None if y is None else np.asarray(y)

    def write(path: Path) -> None:
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            for i in range(len(scores)):
                w.writerow([i, repr(float(scores[i])), int(labels[i])] + ([int(ys[i])] if ys is not None else []))

    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, write)
    click.echo(f"{len(scores)} rows scored, {int(labels.sum())} flagged as outliers ({labels.mean():.1%}) "
               f"at threshold {threshold:.4g} -> {out}")
