"""Anomaly detection with one class held out: AnomalyDetector (autoencoder reconstruction error +
latent mixture density) against scikit-learn's IsolationForest, both trained on the training rows
of the other classes and scored on the whole test split (the held-out class = the anomalies),
AUROC and average precision, for each held-out class in turn."""

from __future__ import annotations

import numpy as np

from ..exceptions import DataError
from ..report import figures
from ..report.sections import Figure
from ._common import check_step, flat, quiet_warnings, timer
from .results import Headline, Outcome, mean_std, verdict

__all__ = ["compare_anomaly"]


def _scores(truth, scores) -> dict:
    from sklearn.metrics import average_precision_score, roc_auc_score

    return {"auroc": float(roc_auc_score(truth, scores)), "ap": float(average_precision_score(truth, scores))}


def compare_anomaly(data, recipe, *, seed: int, device: str, out, say) -> Outcome:
    from sklearn.ensemble import IsolationForest

    from ..tasks import AnomalyDetector

    check_step(data, seed, say, out)
    classes = np.unique(data.y_train)[:recipe.anomaly_classes]
    runs = []
    shown = None
    for c in classes:
        normal = data.X_train[data.y_train != c]
        truth = (data.y_test == c).astype(int)
        if truth.sum() == 0 or truth.sum() == len(truth):
            continue
        with timer() as t:
            det = AnomalyDetector(contamination=0.1, epochs=recipe.detector_epochs, random_state=seed, verbose=0,
                                  device=device).fit(normal)
        ours = np.asarray(det.decision_function(data.X_test), dtype=np.float64)
        ours_seconds = t()
        with quiet_warnings(), timer() as t:
            forest = IsolationForest(random_state=seed).fit(flat(normal))
            theirs = -forest.score_samples(flat(data.X_test))  # higher = more abnormal, as PyOD's IForest
        run = {"held_out_class": int(c), "latentmix": {**_scores(truth, ours), "seconds": ours_seconds},
               "isolation_forest": {**_scores(truth, theirs), "seconds": t()}}
        runs.append(run)
        if shown is None:
            shown = (int(c), ours, truth, float(det.threshold_), theirs)
        say(f"  class {int(c)} held out: AnomalyDetector AUROC {run['latentmix']['auroc']:.3f}, "
            f"IsolationForest {run['isolation_forest']['auroc']:.3f}")
    if not runs:
        raise DataError(f"no class among {classes.tolist()} has both normal and held-out rows in the test split: "
                        "nothing to score the detectors on")
    summary = {"held_out_classes": [r["held_out_class"] for r in runs], "runs": runs}
    for name in ("latentmix", "isolation_forest"):
        summary[name] = {}
        for key in ("auroc", "ap"):
            summary[name][key], summary[name][f"{key}_std"] = mean_std([r[name][key] for r in runs])
    ours, theirs = summary["latentmix"], summary["isolation_forest"]
    what = f"{len(runs)} held-out classes" if len(runs) > 1 else f"class {runs[0]['held_out_class']} held out"
    headlines = [Headline(f"anomaly AUROC ({what})", f"{ours['auroc']:.3f} AnomalyDetector",
                          f"{theirs['auroc']:.3f} IsolationForest", verdict(ours["auroc"], theirs["auroc"],
                                                                             tolerance=0.01, name="IsolationForest")),
                 Headline("anomaly average precision", f"{ours['ap']:.3f} AnomalyDetector",
                          f"{theirs['ap']:.3f} IsolationForest", verdict(ours["ap"], theirs["ap"], tolerance=0.01,
                                                                         name="IsolationForest"))]
    outcome = Outcome("anomaly", "Anomaly detection: one class held out", summary, headlines)
    outcome.notes.append(
        f"each class in turn is the anomaly: both detectors train on the training rows of the other classes "
        f"(AnomalyDetector(contamination=0.1, epochs={recipe.detector_epochs}), combined reconstruction + latent "
        "density score; IsolationForest() with scikit-learn's defaults on the flattened values) and score the "
        "whole test split; differences of at most 0.01 count as a tie")
    c, ours_scores, truth, threshold, forest_scores = shown
    path = figures.score_histogram(ours_scores, threshold, out / "anomaly_scores.png", truth)
    outcome.figures.append(Figure(path, f"AnomalyDetector's scores of the test split with class {c} held out "
                                        "(red: the held-out class); dashed: the threshold set on the training rows.",
                                  "histogram of anomaly scores"))
    path, _ = figures.roc_curve(ours_scores, truth, out / "anomaly_roc.png")
    outcome.figures.append(Figure(path, f"ROC curve of AnomalyDetector, class {c} held out.", "ROC curve"))
    path, _ = figures.roc_curve(forest_scores, truth, out / "anomaly_roc_iforest.png")
    outcome.figures.append(Figure(path, f"ROC curve of IsolationForest, class {c} held out.", "ROC curve"))
    return outcome
