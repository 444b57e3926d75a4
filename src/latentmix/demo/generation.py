"""Generation per mixture component: a LatentGMM on the clustering autoencoder's codes decodes
samples of each component, one row per component in the report; where a frozen classifier exists
for the data, how many of a component's samples it reads as the component's majority class."""

from __future__ import annotations

import numpy as np

from ..exceptions import InvalidParameterError
from ..report import figures
from ..report.sections import Figure
from ._common import check_step
from .results import Headline, Outcome

__all__ = ["compare_generation"]

PER_ROW = 8


def _classes(data, images: np.ndarray) -> np.ndarray | None:
    """The frozen classifier's class for each image, or None without one for this data."""
    if data.features is None:
        return None
    from ..metrics import get_feature_extractor

    probs = get_feature_extractor(data.features).probabilities(images)
    return None if probs is None else np.asarray(probs).argmax(1)


def compare_generation(data, clustering_model, *, seed: int, device: str, out, say) -> Outcome:
    """Per-component samples of ``LatentGMM(clustering_model.autoencoder_)`` fitted on all rows."""
    from ..models import LatentGMM
    from ..tasks import DeepClustering

    check_step(data, seed, say, out)
    if not isinstance(clustering_model, DeepClustering) or getattr(clustering_model, "autoencoder_", None) is None:
        raise InvalidParameterError("clustering_model must be a fitted DeepClustering with an autoencoder_")
    X, y = data.all()
    k = clustering_model.n_clusters
    lg = LatentGMM(clustering_model.autoencoder_, k, covariance_type=clustering_model.covariance_type,
                   n_init=clustering_model.n_init, reg_covar=clustering_model.reg_covar, random_state=seed,
                   device=device).fit(X)
    assigned = np.asarray(lg.predict(X))
    rows, majority, purity = [], [], []

    for j in range(k):
        members = y[assigned == j]
        label = int(np.bincount(members).argmax()) if len(members) else -1
        majority.append(label)
        if j < 20:  # the figure shows at most 20 rows
            drawn = np.asarray(lg.sample(PER_ROW, component=j, seed=seed + j))
            rows.append((f"component {j}" + (f" (class {label})" if label >= 0 else ""), drawn))
    many = np.concatenate([np.asarray(lg.sample(50, component=j, seed=seed + 100 + j)) for j in range(k)])
    read = _classes(data, many) if many.ndim == 4 else None
    if read is not None:
        purity = [float((read[j * 50:(j + 1) * 50] == majority[j]).mean()) for j in range(k)]
    path = figures.image_rows(rows, out / "components.png")
    caption = (f"Samples of LatentGMM, one row per mixture component ({k} components on the "
               f"{lg.autoencoder_.latent_dim}-d codes of the clustering autoencoder), {PER_ROW} each; the label "
               "is the most common true class of the rows the component clusters.")
    metrics_out = {"n_components": k, "component_majority_class": majority}
    outcome = Outcome("generation", "Generation per mixture component (LatentGMM)", metrics_out,
                      figures=[Figure(path, caption, "rows: " + ", ".join(r[0] for r in rows),
                                      tuple(r[0] for r in rows))])
    if purity:
        metrics_out["component_purity"] = purity
        metrics_out["mean_component_purity"] = float(np.mean(purity))
        outcome.headlines.append(Headline("samples read as their component's class", f"{np.mean(purity):.2f} LatentGMM",
                                          f"{1 / k:.2f} chance", "see components.png"))
        outcome.notes.append(f"purity: the share of 50 samples per component that latentmix's frozen {data.features} "
                             "classifier assigns to the component's majority class (chance: 1/K)")
    say(f"  {k} components" + (f", mean purity {np.mean(purity):.2f}" if purity else ""))
    return outcome
