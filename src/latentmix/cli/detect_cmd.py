"""``latentmix fit-detector``: train an AnomalyDetector on (the normal part of) a dataset;
``latentmix detect RUN --data DATA --out scores.csv``: its scores and labels for every row."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._io import atomic_write, write_json
from ..exceptions import DataError, InvalidParameterError
from ._common import config_option, estimator_options, json_option, load_data, model_options, say
from .report_cmd import report_after_training

if TYPE_CHECKING:
    import numpy as np


def outlier_truth(y, normal_class) -> np.ndarray | None:
    """1 = outlier per row: ``y != normal_class``; without a normal class, labels that are all 0/1
    are read as outlier labels (PyOD's 1 = outlier); otherwise None."""
    import numpy as np

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


def _model_class() -> type:
    from ..tasks import AnomalyDetector

    return AnomalyDetector


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
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run folder (default runs/detector-DATA).")
@click.option("--device", default=None, help="auto, cpu, cuda or cuda:N.")
@click.option("--seed", "random_state", type=int, default=None)
@click.option("--verbose", type=click.IntRange(min=0), default=None)
@click.option("--dry-run", is_flag=True, help="Print the resolved options and exit.")
@click.option("--no-report", is_flag=True, help="Do not write the figures and report.html at the end.")
@config_option(model=lambda: _model_class(), help="TOML file of this command's options and AnomalyDetector's "
                                                  "(e.g. normal_class = 0, contamination = 0.05); flags override it.")
@json_option
def fit_detector(data, normal_class, out, dry_run, no_report, as_json, **flags):
    """Train an AnomalyDetector on the training split of DATA (only the --normal-class rows, if
    given) and save the run folder (loadable with latentmix.load; `latentmix evaluate` gives AUROC
    and average precision on the test split, the other classes being the anomalies) with
    report.html: the test split's score histogram with the threshold, and the ROC curve when the
    outliers are known. --config takes a TOML file of this command's options and
    AnomalyDetector's (e.g. data = "digits", normal_class = 0, contamination = 0.05); flags
    override it. --json prints the results as one JSON object.

    \b
    Example:
      latentmix fit-detector --data digits --normal-class 0 --epochs 50 --out runs/det0
      latentmix fit-detector --data digits --normal-class 0 --config detector.toml --json
      latentmix detect runs/det0 --data digits --out scores.csv
      latentmix evaluate runs/det0
    """
    import numpy as np

    from ..core.persist import json_params
    from ..tasks import AnomalyDetector

    params = estimator_options(AnomalyDetector, model_options(), flags)
    out = out or Path("runs") / f"detector-{Path(data).stem}"
    model = AnomalyDetector(**params)
    resolved = json_params(model)
    options = {"model": "detector", "data": data, "normal_class": normal_class, "out": str(out),
               "params": {k: resolved[k] for k in params}, "resolved": resolved}
    if dry_run:
        if not as_json:
            click.echo(json.dumps(options, indent=2))
        return options
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
        say(f"training AnomalyDetector on {tuple(X.shape)} rows of {data} -> {out}")
    model.fit(X, run_dir=out)
    page = None if no_report else report_after_training(out, model)  # a failure is a warning, not an error
    flagged = float(np.mean(model.labels_))
    if not as_json:
        say(f"done: {out} (threshold {model.threshold_:.4g}, {flagged:.1%} of the training rows flagged)"
            + (f"\nreport: {page}" if page else ""))
    return {"run": str(out), "data": data, "normal_class": normal_class, "train_samples": int(len(X)),
            "threshold": float(model.threshold_), "train_flagged_rate": flagged, "report": page and str(page)}


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--data", required=True, help="Dataset name or a .npy/.npz/.csv/folder.")
@click.option("--split", type=click.Choice(["train", "test", "all"]), default="test", show_default=True,
              help="Which split of a built-in dataset to score (a file is always read whole).")
@click.option("--contamination", type=float, default=None,
              help="Threshold at this quantile of the training scores instead of the detector's own.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV file to write.")
@click.option("--normal-class", type=int, default=None,
              help="The inliers' class, for AUROC and the ROC curve (default: the run's --normal-class).")
@click.option("--no-report", is_flag=True,
              help="Do not write the report folder beside OUT (scores-report/ for scores.csv).")
@config_option
@json_option
def detect(run, data, split, contamination, out, normal_class, no_report, as_json):
    """Score every row of DATA with the detector in RUN and write OUT (CSV: index, score, label
    with 1 = outlier, and the row's class when the data has labels), and a report beside it
    (scores-report/report.html for --out scores.csv): the score histogram with the threshold and,
    when the outliers are known (labels and the normal class, or 0/1 labels), the ROC curve.
    --json prints the counts and metrics as one JSON object.

    \b
    Example:
      latentmix detect runs/det0 --data digits --out scores.csv
      latentmix detect runs/det0 --data my_rows.csv --contamination 0.05 --out flagged.csv --json
    """
    import numpy as np

    from ..models import OutlierMixin, load

    model = load(run, expect=OutlierMixin)  # a clear error for a missing, foreign or non-detector folder
    X, y = load_data(data, split)
    scores = np.asarray(model.decision_function(X), dtype=np.float64)
    threshold = float(model.threshold_ if contamination is None else model.threshold_for(contamination))
    labels = (scores > threshold).astype(int)
    if normal_class is None:
        normal_class = _run_options(run).get("normal_class")
    truth = outlier_truth(y, normal_class)
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
    result = {"run": str(run), "data": data, "split": split, "out": str(out), "rows": int(len(scores)),
              "flagged": int(labels.sum()), "threshold": threshold}
    if truth is not None:
        result.update(outlier_metrics(truth, scores, labels))
    else:
        result["flagged_rate"] = float(labels.mean())
    page = None
    if not no_report:
        folder = out.parent / f"{out.stem}-report"

        def write_page() -> Path:
            from ..report import write_scores_report

            return write_scores_report(folder, scores, threshold, truth, model=model, run=run, data=data,
                                       metrics=result)

        page = report_after_training(run, model, write_page, retry=f"latentmix --debug detect {run} ...")
    result["report"] = page and str(page)
    if not as_json:
        auc = f", AUROC {result['auroc']:.3f}" if "auroc" in result else ""
        say(f"{len(scores)} rows scored, {int(labels.sum())} flagged as outliers ({labels.mean():.1%}) "
            f"at threshold {threshold:.4g}{auc} -> {out}" + (f"\nreport: {page}" if page else ""))
    return result


def _run_options(run: Path) -> dict:
    """The run's options.json, or {} (a detector saved from Python has none)."""
    try:
        return json.loads((Path(run) / "options.json").read_text())
    except (OSError, ValueError):
        return {}
